#include "sandbox/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cred/caps.h"
#include "cred/idmap.h"
#include "sandbox/landlock.h"
#include "sandbox/seccomp-cache.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/timing.h"

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
static int close_other_fds(const struct nook_spec *s, int spare, int spare2, struct nook_err *e)
{
        int keep[s->n_keep_fds + 3];
        size_t n = 0;
        unsigned next = 3;

        for (size_t i = 0; i < s->n_keep_fds; i++)
                if (s->keep_fds[i] > 2)
                        keep[n++] = s->keep_fds[i];
        /* spare: kept open until exec, which closes it (close-on-exec) */
        if (spare > 2)
                keep[n++] = spare;
        if (spare2 > 2)
                keep[n++] = spare2;
        qsort(keep, n, sizeof(int), cmp_int);
        for (size_t i = 0; i < n; i++) {
                if ((unsigned)keep[i] < next)
                        continue;
                if (close_ranges(next, (unsigned)keep[i] - 1) < 0)
                        return nook_errf(e, errno, "cannot close inherited fds: %m");
                if (keep[i] != spare && keep[i] != spare2 && fcntl(keep[i], F_SETFD, 0) < 0)
                        return nook_errf(e, errno, "cannot pass fd %d: %m", keep[i]);
                next = (unsigned)keep[i] + 1;
        }
        if (close_ranges(next, ~0U) < 0)
                return nook_errf(e, errno, "cannot close inherited fds: %m");
        return 0;
}

/* An image sandbox starts from the image's Env, not the host's: only TERM
   comes along, and HOME and PATH get defaults when the image has none. */
static int image_env(const struct nook_spec *s, uid_t uid, struct nook_err *e)
{
        const char *term = getenv("TERM");
        char *keep = term ? strdup(term) : NULL;

        clearenv();
        for (size_t i = 0; i < s->n_image_env; i++) {
                const char *eq = strchr(s->image_env[i], '=');
                if (!eq || eq == s->image_env[i])
                        continue;
                char name[eq - s->image_env[i] + 1];
                memcpy(name, s->image_env[i], sizeof(name) - 1);
                name[sizeof(name) - 1] = '\0';
                setenv(name, eq + 1, 1);
        }
        if (keep)
                setenv("TERM", keep, 0);
        free(keep);
        setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
        setenv("HOME", uid == 0 ? "/root" : "/", 0);
        setenv("HOSTNAME", s->hostname ? s->hostname : "nook", 0);
        (void)e;
        return 0;
}

static uid_t run_uid(const struct nook_spec *s)
{
        return s->uid_set ? s->uid : s->run_as_set ? s->run_uid : 0;
}

static gid_t run_gid(const struct nook_spec *s)
{
        return s->gid_set ? s->gid : s->run_as_set ? s->run_gid : 0;
}

