/* nook learn: what the observer saw, as a profile that includes a base
   and adds only what was used beyond it. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "sandbox/observe.h"

/* More files than this read (or written) in one directory: the directory
   is bound instead. */
#define LEARN_DIR_THRESHOLD 16

/* A directory below the home that a profile variable names: a path under
   it is written ${NAME}/... (the longest such wins over ${HOME}). */
struct learn_var {
        const char *name;               /* "XDG_CONFIG_HOME", "DOWNLOADS", ... */
        char *path;
};

#define LEARN_VARS 4

struct learn_facts {
        const char *home;               /* the host's home, as the sandbox saw it */
        struct learn_var vars[LEARN_VARS];      /* those below the home */
        size_t n_vars;
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

/* path (below the home) as a profile value: ${VAR}/rest for the longest
   of lf's variables it is below, else ${HOME}/rest. Into buf; false when
   it does not fit. */
bool learn_home_value(const struct learn_facts *lf, const char *path, char *buf, size_t size);

/* value with a leading ${HOME} or ${VAR} of lf replaced by its path, so
   that two spellings of a path compare. Into buf; false when it does not fit. */
bool learn_value_path(const struct learn_facts *lf, const char *value, char *buf, size_t size);
