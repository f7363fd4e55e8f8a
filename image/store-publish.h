/* `nook image publish NAME DIR`: an image of the user's store written into
   a shared store DIR as a squashfs image (exported first when it is a
   layered one) with its record, for every user whose nook.conf names DIR
   in [Store] Shared=. Readers never see half of it: the squashfs file is
   renamed into blobs/ whole, and the record, written last, is linked into
   images/ with link(2), which refuses a name that exists (on NFS too), so
   that of two publishers of one name one wins and the other is told. */
#pragma once

#include "cred/userns.h"
#include "image/store.h"
#include "lib/err.h"

/* Publishes image name (normalized) of own into the directory dir (which
   must exist) under the name as. m: own's mapping, and compressor (NULL:
   the default), for an export (image_export). */
int store_publish(const struct store *own, const char *name, const char *as, const char *dir,
                  const struct userns_map *m, const char *compressor, struct nook_err *e);
