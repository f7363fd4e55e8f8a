/* `nook run` up to the launch: argv and the profiles to a spec, checked
   against the host, nook's own files protected, the plan and the seccomp
   filter made. Nothing is started here. */
#include "cli/run-prepare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/run-checks.h"
#include "cli/run-options.h"
#include "cli/run-protect.h"
#include "cli/run-spec.h"
#include "desktop/desktop.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "profiles/loader.h"
#include "sandbox/landlock.h"
#include "state/rundir.h"

/* Home=private: $XDG_DATA_HOME/nook/homes/PROFILE, made once and kept. */
static int prepare_private_home(struct nook_spec *s, const struct profile_env *pe, struct nook_err *e)
{
        char *dir = NULL;
        struct stat st;

        if (asprintf(&dir, "%s/nook/homes/%s", pe->vars.v[VAR_XDG_DATA_HOME], s->profile_name) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        s->home_source = dir;
        int r = mkdir_p(dir, 0700);
        if (r < 0)
                return nook_errf(e, -r, "cannot create the private home %s: %m (check that XDG_DATA_HOME is writable, or use Home=tmpfs)", dir);
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return nook_errf(e, ENOTDIR, "the private home %s is not a directory", dir);
        if (access(dir, W_OK) < 0)
                return nook_errf(e, errno, "the private home %s is not writable: %m (fix its permissions, or use Home=tmpfs)", dir);
        return 0;
}

/* -v: which of the caller's variables the command does not get */
static void say_dropped_env(const struct nook_spec *s)
{
        _cleanup_free_ char *names = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&names, &len);

        for (size_t i = 0; f && i < s->n_env_dropped; i++)
                fprintf(f, "%s%s", i ? " " : "", s->env_dropped[i]);
        if (!f || fclose(f) != 0)
                return;
        nook_say("not passed to the command, as they look like secrets: %s (pass one with --env NAME)", names);
}

int run_prepare(int argc, char **argv, struct nook_spec *spec, struct host_facts *host, struct plan *plan,
                       struct seccomp_prog *prog, struct nook_err *e)
{
        struct profile_env pe = { 0 };
        struct run_args a;
        int r;

        run_args_init(&a);
        r = host_facts_read(host, e);
        if (r == 0)
                r = profile_env_init(&pe, host, e);
        if (r == 0)
                r = run_args_parse(&a, argc, argv, &pe, e);
        if (r == 0)
                r = run_build_spec(&a, &pe, spec, e);
        if (r == 0)
                r = spec_env_resolve(spec, environ, e);
        if (r == 0 && spec->verbose && spec->n_env_dropped)
                say_dropped_env(spec);
        if (r == 0 && spec->home == SPEC_HOME_PRIVATE)
                r = prepare_private_home(spec, &pe, e);
        if (r == 0) {
                r = desktop_resolve(spec, spec_command_uid(spec, host->uid), spec_command_gid(spec, host->gid), e);
        }
        if (r == 0)
                r = run_check_network(spec, host, e);
        if (r == 0)
                r = run_check_host_inputs(spec, e);
        /* The config directory is protected by a read-only bind where a
           sandbox can see it, which needs it to exist: otherwise a sandbox
           with the home in view could create it and plant a profile. */
        if (r == 0 && host->nook_config)
                (void)mkdir_p(host->nook_config, 0700);
        /* the run directories hold what nook enter and stop trust, and
           other sandboxes' sockets: hidden wherever a bind would show them,
           so there (made) before the plan */
        char base[4096];
        rundir_base(base, sizeof(base));
        if (r == 0) {
                int fd = rundir_open_base(e);
                if (fd < 0)
                        r = fd;
                else
                        close(fd);
                if (r == 0 && rundir_all_bases(host->nook_run, ARRAY_SIZE(host->nook_run), &host->n_nook_run) < 0)
                        r = nook_errf(e, ENOMEM, "out of memory");
        }
        if (r == 0 && host->nook_config)
                r = run_protect_real(spec, host->nook_config, e);
        if (r == 0)
                r = run_protect_search_path(spec, &pe, e);
        if (r == 0)
                r = run_canonical_sources(spec, e);
        if (r == 0)
                r = plan_build(spec, host, plan, e);
        if (r == 0 && plan->cwd_is_home && spec->verbose)
                fprintf(stderr, "nook: the current directory %s is your home or above it: not bound (share your home with --bind %s, or --home host)\n",
                        host->cwd, host->home);
        if (r == 0 && host->nook_config)
                r = run_check_protected_links(plan, host->nook_config, "nook's config directory", "XDG_CONFIG_HOME", e);
        if (r == 0)
                r = run_check_protected_links(plan, base, "nook's run directory", "XDG_RUNTIME_DIR", e);
        if (r == 0 && run_profiles_dir_set() && pe.n_dirs == 3)
                r = run_check_protected_links(plan, pe.dirs[2], "the profile directory", "NOOK_PROFILES_DIR", e);
        /* Compiled once here, before clone: the sandbox only loads it. */
        /* root in an image holds CAP_SYS_CHROOT, as in podman: let it use it */
        if (r == 0 && spec->n_layers && !spec->uid_set && !(spec->run_as_set && spec->run_uid != 0) &&
            !spec->caps_set && strv_push(&spec->syscall_allow, &spec->n_syscall_allow, "chroot") < 0)
                r = nook_errf(e, ENOMEM, "out of memory");
        if (r == 0 && spec->seccomp == SPEC_SECCOMP_DEFAULT) {
                struct seccomp_opts o = {
                        .deny = (const char *const *)spec->syscall_deny,
                        .allow = (const char *const *)spec->syscall_allow,
                        .tcp_only = landlock_net_applies(spec),
                };
                r = seccomp_build(&o, prog, e);
        }
        run_args_free(&a);
        profile_env_free(&pe);
        return r;
}
