/* firejail's directives into nook's keys, for `nook profile import
   firejail`: semantics, not syntax. firejail starts from the whole host
   and hides; nook starts from little and binds. Each directive becomes
   keys that carry it as a comment, or a comment that says why nothing is
   needed (nook's default) or why nothing can be done rootless
   ("# unsupported: LINE (why)"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "profiles/firejail-read.h"

struct fj_glob_cache;

/* Writes one included file's translation (text) as a nook include file
   beside the output and says its name (a file name, no directory):
   base names it ("firejail-disable-common.profile"); the writer may pick
   another name when a different translation is there already. */
typedef int (*fj_place_fn)(void *ctx, const char *base, const char *text, char **name, struct nook_err *e);

struct fj_map_opts {
        const char *home;               /* the host's home, for ${HOME} and globs below it */
        const char *runuser;            /* /run/user/UID: firejail's ${RUNUSER} */
        const char *cfg;                /* /etc/firejail: ${CFG} */
        const char *userdirs[6];        /* DESKTOP DOCUMENTS DOWNLOADS MUSIC PICTURES VIDEOS, below home */
        fj_place_fn place;
        void *place_ctx;
        struct fj_glob_cache *cache;    /* globs of the host, kept across profiles */
};

struct fj_output {
        char *text;                     /* the nook profile */
        char **unsupported;             /* "file:line: LINE (why)" */
        size_t n_unsupported;
};

/* name: the profile's name (firejail's file name without .profile). */
int fj_map(const struct fj_tree *t, const char *name, const struct fj_map_opts *o, struct fj_output *out,
           struct nook_err *e);
void fj_output_free(struct fj_output *out);

struct fj_glob_cache *fj_glob_cache_new(void);
void fj_glob_cache_free(struct fj_glob_cache *c);
