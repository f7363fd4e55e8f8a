/* What an image brings to a spec: its layers, and the config's Env,
   Entrypoint, Cmd, WorkingDir and User, under whatever the profile and the
   options said. */
#pragma once

#include <stdbool.h>

#include "image/store-shared.h"
#include "lib/err.h"
#include "spec/spec.h"

/* True when name (NAME[:TAG]) is an image in a store of ss (the user's,
   then the shared ones). Reads only; never creates the store. */
bool image_exists(const struct store_search *ss, const char *name);
/* The names of the images in the stores of ss (":latest" left off), read
   from their directories of records (a NULL-terminated vector, or NULL
   when none). */
int image_names(const struct store_search *ss, char ***names, size_t *n);

/* Loads spec->image from the store and fills the image fields of spec:
   layers (all must be unpacked), image_env, run_uid/run_gid, and the
   defaults it brings: Command= (Entrypoint + Cmd) when none was given,
   WorkingDirectory, no home and no bound cwd unless asked for. */
int image_spec_resolve(struct nook_spec *s, struct nook_err *e);

