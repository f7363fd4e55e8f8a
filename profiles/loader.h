/* Finding, loading and merging profiles: the search path, Include=, drop-ins,
   variables, then the merge (scalars: last wins; lists accumulate, an empty
   value clears) and its application to a spec. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "profiles/diag.h"
#include "profiles/keyfile.h"
#include "profiles/keys.h"
#include "profiles/vars.h"
#include "spec/host.h"
#include "spec/spec.h"

/* Entries from the command line carry this as their file. */
extern const char profile_cli_origin[];
bool profile_is_cli(const char *file);

#define PROFILE_MAX_DEPTH 16

struct profile_env {
        char *dirs[3];          /* search path, first match wins */
        size_t n_dirs;
        struct vars vars;
};

/* The search path: $XDG_CONFIG_HOME/nook/profiles, the system config dir,
   and the shipped library (or $NOOK_PROFILES_DIR in its place). */
int profile_env_init(struct profile_env *pe, const struct host_facts *h, struct nook_err *e);
void profile_env_free(struct profile_env *pe);

/* The file of a profile: NAME (".profile" added when missing) in the search
   path, or a path when it contains a '/'. Returns -ENOENT when none. */
int profile_find(const struct profile_env *pe, const char *name, char **path);

/* True when name is the name of a profile in the search path, or a path to
   a .profile file. */
bool profile_exists(const struct profile_env *pe, const char *name);

/* The names of the profiles in the search path, each once, sorted (a
   NULL-terminated vector, or NULL when there is none). */
int profile_names(const struct profile_env *pe, char ***names, size_t *n);

/* Loads a profile with its includes and drop-ins into kf, as one ordered
   stream of assignments. Problems go to d; returns 0 or -EINVAL/-ENOMEM. */
int profile_load(const struct profile_env *pe, const char *name, struct keyfile *kf, struct diag *d);

struct resolved_value {
        char *value;            /* variables expanded */
        char *file;
        unsigned line;
};

struct resolved_list {
        struct resolved_value *v;
        size_t n;
};

struct resolved {
        struct resolved_list *keys;     /* one per entry of key_table */
};

int profile_resolve(const struct profile_env *pe, const struct keyfile *kf, struct resolved *r, struct diag *d);
void resolved_free(struct resolved *r);

/* Applies every resolved value to spec, in key-table order. */
int profile_apply(const struct resolved *r, struct nook_spec *spec, struct diag *d);

/* Prints the merged profile as a keyfile, each value annotated with the
   file:line it came from. */
void profile_print(const struct resolved *r, FILE *out);
