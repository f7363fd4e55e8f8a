/* The profile file format: a systemd-style keyfile. [Section] headers,
   Key=Value assignments, '#' and ';' comment lines, a trailing backslash
   continuing a line, and " #" starting a comment after a value. This file
   knows nothing of what the keys mean. */
#pragma once

#include <stddef.h>

#include "profiles/diag.h"

struct kf_entry {
        char *section;
        char *key;
        char *value;            /* trimmed; "" for an empty assignment */
        const char *file;       /* owned by the keyfile's file list */
        unsigned line;
};

struct keyfile {
        struct kf_entry *v;
        size_t n;
        char **files;           /* every file name referenced by an entry */
        size_t n_files;
};

void keyfile_init(struct keyfile *kf);
void keyfile_free(struct keyfile *kf);

/* Parses text (len bytes, need not be NUL-terminated) named file and
   appends its entries to kf. Every malformed line is reported to d (and
   skipped); returns the number of errors found, or -ENOMEM. */
int keyfile_parse(struct keyfile *kf, const char *text, size_t len, const char *file, struct diag *d);

/* Remembers a file name for entries; returns the stored copy or NULL. */
const char *keyfile_intern(struct keyfile *kf, const char *file);

/* Appends one entry (copied). */
int keyfile_add(struct keyfile *kf, const char *section, const char *key, const char *value,
                const char *file, unsigned line);
