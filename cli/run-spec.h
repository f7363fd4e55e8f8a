/* From `nook run`'s parsed options and the profiles to one spec: the
   profile loaded under the options, podman's --user and --entrypoint, an
   image's config, the command chosen. */
#pragma once

#include "cli/run-options.h"
#include "lib/err.h"
#include "spec/spec.h"

struct profile_env;

/* Profile, then options, merged into one spec s. */
int run_build_spec(struct run_args *a, const struct profile_env *pe, struct nook_spec *s, struct nook_err *e);

/* Parses `nook run` options (argv[0] is "run") into spec. Returns 0, or 1
   when --help was printed, or a negative errno with e filled. */
int run_parse_args(int argc, char **argv, struct nook_spec *spec, struct nook_err *e);
