/* `nook run` up to the launch: argv and the profiles to a spec, checked
   against the host, nook's own files protected, the plan and the seccomp
   filter made. Nothing is started here. */
#pragma once

#include "cred/userns.h"
#include "lib/err.h"
#include "sandbox/launch.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"
#include "spec/host.h"
#include "spec/spec.h"

/* What the launch is given. */
struct run_setup {
        struct nook_spec spec;
        struct host_facts host;
        struct plan plan;
        struct seccomp_prog prog;       /* empty with Seccomp=none */
        struct userns_map map;          /* an image sandbox's ids */
        int notify_sock;                /* nook learn: the sandbox's end of the
                                           listener's socket; 0: none */
        struct squashfs_helper squashfs; /* a squashfs image's reader, started
                                            here, taken over by the launch */
};

void run_setup_init(struct run_setup *rs);
void run_setup_free(struct run_setup *rs);

/* The steps in order: host facts, profile search path, argv to a spec
   (run-spec.c), the environment, the host paths it names (a private home,
   the desktop's), an image's ids and FakeIds= (run-ids.c), the checks against the host (run-checks.c), nook's own
   files protected (run-protect.c), the plan, the seccomp filter. Returns 0,
   RUN_HELP_PRINTED (run-options.h), or a negative errno with e filled. */
int run_prepare(int argc, char **argv, struct run_setup *rs, struct nook_err *e);
