/* nook.conf(5): the site's defaults (/etc/nook/nook.conf, an admin's), then
   the user's ($XDG_CONFIG_HOME/nook/nook.conf), in the profiles' keyfile
   syntax; the environment (NOOK_STORE, NOOK_OVERLAY, ...) over both, and
   options over everything (the caller's part). Every value remembers where
   it came from, for `nook info`. */
#pragma once

#include <stddef.h>

#include "profiles/diag.h"
#include "profiles/vars.h"

enum conf_key {
        CONF_STORE_PATH,        /* [Store] Path=: the writable image store */
        CONF_STORE_SHARED,      /* [Store] Shared=: read-only stores, repeatable */
        CONF_OVERLAY,           /* [Defaults] Overlay=auto|kernel|fuse */
        CONF_NETWORK,           /* [Defaults] Network=none|host|slirp|pasta */
        CONF_MAP,               /* [Defaults] Map=auto|single|range */
        CONF_FAKE_IDS,          /* [Defaults] FakeIds=auto|yes|no */
        CONF_RUNTIME_DIR,       /* [Run] RuntimeDir=: run state without XDG_RUNTIME_DIR */
        CONF_COUNT,
};

struct conf_value {
        char *value;            /* NULL: set nowhere, the built-in default holds */
        char *origin;           /* "FILE:LINE", "environment NOOK_X"; NULL with value */
};

struct nook_conf {
        struct conf_value v[CONF_COUNT];        /* the last assignment wins */
        struct conf_value *shared;              /* every Shared=, in order */
        size_t n_shared;
};

/* "[Store] Path" and the like; the environment variable that overrides it. */
const char *conf_key_name(enum conf_key k);
const char *conf_key_env(enum conf_key k);
/* The value a key has when nothing sets it, as `nook info` shows it. */
const char *conf_key_default(enum conf_key k);

/* Reads the files (a missing one is no error; NULL skips it) and then the
   environment. Values are checked as profiles are: every problem goes to d
   as "FILE:LINE: ..." and the function returns -EINVAL after reading
   everything; paths accept ${HOME}-style variables and ~/ (vs may be NULL:
   then a value with a variable is refused). */
int conf_load(struct nook_conf *c, const char *site_file, const char *user_file, const struct vars *vs,
              struct diag *d);
void conf_free(struct nook_conf *c);

/* The value of k, or NULL when the built-in default applies. */
static inline const char *conf_get(const struct nook_conf *c, enum conf_key k)
{
        return c->v[k].value;
}
