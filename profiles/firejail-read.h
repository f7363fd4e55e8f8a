/* firejail's profile language, read as firejail (0.9.72) reads it, for
   `nook profile import firejail`: include, searched in the user's
   ~/.config/firejail and then /etc/firejail; every NAME.local (a missing
   one is no error); ignore; ?COND: lines, off unless asked for; the order
   of noblacklist and nowhitelist, which apply to the lines after them
   only. What the lines mean in nook is firejail-map.c's business. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

enum fj_kind {
        FJ_DIRECTIVE,   /* a line to translate */
        FJ_INCLUDE,     /* an include that was read: child is its file */
        FJ_NOTE,        /* a line the reader settled: note says how */
};

struct fj_item {
        enum fj_kind kind;
        unsigned line;
        char *written;          /* the line as written, trimmed */
        char *text;             /* the directive: ?COND: and a trailing comment removed */
        char *note;             /* FJ_NOTE */
        size_t child;           /* FJ_INCLUDE: index in fj_tree.files */
        size_t n_noblack;       /* noblacklist lines read before this one */
        size_t n_nowhite;       /* nowhitelist lines read before this one */
};

struct fj_file {
        char *path;
        char *description;      /* its "# Description: " comment, if any */
        struct fj_item *items;
        size_t n_items;
        size_t parent;          /* SIZE_MAX for the profile named */
};

struct fj_tree {
        struct fj_file *files;  /* files[0]: the profile named; one entry per inclusion */
        size_t n_files;
        char **noblack;         /* noblacklist patterns, in reading order, as written */
        size_t n_noblack;
        char **nowhite;
        size_t n_nowhite;
        char **ignore;
        size_t n_ignore;
};

struct fj_read_opts {
        char **with;            /* ?COND: names that are on */
        size_t n_with;
        const char *user_dir;   /* ~/.config/firejail */
        const char *sys_dir;    /* /etc/firejail, also ${CFG} */
        const char *home;
};

/* A profile named on the command line: a path when it has a '/', else
   NAME or NAME.profile in user_dir, then sys_dir. 0, or -ENOENT. */
int fj_find(const struct fj_read_opts *o, const char *name, char **path);

/* Reads path and what it includes. An error names file:line in e. */
int fj_read(const struct fj_read_opts *o, const char *path, struct fj_tree *t, struct nook_err *e);
void fj_tree_free(struct fj_tree *t);

/* The directive word of text ("whitelist") into word, and its argument
   (NULL when none). word must hold 64 bytes. */
const char *fj_split(const char *text, char word[64]);
