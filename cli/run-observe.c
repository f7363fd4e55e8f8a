#include "cli/run-observe.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cmd-run.h"
#include "sandbox/exec.h"

int run_observed(struct run_setup *rs, const struct detached *bg, bool audit, struct observed *seen, int *status,
                 struct nook_err *e)
{
        int sv[2];
        struct observer *ob = NULL;

        if (rs->spec.seccomp != SPEC_SECCOMP_DEFAULT)
                return nook_errf(e, EINVAL, "%s observes through the seccomp filter: Seccomp=none cannot be %s",
                                 audit ? "nook run --audit" : "nook learn", audit ? "audited" : "learnt");
        seccomp_prog_free(&rs->prog);
        int r = exec_build_observed_filter(&rs->spec, audit, &rs->prog, e);
        if (r < 0)
                return r;
        /* --audit: the calls the filter refuses come to the observer, which
           refuses them too (it is the same list) */
        struct seccomp_refusal *refusals = NULL;
        size_t n_refusals = 0;
        r = audit ? exec_audited_refusals(&rs->spec, &refusals, &n_refusals, e) : 0;
        if (r < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                free(refusals);
                return nook_errf(e, errno, "cannot create a socket pair: %m");
        }
        r = observe_start(sv[0], audit, refusals, n_refusals, rs->spec.hide, rs->spec.n_hide, &ob, e);
        if (r < 0) {
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        rs->notify_sock = sv[1];
        r = cmd_run_launch(rs, bg, status, e);
        close(sv[1]);
        rs->notify_sock = 0;
        observe_finish(ob, seen);
        return r;
}
