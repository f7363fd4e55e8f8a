#include "sandbox/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/caps.h"

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

static int close_ranges(unsigned lo, unsigned hi)
{
        if (lo > hi)
                return 0;
        return (int)syscall(SYS_close_range, lo, hi, 0);
}

/* Closes every fd above 2 except those passed with --fd, which lose
   close-on-exec so that they reach the command. */
static int close_other_fds(const struct nook_spec *s, struct nook_err *e)
{
        int keep[s->n_keep_fds + 1];
        size_t n = 0;
        unsigned next = 3;

        for (size_t i = 0; i < s->n_keep_fds; i++)
                if (s->keep_fds[i] > 2)
                        keep[n++] = s->keep_fds[i];
        qsort(keep, n, sizeof(int), cmp_int);
        for (size_t i = 0; i < n; i++) {
                if ((unsigned)keep[i] < next)
                        continue;
                if (close_ranges(next, (unsigned)keep[i] - 1) < 0)
                        return nook_errf(e, errno, "cannot close inherited fds: %m");
                if (fcntl(keep[i], F_SETFD, 0) < 0)
                        return nook_errf(e, errno, "cannot pass fd %d: %m", keep[i]);
                next = (unsigned)keep[i] + 1;
        }
        if (close_ranges(next, ~0U) < 0)
                return nook_errf(e, errno, "cannot close inherited fds: %m");
        return 0;
}

static int apply_env(const struct nook_spec *s, struct nook_err *e)
{
        if (s->clearenv && clearenv() != 0)
                return nook_errf(e, ENOMEM, "cannot clear the environment");
        for (size_t i = 0; i < s->n_env; i++) {
                const struct spec_env *v = &s->env[i];
                int r;
                if (v->op == SPEC_ENV_SET) {
                        const char *eq = strchr(v->arg, '=');
                        char name[eq - v->arg + 1];
                        memcpy(name, v->arg, sizeof(name) - 1);
                        name[sizeof(name) - 1] = '\0';
                        r = setenv(name, eq + 1, 1);
                } else {
                        r = unsetenv(v->arg);
                }
                if (r < 0)
                        return nook_errf(e, errno, "cannot set the environment (%s): %m", v->arg);
        }
        return 0;
}

static int apply_limits(const struct nook_spec *s, struct nook_err *e)
{
        static const int resource[SPEC_LIMIT_COUNT] = {
                [SPEC_LIMIT_NOFILE] = RLIMIT_NOFILE, [SPEC_LIMIT_NPROC] = RLIMIT_NPROC,
                [SPEC_LIMIT_CPU] = RLIMIT_CPU, [SPEC_LIMIT_FSIZE] = RLIMIT_FSIZE,
                [SPEC_LIMIT_CORE] = RLIMIT_CORE, [SPEC_LIMIT_STACK] = RLIMIT_STACK,
                [SPEC_LIMIT_AS] = RLIMIT_AS,
        };

        for (int i = 0; i < SPEC_LIMIT_COUNT; i++) {
                if (!s->limits[i].set)
                        continue;
                rlim_t v = s->limits[i].value == UINT64_MAX ? RLIM_INFINITY : (rlim_t)s->limits[i].value;
                struct rlimit rl = { v, v };
                if (setrlimit(resource[i], &rl) < 0)
                        return nook_errf(e, errno, "cannot set resource limit %d to %llu: %m", resource[i],
                                         (unsigned long long)v);
        }
        return 0;
}

static int harden(const struct exec_ctx *x, struct nook_err *e)
{
        int r;

        /* no_new_privs first: unprivileged seccomp needs it, and after the
           capability drop nothing could set it for us. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot set no_new_privs: %m");
        r = caps_keep_only(x->spec->caps_set ? x->spec->caps_keep : 0, e);
        if (r < 0)
                return r;
        if (x->seccomp)
                return seccomp_prog_load(x->seccomp, e);
        return 0;
}

_Noreturn void exec_command(const struct exec_ctx *x)
{
        const struct nook_spec *s = x->spec;
        struct nook_err e = { 0 };
        int r;

        sigprocmask(SIG_SETMASK, x->sigmask, NULL);
        r = apply_env(s, &e);
        if (r == 0)
                r = apply_limits(s, &e);
        if (r == 0)
                r = close_other_fds(s, &e);
        if (r == 0)
                r = harden(x, &e);
        if (r < 0) {
                nook_err_print(&e);
                _exit(125);
        }
        execvp(s->argv[0], s->argv);
        int err = errno;
        if (err == ENOENT && !strchr(s->argv[0], '/'))
                fprintf(stderr, "nook: cannot run '%s': command not found in the sandbox's PATH\n", s->argv[0]);
        else
                fprintf(stderr, "nook: cannot run '%s': %s\n", s->argv[0], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
}
