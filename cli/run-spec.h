/* From `nook run`'s argv and the profiles to one spec: the options parsed,
   the profile loaded under them, podman's --user and --entrypoint, an
   image's config, the command chosen. */
#pragma once

#include "lib/err.h"
#include "spec/spec.h"

struct nook_conf;
struct profile_env;

/* What cmd_run does with argv (argv[0] is "run") to have a spec: the
   profiles pe finds, the image store, and (for --user) the host's users
   are read; nothing is made or started. conf (nook.conf, may be NULL)
   gives the defaults under the profile and the options. Returns 0,
   RUN_HELP_PRINTED (run-options.h), or a negative errno with e filled. */
int run_spec_from_argv(int argc, char **argv, const struct nook_conf *conf, const struct profile_env *pe,
                       struct nook_spec *s, struct nook_err *e);
