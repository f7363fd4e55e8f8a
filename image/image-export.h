/* `nook image export`: an image's root, its layers applied, as one squashfs
   file. The merged tree is walked in a user namespace mapped as the store's
   sandboxes are (so owners read as the image has them inside: root 0,
   www-data 33), written as a tar stream in name order, and packed by
   tar2sqfs (squashfs-tools-ng): the same image gives the same bytes. */
#pragma once

#include <stddef.h>

#include "cred/userns.h"
#include "image/store.h"
#include "lib/err.h"

/* Exports image name of s to out (made atomically: a temporary file beside
   it, renamed at the end) and its config to the JSON file beside it
   (image_export_config_path). m: the store's mapping; compressor: one of
   image_export_compressors (NULL: the first, zstd) for a layered image (a
   squashfs image is written out as the very file it is). */
int image_export(const struct store *s, const char *name, const char *out, const struct userns_map *m,
                 const char *compressor, struct nook_err *e);

/* The compressors export takes, the default first, NULL-terminated. */
extern const char *const image_export_compressors[];

/* Where the config of the squashfs image at path is kept: FILE.sqsh ->
   FILE.json, any other name -> NAME.json. A new string, or NULL. */
char *image_export_config_path(const char *path);
