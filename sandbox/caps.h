/* Capabilities of the command: none, in every set. */
#pragma once

#include "sandbox/err.h"

/* Empties the bounding, ambient, inheritable, permitted and effective sets
   and locks the securebits so that uid 0 inside regains nothing at exec. */
int caps_drop_all(struct nook_err *e);
