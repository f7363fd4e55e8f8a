/* What keeps nook's own files out of a sandbox's reach: its config
   directory, the profile search path and the run directories, kept
   read-only or hidden wherever a bind would show them, and refused when a
   symbolic link on their way could be replaced from inside. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "sandbox/plan.h"
#include "spec/spec.h"

struct profile_env;

/* A path to keep read-only inside, without symlinks. */
int run_protect_real(struct nook_spec *s, const char *path, struct nook_err *e);
/* Whether $NOOK_PROFILES_DIR takes the shipped library's place. */
bool run_profiles_dir_set(void);
int run_protect_search_path(struct nook_spec *s, const struct profile_env *pe, struct nook_err *e);
int run_canonical_sources(struct nook_spec *s, struct nook_err *e);
int run_check_protected_links(const struct plan *p, const char *path, const char *what, const char *var,
                              struct nook_err *e);
