/* Shared image stores ([Store] Shared= in nook.conf): directories of
   squashfs images that `nook image publish` wrote (an admin's
   /srv/nook/images, a group's directory), searched after the user's own
   store. nook reads them and nothing more: a run from one takes no lock
   there and writes nothing there, so a store on NFS or a read-only mount
   serves as well as a local one. doc/store.md, "Shared stores". */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/store.h"
#include "lib/err.h"

/* Where images are looked for: the user's store (NULL: the default), then
   each shared store in order. */
struct store_search {
        const char *own;
        char *const *shared;
        size_t n_shared;
};

/* Opens the shared store at root as it is: nothing is created. */
int store_open_shared(struct store *s, const char *root, struct nook_err *e);

/* Finds image name (normalized) in the stores of ss: the user's first, so
   that a name of the user's own wins. On success *out is the store that
   has it (out->shared tells which kind) and *rec its record. A shared store
   that cannot be opened is passed over; when no store has the image, the
   message names the stores searched. */
int store_find_image(const struct store_search *ss, const char *name, struct store *out, json_t **rec,
                     struct nook_err *e);

/* True when a store of ss has a record named name (normalized), looked at
   from outside: no store is opened or made. */
bool store_search_has(const struct store_search *ss, const char *name);
