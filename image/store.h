/* The image store under $XDG_DATA_HOME/nook (or --store DIR); doc/store.md
   describes its layout. Every write lands under a temporary name and is
   renamed into place, under the store lock, so a reader never sees half of
   anything and SIGKILL at any point leaves it consistent. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/digest.h"
#include "lib/err.h"

struct store {
        char *root;
        int dfd;                /* O_PATH of root */
        bool shared;            /* a shared store (store-shared.h): nook run
                                   writes and locks nothing there; what
                                   publish writes there is 0644 */
};

/* Opens (creating when missing) the store at root, or at the default place
   when root is NULL. */
int store_open(struct store *s, const char *root, struct nook_err *e);
void store_close(struct store *s);
/* $XDG_DATA_HOME/nook, else ~/.local/share/nook. */
char *store_default_root(void);

/* Takes the store lock (flock); returns the fd that holds it. */
int store_lock(const struct store *s, bool exclusive, struct nook_err *e);

/* Copies fd into the blob store, computing its digest as it goes; refused
   (and nothing kept) when `expected` is given and does not match. */
int store_put_blob(const struct store *s, int fd, const char *expected, char out[DIGEST_STR_LEN + 1],
                   uint64_t *size, struct nook_err *e);
/* True when the blob is in the store, and of that size when size >= 0
   (the size its descriptor gives). */
bool store_has_blob(const struct store *s, const char *digest, int64_t size);
/* The digest of the content of blobs/sha256/<hex>: -EINVAL (said in e)
   when it is not a regular file. */
int store_blob_digest(const struct store *s, const char *hex, char out[DIGEST_STR_LEN + 1], struct nook_err *e);
int store_open_blob(const struct store *s, const char *digest, struct nook_err *e);

/* "blobs/sha256/<hex>" of a blob, relative to the store root: 0, -EINVAL
   when digest is not one, -ENAMETOOLONG when buf is too small. */
int store_blob_rel(const char *digest, char *buf, size_t size) __attribute__((warn_unused_result));
/* "layers/<hex>" of an unpacked layer, relative to the store root: 0 or
   -ENAMETOOLONG. */
int store_layer_rel(const char *diff_id, char *buf, size_t size) __attribute__((warn_unused_result));
/* "images/<name>.json", the record of image name ("repo/x:tag" becomes
   "repo%2Fx:tag": one file a record, no subdirectories): 0 or
   -ENAMETOOLONG. */
int store_record_rel(const char *name, char *buf, size_t size) __attribute__((warn_unused_result));
bool store_has_layer(const struct store *s, const char *diff_id);

/* A temporary directory "tmp/<prefix>XXXXXX" (relative path in buf). */
int store_mkdtemp(const struct store *s, const char *prefix, char *buf, size_t size, struct nook_err *e);
/* A new temporary file "tmp/<prefix>XXXXXX" (relative path in buf); returns
   its fd, open for reading and writing; mode 0600, 0644 in a shared store. */
int store_mkstemp(const struct store *s, const char *prefix, char *buf, size_t size, struct nook_err *e);
/* Removes a tree under the store (relative path), without following links. */
int store_remove_tree(const struct store *s, const char *rel);
/* The same for the tree at name in the directory dfd (AT_FDCWD: a path),
   whatever its depth and its modes; 0 or -errno. */
int store_remove_at(int dfd, const char *name);

/* Image records: images/<name>.json, name being "repo:tag" escaped. */
int store_image_save(const struct store *s, const char *name, json_t *record, struct nook_err *e);
int store_image_load(const struct store *s, const char *name, json_t **record, struct nook_err *e);
int store_image_remove(const struct store *s, const char *name, struct nook_err *e);
/* A lock on an image record: shared for as long as a sandbox runs it,
   exclusive (never waiting) to remove it. Returns the fd holding it. */
int store_image_lock(const struct store *s, const char *name, bool exclusive, struct nook_err *e);
/* Calls fn for each image record; stops at the first non-zero return. */
int store_image_each(const struct store *s, int (*fn)(const char *name, json_t *rec, void *arg), void *arg);

/* "alpine" → "alpine:latest"; refuses names that could not be a file name. */
int store_normalize_name(const char *in, char *out, size_t size, struct nook_err *e);
