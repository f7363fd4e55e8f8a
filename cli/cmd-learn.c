/* `nook learn`: runs a command in a sandbox that lets it work (the host's
   home, the host's network unless the run options say otherwise) with
   nook's observer on its system calls (sandbox/observe.c), then writes
   what it used as a profile (learn-profile.c). */
#include "cli/cmd-learn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd-run.h"
#include "cli/learn-dbus.h"
#include "cli/learn-profile.h"
#include "cli/learn-report.h"
#include "cli/learn-update.h"
#include "cli/run-detach.h"
#include "cli/run-observe.h"
#include "cli/run-options.h"
#include "cli/run-prepare.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "profiles/vars.h"
#include "sandbox/exec.h"
#include "sandbox/observe.h"

struct learn_args {
        const char *out;        /* -o */
        const char *base;       /* --base */
        bool force;
        bool report;            /* --report: a summary on stdout */
        bool no_profile;        /* --no-profile: the summary instead of the profile */
        bool update;            /* --update FILE: merged into FILE (out) */
        int update_fd;          /* FILE, opened before the run */
        char **run;             /* "run", the learning defaults, the run options, "--", COMMAND... */
        size_t n_run;
        char **command;         /* in run */
};

static void learn_usage(FILE *f)
{
        fprintf(f, "Usage: nook learn [RUN OPTIONS] [-o FILE | --update FILE] [--base PROFILE] [--force]\n"
                "                  [--report [--no-profile]] -- COMMAND [ARG...]\n"
                "\n"
                "Runs COMMAND in a sandbox that lets it work (your home as it is, --net host\n"
                "unless RUN OPTIONS say otherwise) while nook observes the files it opens,\n"
                "creates, runs and removes and the addresses it connects to, then writes a\n"
                "profile that includes PROFILE and adds only what the run used beyond it.\n"
                "Observation only: during the learning run nothing more is enforced than\n"
                "by the run options; the profile written is what confines later runs.\n"
                "\n"
                "  -o, --output FILE   where to write the profile (default:\n"
                "                      $XDG_CONFIG_HOME/nook/profiles/COMMAND.profile)\n"
                "      --base PROFILE  the profile to include (default: base)\n"
                "      --force         overwrite FILE if it exists\n"
                "      --update FILE   add to the profile FILE what it lacks of this run,\n"
                "                      keeping its lines (your edits) as they are\n"
                "      --report        also print a summary: files by directory, programs run,\n"
                "                      devices, network destinations\n"
                "      --no-profile    with --report: the summary only, no profile written\n"
                "  -h, --help          this text\n"
                "\n"
                "Then: nook run --profile FILE -- COMMAND [ARG...]. See nook(1), LEARNING.\n");
}

static int push(struct learn_args *a, const char *w, struct nook_err *e)
{
        char **v = reallocarray(a->run, a->n_run + 2, sizeof(*v));

        if (!v)
                return nook_errf(e, ENOMEM, "out of memory");
        a->run = v;
        a->run[a->n_run++] = (char *)w;
        a->run[a->n_run] = NULL;
        return 0;
}

/* nook learn's own options out of argv, the rest kept, in order, for
   nook run's parser, after the learning defaults (which they override). */
