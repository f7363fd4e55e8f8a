/* What keeps nook's own files out of a sandbox's reach: its config
   directory, the profile search path and the run directories, kept
   read-only or hidden wherever a bind would show them, and refused when a
   symbolic link on their way could be replaced from inside. */
#pragma once

#include "lib/err.h"
#include "sandbox/plan.h"
#include "spec/host.h"
#include "spec/spec.h"

struct profile_env;

/* Before the plan: the config directory and the run directories made (so
   that no sandbox makes them first), the run directories listed in host,
   the config directory and the profile search path added to s->protect,
   bind sources made canonical (the plan compares paths). */
int run_protect_nooks_own(struct nook_spec *s, struct host_facts *host, const struct profile_env *pe,
                          struct nook_err *e);
/* After it: no symbolic link on the way to one of them lies where a
   read-write bind of the plan shows it. */
int run_check_protected_paths(const struct plan *p, const struct host_facts *host, const struct profile_env *pe,
                              struct nook_err *e);
