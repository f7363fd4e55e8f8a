/* `nook run`: the top sequence. In the background when -d asks (run-detach),
   argv to a spec, plan and filter (run-prepare), the id map an image needs,
   the name claimed, then launch. */
#include "cli/cmd-run.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/run-detach.h"
#include "cli/run-prepare.h"
#include "cred/userns.h"
#include "sandbox/launch.h"
#include "state/runstate.h"

int cmd_run(int argc, char **argv)
{
        struct nook_spec spec;
        struct host_facts host = { 0 };
        struct plan plan = { 0 };
        struct seccomp_prog prog = { 0 };
        struct nook_err e = { 0 };
        int status = NOOK_EXIT_FAILURE;
        int r, ready_fd = -1;
        char log[4200] = "";

        struct detach d = { 0 };
        bool detach = run_wants_detach(argc, argv, &d);
        int dr = detach ? run_detached(&d, log, sizeof(log), &ready_fd) : -1;
        free(d.keep);
        if (dr >= 0)
                return dr;
        spec_init(&spec);
        r = run_prepare(argc, argv, &spec, &host, &plan, &prog, &e);
        if (r == 1)
                status = 0;     /* --help or --version */
        /* an image keeps its files' owners through the subordinate ids */
        struct userns_map map;
        if (r == 0 && spec.image) {
                r = userns_map_choose(&map, (enum userns_mode)spec.map_mode, &e);
                if (r == 0 && !map.range && spec.map_mode == USERNS_AUTO && spec.verbose)
                        fprintf(stderr, "nook: no /etc/subuid range: the image's files all belong to you inside\n");
        }
        if (r == 0 && spec.share_net && spec.verbose)
                fprintf(stderr, "nook: warning: --net host shares the host's network: every address it reaches, the services on its loopback%s\n",
                        spec.n_net_rules ? "" : " and its abstract unix sockets");
        if (r == 0)
                r = runstate_claim_name(&spec, &e);
        if (r == 0) {
                struct launch_ctx c = {
                        .spec = &spec,
                        .host = &host,
                        .plan = &plan,
                        .seccomp = spec.seccomp == SPEC_SECCOMP_DEFAULT ? &prog : NULL,
                        .map = spec.image ? &map : NULL,
                        .ready_fd = ready_fd,
                        .log = log[0] ? log : NULL,
                };
                r = launch_run(&c, &status, &e);
                runstate_release_name(&spec);
        }
        if (r < 0) {
                nook_err_print(&e);
                status = NOOK_EXIT_FAILURE;
        }
        seccomp_prog_free(&prog);
        plan_free(&plan);
        host_facts_free(&host);
        spec_free(&spec);
        return status;
}
