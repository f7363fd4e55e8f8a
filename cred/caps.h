/* Capabilities of the command: none, in every set. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

/* Empties the bounding, ambient, inheritable, permitted and effective sets
   and locks the securebits so that uid 0 inside regains nothing at exec. */
int caps_drop_all(struct nook_err *e);

/* The same, but keeps the capabilities of the mask `keep` (bit N =
   capability N) in every set, ambient included, so that they survive exec
   as any uid. They act only inside the sandbox's user namespace. lock
   also locks the securebits (uid 0 gains nothing at exec, setuid() never
   changes capabilities); an image's root runs without, as in podman. */
int caps_keep_only(uint64_t keep, bool lock, struct nook_err *e);
