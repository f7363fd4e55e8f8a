/* ${VARIABLES} and a leading ~/ in profile values. */
#pragma once

#include "lib/err.h"
#include "spec/host.h"

enum {
        VAR_HOME, VAR_USER, VAR_UID, VAR_GID, VAR_XDG_RUNTIME_DIR, VAR_XDG_CONFIG_HOME,
        VAR_XDG_DATA_HOME, VAR_XDG_CACHE_HOME, VAR_DOWNLOADS, VAR_CWD, VAR_COUNT,
};

struct vars {
        char *v[VAR_COUNT];     /* v[VAR_DOWNLOADS] stays NULL: see *downloads */
        /* ${DOWNLOADS}, read from user-dirs.dirs the first time a value
           names it (most runs never do): a slot of its own, so that a
           const struct vars can fill it */
        char **downloads;
};

/* Reads the values from the host facts and the environment (XDG_* with
   their XDG defaults; DOWNLOADS from user-dirs.dirs when first used). */
int vars_init(struct vars *vs, const struct host_facts *h, struct nook_err *e);
void vars_free(struct vars *vs);

/* Expands ${NAME} (and ${PROFILE_DIR} as profile_dir), "$$" to "$", and "~/"
   at the start of the value or right after a ':'. An unknown or unset
   variable is an error, never an empty string. Returns a new string. */
int vars_expand(const struct vars *vs, const char *profile_dir, const char *in, char **out, struct nook_err *e);
