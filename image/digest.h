/* sha256 digests in the OCI form "sha256:<64 hex>". */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN)     /* "sha256:" + hex */

struct digest_ctx;

struct digest_ctx *digest_new(void);
void digest_update(struct digest_ctx *c, const void *data, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) and frees c. */
void digest_final(struct digest_ctx *c, char out[DIGEST_STR_LEN + 1]);
void digest_free(struct digest_ctx *c);

/* "sha256:" followed by exactly 64 lowercase hex digits: the only form a
   digest may take before it becomes part of a path in the store. */
bool digest_valid(const char *d);
/* The hex part of a valid digest. */
const char *digest_hex(const char *d);
