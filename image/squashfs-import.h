/* `nook image import FILE.sqsh`: a squashfs image (as `nook image export`
   makes them) brought into the store as one blob, checked whole by
   libsquashfs, with the config kept beside it (FILE.json) and the files the
   host reads of an image at run time (its /etc/passwd and /etc/group)
   copied into the record, so that `nook run` never opens the squashfs
   itself: nook-squashfs serves it to the sandbox. */
#pragma once

#include <jansson.h>

#include "image/store.h"
#include "lib/err.h"

/* The most nook copies of the image's /etc/passwd or /etc/group into its
   record. */
#define SQUASHFS_ETC_MAX (1u << 20)

/* fd: the squashfs file, path its name (where FILE.json is looked for).
   *rec (without name and format, which the caller sets) and *name (the
   fallback) on success; the blob is in the store. */
int squashfs_import(struct store *s, int fd, const char *path, const char *fallback, json_t **rec, char **name,
                    struct nook_err *e);
