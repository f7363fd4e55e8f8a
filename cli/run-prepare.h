/* `nook run` up to the launch: argv and the profiles to a spec, checked
   against the host, nook's own files protected, the plan and the seccomp
   filter made. Nothing is started here. */
#pragma once

#include "lib/err.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"
#include "spec/host.h"
#include "spec/spec.h"

int run_prepare(int argc, char **argv, struct nook_spec *spec, struct host_facts *host, struct plan *plan,
                struct seccomp_prog *prog, struct nook_err *e);
