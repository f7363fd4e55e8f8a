/* nook learn: what the observer saw, as a profile that includes a base
   and adds only what was used beyond it. */
#pragma once

#include <stdio.h>

#include "lib/err.h"
#include "sandbox/observe.h"

/* More files than this read (or written) in one directory: the directory
   is bound instead. */
#define LEARN_DIR_THRESHOLD 16

struct learn_facts {
        const char *home;               /* the host's home, as the sandbox saw it */
        const char *cwd;                /* the current directory, or NULL */
        const char *base;               /* the profile to include */
        char *const *talk;              /* D-Bus names called (--dbus filtered) */
        size_t n_talk;
        const char *runtime;            /* $XDG_RUNTIME_DIR, or NULL: where the
                                           display and sound servers' sockets are */
        char *const *argv;              /* the command learnt */
};

/* Writes the profile to f. Binds are home paths only (the base shows the
   system read-only): ${HOME}-relative, read-only unless written, only
   those that exist now; the current directory as Cwd=; the network from
   connect()'s destinations. */
int learn_profile_write(FILE *f, const struct observed *o, const struct learn_facts *lf, struct nook_err *e);
