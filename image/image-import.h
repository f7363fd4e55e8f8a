/* `nook image import`: OCI layout directories, OCI archives, `docker save`
   archives, rootfs tarballs, rootfs directories and squashfs images, told apart by content,
   brought into the store with every digest checked. */
#pragma once

#include <stdbool.h>

#include "image/store.h"
#include "lib/err.h"
#include "cred/userns.h"

enum image_format { FMT_UNKNOWN = 0, FMT_OCI_LAYOUT, FMT_OCI_ARCHIVE, FMT_DOCKER_ARCHIVE, FMT_ROOTFS_TAR, FMT_ROOTFS_DIR,
                   FMT_SQUASHFS };

const char *image_format_name(enum image_format f);

struct import_opts {
        const char *name;               /* NAME[:TAG], or NULL to take it from the input */
        const struct userns_map *map;   /* how layers are unpacked */
        bool progress;                  /* a progress line on stderr */
        bool locked;                    /* the caller holds the exclusive store lock
                                           (and has cleaned tmp/) */
};

/* Imports path ("-" for standard input). On success *out_name is the stored
   image name (to free). */
int image_import(struct store *s, const char *path, const struct import_opts *o, char **out_name,
                 struct nook_err *e);

/* Unpacks every layer of a record that is not in the store yet. */
int image_unpack_layers(struct store *s, json_t *record, const struct import_opts *o, struct nook_err *e);

/* Removes the stale temporary files of interrupted imports (call with the
   exclusive store lock held). */
void image_clean_tmp(struct store *s, const struct userns_map *m);
