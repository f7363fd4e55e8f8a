/* What firejail-map.c and firejail-fs.c share: the facts of the whole
   profile, one file's translation in progress, the keys and comments it
   gets, and firejail's macros expanded against the host. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/strutil.h"
#include "profiles/firejail-map.h"

enum fj_section { FJ_RUN, FJ_FS, FJ_NET, FJ_SEC, FJ_LIM, FJ_DESK, FJ_NSECTIONS };

/* What a line means may depend on lines elsewhere in the profile (a
   private-etc decides which blacklists of /etc can be hidden): these are
   read from every file first. */
struct fj_facts {
        char **etc;                     /* private-etc entries */
        size_t n_etc;
        char **bin;                     /* private-bin programs */
        size_t n_bin;
        char **ro;                      /* read-only, host paths */
        size_t n_ro;
        char **rw;                      /* read-write, host paths */
        size_t n_rw;
        char **wl;                      /* whitelisted host paths (globs expanded) */
        size_t n_wl;
        char **bl;                      /* blacklisted host paths, without links, that no noblacklist names */
        size_t n_bl;
        bool net_none, x11_none, nosound, no3d, dbus_none, dbus_filter, usr_share_wl, opt_wl;
        bool home_wl;                   /* a whitelist below the home */
        bool private_home;              /* 'private' */
        bool home_shown;                /* neither: firejail shows the home, noblacklist binds */
};

struct fj_ctx {
        const struct fj_tree *t;
        const struct fj_map_opts *o;
        struct fj_facts f;
        struct fj_output *out;
        struct nook_err *e;
        int err;                        /* the first failure (-ENOMEM), else 0 */
        char ***noblack;                /* t->noblack expanded, one list each */
        size_t *n_noblack;
};

/* One file's translation. */
struct fj_emit {
        struct fj_ctx *c;
        size_t file;
        const struct fj_item *it;       /* the line being translated */
        struct buf head;                /* [Profile] lines */
        struct buf notes;               /* comments */
        struct buf sec[FJ_NSECTIONS];
};

const char *fj_section_name(enum fj_section s);
/* A line of section s, as it is. */
void fj_raw(struct fj_emit *m, enum fj_section s, const char *line);
/* KEY=VALUE (value already escaped), with the line as its comment. */
void fj_key(struct fj_emit *m, enum fj_section s, const char *key, const char *value);
void fj_keyf(struct fj_emit *m, enum fj_section s, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "# LINE: why" */
void fj_note(struct fj_emit *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# unsupported: LINE (why)", and listed for stderr. */
void fj_unsupported(struct fj_emit *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fj_oom(struct fj_ctx *c);

/* firejail's macros (${HOME}, ~/, ${CFG}, ${RUNUSER}, ${PATH} (one path a
   directory of firejail's PATH), ${DESKTOP}, ${DOCUMENTS}, ${DOWNLOADS},
   ${MUSIC}, ${PICTURES}, ${VIDEOS}) into host paths. -EINVAL for a macro
   firejail does not have. */
int fj_expand(const struct fj_ctx *c, const char *arg, char ***paths, size_t *n);
/* The host paths that pattern names now (itself when it has no glob
   characters and exists); lstat, not stat. Kept in the cache. */
int fj_glob(struct fj_ctx *c, const char *pattern, char ***paths, size_t *n);
bool fj_has_glob(const char *s);
/* A host path in nook's words: ${HOME}/... below the home, escaped for a
   profile value ($ as $$, a # after a blank as \#). */
char *fj_nook_path(const struct fj_ctx *c, const char *host);
char *fj_esc(const char *s);
/* path without links (realpath(3)), itself when it does not exist; cached. */
char *fj_canonical(struct fj_ctx *c, const char *path);
/* Whether a noblacklist (or nowhitelist) read before the line matches path. */
int fj_expand_noblack(struct fj_ctx *c);
void fj_free_noblack(struct fj_ctx *c);
bool fj_listed_before(const struct fj_ctx *c, char *const *pats, size_t n, const char *path);
bool fj_strv_has(char *const *v, size_t n, const char *s);
