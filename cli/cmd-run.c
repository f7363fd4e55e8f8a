/* `nook run`: the top sequence. Into the background when -d asks
   (run-detach.c); argv to a spec, checked, with its plan and filter
   (run-prepare.c, which chooses the id map an image needs); the name
   claimed, then the launch (sandbox/launch.c). */
#include "cli/cmd-run.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/run-audit.h"
#include "cli/run-detach.h"
#include "cli/run-options.h"
#include "cli/run-prepare.h"
#include "cred/userns.h"
#include "lib/timing.h"
#include "sandbox/launch.h"
#include "state/runstate.h"

int cmd_run_launch(struct run_setup *rs, const struct detached *bg, int *status, struct nook_err *e)
{
        struct nook_spec *s = &rs->spec;

        if (s->share_net && s->verbose)
                fprintf(stderr, "nook: warning: --net host shares the host's network: every address it reaches, the services on its loopback%s\n",
                        s->n_net_rules ? "" : " and its abstract unix sockets");
        int r = runstate_claim_name(s, e);
        if (r < 0)
                return r;
        struct launch_ctx c = {
                .spec = s,
                .host = &rs->host,
                .plan = &rs->plan,
                .seccomp = s->seccomp == SPEC_SECCOMP_DEFAULT ? &rs->prog : NULL,
                .map = s->image ? &rs->map : NULL,
                .ready_fd = bg->ready_fd,
                .log = bg->log,
                .notify_sock = rs->notify_sock,
                .squashfs = &rs->squashfs,
        };
        r = launch_run(&c, status, e);
        runstate_release_name(s);
        timing_mark(TIMING_END);
        timing_report();
        return r;
}

int cmd_run(int argc, char **argv)
{
        struct detached bg;
        struct run_setup rs;
        struct nook_err e = { 0 };
        int status = NOOK_EXIT_FAILURE;

        if (run_detach(argc, argv, &bg, &status) == DETACH_CALLER)
                return status;
        run_setup_init(&rs);
        int r = run_prepare(argc, argv, &rs, &e);
        if (r == RUN_HELP_PRINTED)
                status = 0;
        else if (r == 0 && rs.spec.audit)
                r = run_audited(&rs, &bg, &status, &e);
        else if (r == 0)
                r = cmd_run_launch(&rs, &bg, &status, &e);
        if (r < 0) {
                nook_err_print(&e);
                status = NOOK_EXIT_FAILURE;
        }
        run_setup_free(&rs);
        free(bg.log);
        return status;
}