static int apply_env(const struct nook_spec *s, struct nook_err *e)
{
        if (s->n_layers && image_env(s, run_uid(s), e) < 0)
                return -EINVAL;
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

/* nook enter: the environment the sandbox's command started with, with the
   caller's terminal type. */
static int copy_env(char **env, struct nook_err *e)
{
        const char *term = getenv("TERM");
        char *keep = term ? strdup(term) : NULL;

        clearenv();
        for (size_t i = 0; env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || eq == env[i])
                        continue;
                char name[eq - env[i] + 1];
                memcpy(name, env[i], sizeof(name) - 1);
                name[sizeof(name) - 1] = '\0';
                if (setenv(name, eq + 1, 1) < 0) {
                        free(keep);
                        return nook_errf(e, errno, "cannot set the environment: %m");
                }
        }
        if (keep)
                setenv("TERM", keep, 1);
        free(keep);
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

/* The capabilities container users expect of root in an image (podman's
   default set); they act only inside the sandbox's user namespace. */
static const int image_root_caps[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
        CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT,
};

/* An image's user: pid 1 is root of the namespace; the command becomes the
   image's User= (or --uid), keeping its capabilities across the change so
   that it can still drop them. */
static int become_image_user(const struct nook_spec *s, struct nook_err *e)
{
        uid_t uid = run_uid(s);
        gid_t gid = run_gid(s);

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot keep capabilities: %m");
        /* denied under a single-id map (setgroups is "deny" there) */
        if (setgroups(0, NULL) < 0 && errno != EPERM)
                return nook_errf(e, errno, "cannot clear supplementary groups: %m");
        if (setresgid(gid, gid, gid) < 0)
                return nook_errf(e, errno, "cannot run as gid %u: %m (is it mapped? see --map)", (unsigned)gid);
        if (setresuid(uid, uid, uid) < 0)
                return nook_errf(e, errno, "cannot run as uid %u: %m (is it mapped? see --map)", (unsigned)uid);
        /* setresuid() emptied the effective set: take back what we may
           still need for dropping the rest */
        cap_t c = cap_get_proc();
        if (c) {
                cap_value_t v = CAP_SETPCAP;
                cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
                cap_set_proc(c);
                cap_free(c);
        }
        return 0;
}

static uint64_t caps_to_keep(const struct nook_spec *s, bool image)
{
        uint64_t keep = 0;

        if (s->caps_set)
                return s->caps_keep;
        if (image && run_uid(s) == 0)
                for (size_t i = 0; i < ARRAY_SIZE(image_root_caps); i++)
                        keep |= UINT64_C(1) << image_root_caps[i];
        return keep;
}

/* nook learn: the last step before exec. From here on this process's
   execve waits for the supervisor, which has the listener once the send
   returns. */
static int load_observed(const struct exec_ctx *x, struct nook_err *e)
{
        int listener = -1;

        /* The id changes made this process undumpable, so nook could not
           read the first execve's path from /proc/PID/mem; the exec itself
           makes it dumpable again (no set-id program runs here), and there
           is nothing left open but what the command gets. */
        if (prctl(PR_SET_DUMPABLE, 1) < 0)
                return nook_errf(e, errno, "cannot make the command readable to nook's observer: %m");
        int r = seccomp_prog_load_listener(x->seccomp, &listener, e);

        if (r < 0)
                return r;
        r = fd_send(x->notify_sock, listener);
        close(listener);
        close(x->notify_sock);
        if (r < 0)
                return nook_errf(e, -r, "cannot hand nook the seccomp listener: %m");
        return 0;
}

static int harden(const struct exec_ctx *x, struct nook_err *e)
{
        int r;

        if (x->nest) {
                r = idmap_nest_self(x->nest_uid, x->nest_gid, e);
                if (r < 0)
                        return r;
        }
        /* no_new_privs first: unprivileged seccomp needs it, and after the
           capability drop nothing could set it for us. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot set no_new_privs: %m");
        if (x->image) {
                r = become_image_user(x->spec, e);
                if (r < 0)
                        return r;
        }
        /* Mode=host with Allow=: Landlock, the only thing that can limit
           the host's own network stack for one process tree */
        if (landlock_net_applies(x->spec)) {
                r = landlock_restrict_net(x->spec, e);
                if (r < 0)
                        return r;
        }
        r = caps_keep_only(caps_to_keep(x->spec, x->image), !(x->image && run_uid(x->spec) == 0), e);
        if (r < 0)
                return r;
        if (x->seccomp && x->notify_sock > 2)
                return load_observed(x, e);
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
        r = x->environ ? copy_env(x->environ, &e) : apply_env(s, &e);
        if (r == 0)
                r = apply_limits(s, &e);
        if (r == 0)
                r = close_other_fds(s, x->exec_fail_fd, x->notify_sock, &e);
        if (r == 0)
                r = harden(x, &e);
        if (r < 0) {
                nook_err_print(&e);
                if (x->exec_fail_fd > 2 && write(x->exec_fail_fd, "x", 1) < 0)
                        _exit(125);
                _exit(125);
        }
        timing_mark(TIMING_EXEC);
        execvp(s->argv[0], s->argv);
        int err = errno;
        if (err == ENOENT && !strchr(s->argv[0], '/'))
                fprintf(stderr, "nook: cannot run '%s': command not found in the sandbox's PATH\n", nook_val(s->argv[0]));
        else
                fprintf(stderr, "nook: cannot run '%s': %s\n", nook_val(s->argv[0]), strerror(err));
        if (x->exec_fail_fd > 2 && write(x->exec_fail_fd, "x", 1) < 0)
                _exit(err == ENOENT ? 127 : 126);
        _exit(err == ENOENT ? 127 : 126);
}

/* The filter's options for s: one place, so that the filter and the
   audit's list of refusals are made from the same. */
static struct seccomp_opts filter_opts(const struct nook_spec *s, bool notify, bool audit)
{
        return (struct seccomp_opts){
                .deny = (const char *const *)s->syscall_deny,
                .allow = (const char *const *)s->syscall_allow,
                .tcp_only = landlock_net_applies(s),
                .fake_ids = s->fake_ids,
                .families_set = s->socket_families_set,
                .families = s->socket_families,
                .mdwe = s->mdwe,
                .notify = notify,
                .audit_denies = audit,
        };
}

static int build_filter(const struct nook_spec *s, bool notify, bool audit, struct seccomp_prog *out,
                        struct nook_err *e)
{
        *out = (struct seccomp_prog){ NULL, 0 };
        if (s->seccomp != SPEC_SECCOMP_DEFAULT)
                return 0;
        struct seccomp_opts o = filter_opts(s, notify, audit);
        return seccomp_cache_build(&o, out, e);
}

int exec_build_filter(const struct nook_spec *s, struct seccomp_prog *out, struct nook_err *e)
{
        return build_filter(s, false, false, out, e);
}

int exec_build_observed_filter(const struct nook_spec *s, bool audit, struct seccomp_prog *out, struct nook_err *e)
{
        return build_filter(s, true, audit, out, e);
}

int exec_audited_refusals(const struct nook_spec *s, struct seccomp_refusal **out, size_t *n, struct nook_err *e)
{
        struct seccomp_opts o = filter_opts(s, true, true);
        int r = seccomp_audited_refusals(&o, out, n);

        return r < 0 ? nook_errf(e, -r, "cannot list the calls the filter refuses: %m") : 0;
}
