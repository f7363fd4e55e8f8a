/* What an image sandbox does about the file system of its store
   (image/store-fs.h): fuse-overlayfs where kernel overlayfs cannot read or
   keep the layers there, a clear refusal where nothing can. */
#pragma once

#include "image/store.h"
#include "lib/err.h"
#include "spec/spec.h"

/* After the image's layers are known, before a persistent sandbox's
   directory is made: Overlay=auto becomes fuse where kernel overlayfs
   would not work on the store's file system; Overlay=kernel there, and a
   persistent sandbox on a store without working flock(2), are refused
   with what to do ([Store] Path= on a local disk). A shared store is not
   looked at: only the user's own, for a persistent sandbox. */
int image_spec_fit_store(struct nook_spec *s, const struct store *st, struct nook_err *e);
