/* What an image says it is: its index, manifest and config read inside the
   layout's root, every blob it names copied into the store with its digest
   checked, and the store's record of it made. Used by image-import.c; the
   layers themselves are unpacked there. */
#pragma once

#include <jansson.h>

#include "image/image-import.h"
#include "image/store.h"
#include "lib/cleanup.h"
#include "lib/err.h"

/* a json_t released at the end of its scope (jansson's json_decrefp) */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* An OCI layout (a directory, or an OCI archive unpacked), at the directory
   fd layout: the manifest for this machine, its config and layers. The
   name is the index's ref.name, or fallback_name with its tag. */
int manifest_from_oci_layout(struct store *s, int layout, const char *fallback_name, json_t **rec_out, char **name_out,
                             struct nook_err *e);

/* A `docker save` archive unpacked at the directory fd dir. */
int manifest_from_docker_dir(struct store *s, int dir, const char *fallback_name, json_t **rec_out, char **name_out,
                             struct nook_err *e);

struct layer_ref;

/* An image's record, as doc/store.md describes it. */
json_t *image_record_make(const char *name, enum image_format fmt, const char *manifest, const char *config_digest,
                          json_t *config, const struct layer_ref *layers, size_t n);
/* The config of an image that brings none: a shell, and Debian's PATH. */
json_t *image_config_made_up(void);

/* A rootfs tarball (open at fd) is one layer; its config is made up: a
   shell. */
int manifest_from_rootfs_tar(struct store *s, int fd, enum image_format fmt, const char *name, json_t **rec_out,
                             char **name_out, struct nook_err *e);
