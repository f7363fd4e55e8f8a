/* Desktop entries (.desktop files, and D-Bus .service files, which share
   their syntax) as the freedesktop.org Desktop Entry Specification writes
   them: read line by line, a key changed or added in its group, written
   back with every other line (comments, translations, groups nook does not
   know) as it was. And Exec='s quoting, undone into words. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"

struct dentry_line {
        char *text;             /* the line as it is written, without its newline */
        char *group;            /* the group it is in ("" before the first) */
        char *key;              /* "Exec", "Name[de]"; NULL for a comment, blank or header */
        char *value;            /* raw, as written after '=' */
};

struct dentry {
        struct dentry_line *lines;
        size_t n;
        uint64_t hash;          /* FNV-1a of the bytes read: to tell a changed file */
};

/* The most of a desktop file nook reads. */
#define DENTRY_MAX (1u << 20)

/* Reads path (links followed: a system entry may be one); a file that is
   not text of desktop-entry lines is refused with e naming it. */
int dentry_read(const char *path, struct dentry *d, struct nook_err *e);
void dentry_free(struct dentry *d);

/* The raw value of key in group, or NULL. */
const char *dentry_get(const struct dentry *d, const char *group, const char *key);
/* Sets key in group: the line replaced where it is, else added at the end
   of the group. -ENOMEM or -ENOENT (no such group). */
int dentry_set(struct dentry *d, const char *group, const char *key, const char *value);
/* Every group's name, in order (a vector to free with strv_free). */
char **dentry_groups(const struct dentry *d);
int dentry_write(const struct dentry *d, FILE *f);

/* FNV-1a, 64 bits. */
uint64_t dentry_hash(const void *data, size_t len);

/* An Exec= value into its words: string escapes (\s \n \t \r \\) undone,
   then the quoting of Exec ("..." with \" \` \$ \\ inside). -EINVAL on a
   quote left open. */
int exec_split(const char *value, char ***argv, struct nook_err *e);