static int parse_learn(int argc, char **argv, struct learn_args *a, struct nook_err *e)
{
        static const char *const defaults[] = { "run", "--home", "host", "--net", "host" };
        int i = 1, r = 0;

        for (size_t k = 0; r == 0 && k < ARRAY_SIZE(defaults); k++)
                r = push(a, defaults[k], e);
        for (; r == 0 && i < argc && strcmp(argv[i], "--") != 0; i++) {
                const char *w = argv[i];
                if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0)
                        return RUN_HELP_PRINTED;
                if (strcmp(w, "--force") == 0) {
                        a->force = true;
                } else if (strcmp(w, "--report") == 0 || strcmp(w, "--no-profile") == 0) {
                        *(w[2] == 'r' ? &a->report : &a->no_profile) = true;
                } else if (strcmp(w, "-o") == 0 || strcmp(w, "--output") == 0 || strcmp(w, "--base") == 0) {
                        if (i + 1 >= argc)
                                return nook_errf(e, EINVAL, "%s needs a value", w);
                        *(w[2] == 'b' ? &a->base : &a->out) = argv[++i];
                } else if (strcmp(w, "--update") == 0 || str_has_prefix(w, "--update=")) {
                        if (!w[8] && i + 1 >= argc)
                                return nook_errf(e, EINVAL, "%s needs a value", w);
                        a->out = w[8] ? w + 9 : argv[++i];
                        a->update = true;
                } else if (str_has_prefix(w, "--output=") || str_has_prefix(w, "--base=")) {
                        *(w[2] == 'b' ? &a->base : &a->out) = strchr(w, '=') + 1;
                } else {
                        r = push(a, w, e);
                }
        }
        if (r < 0)
                return r;
        if (i + 1 >= argc)
                return nook_errf(e, EINVAL, "nook learn needs '--' and a command (see nook learn --help)");
        size_t at = a->n_run + 1;
        for (; r == 0 && i < argc; i++)
                r = push(a, argv[i], e);
        a->command = a->run + at;
        if (a->update && (a->no_profile || a->force))
                return nook_errf(e, EINVAL, "--update goes with neither --no-profile nor --force");
        if (a->no_profile && !a->report)
                return nook_errf(e, EINVAL, "--no-profile needs --report (else the run would leave nothing)");
        if (!a->base)
                a->base = "base";
        return r;
}

/* -o, or $XDG_CONFIG_HOME/nook/profiles/NAME.profile (made if missing);
   an existing file only with --force. */
static int output_path(struct learn_args *a, const char *home, char **out, struct nook_err *e)
{
        const char *name = strrchr(a->command[0], '/') ? strrchr(a->command[0], '/') + 1 : a->command[0];
        const char *xdg = getenv("XDG_CONFIG_HOME");
        _cleanup_free_ char *dir = NULL;
        struct stat st;

        if (a->out) {
                *out = strdup(a->out);
        } else {
                bool xdg_ok = xdg && xdg[0] == '/';
                if ((xdg_ok ? asprintf(&dir, "%s/nook/profiles", xdg) : asprintf(&dir, "%s/.config/nook/profiles", home)) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                int r = mkdir_p(dir, 0700);
                if (r < 0)
                        return nook_errf(e, -r, "cannot create %s: %m", dir);
                if (asprintf(out, "%s/%s.profile", dir, name) < 0)
                        *out = NULL;
        }
        if (!*out)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!a->force && !a->update && stat(*out, &st) == 0)
                return nook_errf(e, EEXIST, "%s exists: not overwritten (use --force, or -o another file)", *out);
        return a->update ? learn_update_open(*out, &a->update_fd, e) : 0;
}

/* Without --force, the file is made here (O_EXCL: never through a link or
   onto a fifo); with it, the profile goes to a new file beside it that is
   renamed over it, so a link the learnt command left at that name is
   replaced, not followed. */
static int write_profile(const char *path, bool force, const struct observed *o, const struct learn_facts *lf,
                         struct nook_err *e)
{
        _cleanup_free_ char *tmp = NULL;
        int fd = force ? file_create_beside(path, 0644, &tmp)
                       : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

        if (fd < 0)
                return nook_errf(e, force ? -fd : errno, "cannot write %s: %m", path);
        FILE *f = fdopen(fd, "w");
        if (!f) {
                int r = nook_errf(e, errno, "cannot write %s: %m", path);
                close(fd);
                if (tmp)
                        unlink(tmp);
                return r;
        }
        int r = learn_profile_write(f, o, lf, e);
        if (fclose(f) != 0 && r == 0)
                r = nook_errf(e, errno, "cannot write %s: %m", path);
        if (r == 0 && tmp && rename(tmp, path) < 0)
                r = nook_errf(e, errno, "cannot write %s: %m", path);
        if (r < 0 && tmp)
                unlink(tmp);
        return r;
}

/* --update: the profile learnt, in memory, merged into the file. */
static int update_profile(const char *path, int fd, const struct observed *o, const struct learn_facts *lf,
                          struct nook_err *e)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = learn_profile_write(f, o, lf, e);
        if (fclose(f) != 0 && r == 0)
                r = nook_errf(e, ENOMEM, "out of memory");
        return r < 0 ? r : learn_update(path, fd, text, lf->argv, lf, e);
}

