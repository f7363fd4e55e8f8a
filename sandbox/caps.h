/* Capabilities of the command: none, in every set. */
#pragma once

#include <stdint.h>

#include "sandbox/err.h"

/* Empties the bounding, ambient, inheritable, permitted and effective sets
   and locks the securebits so that uid 0 inside regains nothing at exec. */
int caps_drop_all(struct nook_err *e);

/* The same, but keeps the capabilities of the mask `keep` (bit N =
   capability N) in every set, ambient included, so that they survive exec
   as any uid. They act only inside the sandbox's user namespace. */
int caps_keep_only(uint64_t keep, struct nook_err *e);
