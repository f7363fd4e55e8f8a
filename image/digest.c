#include "image/digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct digest_ctx {
        EVP_MD_CTX *md;
};

struct digest_ctx *digest_new(void)
{
        struct digest_ctx *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->md = EVP_MD_CTX_new();
        if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
                digest_free(c);
                return NULL;
        }
        return c;
}

void digest_update(struct digest_ctx *c, const void *data, size_t len)
{
        EVP_DigestUpdate(c->md, data, len);
}

void digest_final(struct digest_ctx *c, char out[DIGEST_STR_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        EVP_DigestFinal_ex(c->md, md, &n);
        memcpy(out, "sha256:", 7);
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < n && i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 15];
        }
        out[DIGEST_STR_LEN] = '\0';
        digest_free(c);
}

void digest_free(struct digest_ctx *c)
{
        if (!c)
                return;
        EVP_MD_CTX_free(c->md);
        free(c);
}

