/* The run directory of one sandbox: sockets and logs of its helpers.
   $XDG_RUNTIME_DIR/nook/<pid>, or, without XDG_RUNTIME_DIR, a private
   /tmp/nook-<uid> whose owner and mode are checked before use. */
#pragma once

#include "sandbox/err.h"

int rundir_create(char **out, struct nook_err *e);
/* Removes the directory and the files in it (no subdirectories). */
void rundir_remove(const char *dir);
