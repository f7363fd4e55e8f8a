/* `nook run` up to the launch: argv and the profiles to a spec, checked
   against the host, nook's own files protected, the plan and the seccomp
   filter made. Nothing is started here. */
#include "cli/run-prepare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/conf-load.h"
#include "cli/run-checks.h"
#include "cli/run-ids.h"
#include "cli/run-protect.h"
#include "cli/run-sources.h"
#include "cli/run-spec.h"
#include "desktop/desktop.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "lib/timing.h"
#include "profiles/loader.h"
#include "sandbox/exec.h"
#include "sandbox/landlock.h"
#include "spec/privileges.h"

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

void run_setup_init(struct run_setup *rs)
{
        memset(rs, 0, sizeof(*rs));
        spec_init(&rs->spec);
        rs->squashfs = (struct squashfs_helper)SQUASHFS_HELPER_INIT;
}

void run_setup_free(struct run_setup *rs)
{
        squashfs_helper_stop(&rs->squashfs);
        seccomp_prog_free(&rs->prog);
        plan_free(&rs->plan);
        host_facts_free(&rs->host);
        spec_free(&rs->spec);
}

/* The caller's environment against the spec's; -v names what is held back. */
static int resolve_environment(struct nook_spec *s, struct nook_err *e)
{
        int r = spec_env_resolve(s, environ, e);

        if (r == 0 && s->verbose && s->n_env_dropped)
                say_dropped_env(s);
        return r;
}

/* The host paths the spec names only by kind: a private home, the
   desktop's sockets and files. */
static int resolve_host_paths(struct nook_spec *s, const struct host_facts *host, const struct profile_env *pe,
                              struct nook_err *e)
{
        if (s->home == SPEC_HOME_PRIVATE) {
                int r = prepare_private_home(s, pe, e);
                if (r < 0)
                        return r;
        }
        return desktop_resolve(s, spec_command_uid(s, host->uid), spec_command_gid(s, host->gid), e);
}

static int make_plan(struct run_setup *rs, const struct profile_env *pe, struct nook_err *e)
{
        int r = plan_build(&rs->spec, &rs->host, &rs->plan, e);

        if (r < 0)
                return r;
        if (rs->plan.cwd_is_home && rs->spec.verbose)
                fprintf(stderr, "nook: the current directory %s is your home or above it: not bound (share your home with --bind %s, or --home host)\n",
                        rs->host.cwd, rs->host.home);
        r = run_check_protected_paths(&rs->plan, &rs->host, pe, e);
        return r < 0 ? r : run_pin_sources(&rs->plan, &rs->spec, &rs->host, e);
}

/* Compiled once here, before clone: the sandbox only loads it. */
static int make_filter(struct run_setup *rs, struct nook_err *e)
{
        struct nook_spec *s = &rs->spec;
        int r = spec_allow_image_root_chroot(s, e);

        timing_mark(TIMING_FILTER_START);
        if (r == 0)
                r = exec_build_filter(s, &rs->prog, e);
        timing_mark(TIMING_FILTER_END);
        return r;
}

/* The user's nook.conf read-only inside wherever a bind shows it: a
   sandbox that could write it would choose the next one's defaults. Its
   directory is protected as nook's config directory (run-protect.c); this
   covers a nook.conf that is a link to elsewhere (its target). */
static int protect_user_conf(struct nook_spec *s, const struct vars *vs, struct nook_err *e)
{
        _cleanup_free_ char *path = cli_conf_user_file(vs);
        _cleanup_free_ char *real = path ? realpath(path, NULL) : NULL;

        if (!path)
                return nook_errf(e, ENOMEM, "out of memory");
        if (real && strv_push(&s->protect, &s->n_protect, real) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

int run_prepare(int argc, char **argv, struct run_setup *rs, struct nook_err *e)
{
        _cleanup_(profile_env_free) struct profile_env pe = { 0 };
        _cleanup_(conf_free) struct nook_conf conf = { 0 };
        int r = host_facts_read(&rs->host, e);

        if (r == 0)
                r = profile_env_init(&pe, &rs->host, e);
        if (r == 0)
                r = cli_conf_load_or_fail(&conf, &pe.vars, e);
        if (r == 0)
                r = run_spec_from_argv(argc, argv, &conf, &pe, &rs->spec, e);
        if (r == 0)
                r = protect_user_conf(&rs->spec, &pe.vars, e);
        if (r != 0)
                return r;       /* an error, or help printed */
        r = resolve_environment(&rs->spec, e);
        if (r == 0)
                r = resolve_host_paths(&rs->spec, &rs->host, &pe, e);
        if (r == 0)
                r = run_choose_ids(rs, conf_get(&conf, CONF_FAKE_IDS), e);
        /* the image and its ids known: its reader starts while the rest
           is made (the sandbox waits for it) */
        if (r == 0)
                r = squashfs_helper_start(&rs->spec, &rs->squashfs, e);
        if (r == 0 && (rs->spec.n_layers > 0 || rs->spec.slirp || rs->spec.pasta))
                host_facts_read_dns(&rs->host);
        if (r == 0)
                r = run_check(&rs->spec, &rs->host, e);
        if (r == 0)
                r = run_protect_nooks_own(&rs->spec, &rs->host, &pe, e);
        if (r == 0)
                r = make_plan(rs, &pe, e);
        if (r == 0)
                r = make_filter(rs, e);
        return r;
}