/* The profile variables a learnt home path is written under, where they
   name a directory below the home (XDG_CONFIG_HOME set outside it is no
   home path). Nothing, quietly, when they cannot be read. */
static void learn_vars(struct learn_facts *lf, const struct host_facts *host)
{
        static const char *const names[LEARN_VARS] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                                                       "DOWNLOADS" };
        struct nook_err ignored = { 0 };
        struct vars vs;

        if (vars_init(&vs, host, &ignored) < 0)
                return;
        for (size_t i = 0; i < LEARN_VARS; i++) {
                _cleanup_free_ char *ref = str_dupf("${%s}", names[i]);
                char *path = NULL;
                if (!ref || vars_expand(&vs, NULL, ref, &path, &ignored) < 0)
                        continue;
                if (path[0] == '/' && path_is_below(path, lf->home) && strcmp(path, lf->home) != 0)
                        lf->vars[lf->n_vars++] = (struct learn_var){ names[i], path };
                else
                        free(path);
        }
        vars_free(&vs);
}

static void learn_vars_free(struct learn_facts *lf)
{
        for (size_t i = 0; i < lf->n_vars; i++)
                free(lf->vars[i].path);
        lf->n_vars = 0;
}

/* What the run used: the report on stdout, the profile to out. */
static int learn_results(const struct learn_args *a, const struct run_setup *rs, const struct observed *seen,
                         const struct learn_dbus *dbus, const char *out, struct nook_err *e)
{
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        struct learn_facts lf = { .home = rs->host.home, .cwd = rs->host.cwd, .base = a->base, .argv = a->command,
                                  .runtime = runtime && runtime[0] == '/' ? runtime : NULL,
                                  .talk = dbus->names, .n_talk = dbus->n_names };
        int r = 0;

        if (a->report)
                r = learn_report_write(stdout, seen, a->command, e);
        if (r < 0 || a->no_profile)
                return r;
        learn_vars(&lf, &rs->host);
        r = a->update ? update_profile(out, a->update_fd, seen, &lf, e) : write_profile(out, a->force, seen, &lf, e);
        learn_vars_free(&lf);
        if (r < 0)
                return r;
        if (!a->update)
                fprintf(stderr, "nook: learnt %s (%lu calls observed); try it with: nook run --profile %s -- %s ...\n",
                        out, seen->notifications, out, a->command[0]);
        learn_put_over(stderr, seen, "nook: warning: ");
        return 0;
}

int cmd_learn(int argc, char **argv)
{
        struct learn_args a = { .update_fd = -1 };
        struct nook_err e = { 0 };
        struct run_setup rs;
        _cleanup_free_ char *out = NULL;
        struct observed seen = { 0 };
        struct learn_dbus dbus = { 0 };
        int status = NOOK_EXIT_FAILURE;
        const struct detached fg = { .ready_fd = -1, .log = NULL };

        run_setup_init(&rs);
        int r = parse_learn(argc, argv, &a, &e);
        if (r == RUN_HELP_PRINTED)
                learn_usage(stdout);
        if (r == 0)
                r = run_prepare((int)a.n_run, a.run, &rs, &e);
        if (r == 0 && !a.no_profile)
                r = output_path(&a, rs.host.home, &out, &e);
        if (r == 0)
                r = learn_dbus_prepare(&dbus, &rs.spec, &e);
        if (r == 0)
                r = run_observed(&rs, &fg, false, &seen, &status, &e);
        if (r == 0)
                r = learn_dbus_collect(&dbus, &rs.spec, &e);
        if (r == 0)
                r = learn_results(&a, &rs, &seen, &dbus, out, &e);
        if (r < 0) {
                nook_err_print(&e);
                status = NOOK_EXIT_FAILURE;
        } else if (r == RUN_HELP_PRINTED) {
                status = 0;
        }
        observed_free(&seen);
        learn_dbus_free(&dbus);
        run_setup_free(&rs);
        if (a.update_fd >= 0)
                close(a.update_fd);
        free(a.run);
        return status;
}
