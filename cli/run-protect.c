/* What keeps nook's own files out of a sandbox's reach: its config
   directory, the profile search path and the run directories, kept
   read-only or hidden wherever a bind would show them, and refused when a
   symbolic link on their way could be replaced from inside. */
#include "cli/run-protect.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "profiles/loader.h"
#include "sandbox/seccomp-cache.h"
#include "state/rundir.h"

/* A path to keep read-only inside, as the plan compares it with bind
   sources: without symlinks (/var/run -> /run) or "..". */
static int protect_real(struct nook_spec *s, const char *path, struct nook_err *e)
{
        _cleanup_free_ char *real = realpath(path, NULL);

        if (strv_push(&s->protect, &s->n_protect, real ? real : path) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* Whether path is, or lies in, a path already protected. */
static bool protected_already(const struct nook_spec *s, const char *path)
{
        for (size_t i = 0; i < s->n_protect; i++)
                if (path_is_below(path, s->protect[i]))
                        return true;
        return false;
}

/* Every directory of the profile search path, and every NAME.profile.d in
   one (a link may lead elsewhere), protected as the config directory is: a
   sandbox that could write there would plant a profile or a drop-in that
   widens the next run. A missing $NOOK_PROFILES_DIR is made where the user
   may, as the config directory is, so that no sandbox makes it first (the
   user's own directory is below the config directory, which is made; the
   system's are root's). */
static bool profiles_dir_set(void)
{
        const char *lib = getenv("NOOK_PROFILES_DIR");
        return lib && lib[0] == '/';
}

/* dir's NAME.profile.d, where a link leads elsewhere: its target. */
static int protect_dropins(struct nook_spec *s, const char *dir, struct nook_err *e)
{
        DIR *dp = opendir(dir);
        struct dirent *de;
        int r = 0;

        while (r == 0 && dp && (de = readdir(dp))) {
                size_t n = strlen(de->d_name);
                if (n <= strlen(".profile.d") || strcmp(de->d_name + n - strlen(".profile.d"), ".profile.d") != 0)
                        continue;
                _cleanup_free_ char *path = NULL, *target = NULL;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = nook_errf(e, ENOMEM, "out of memory");
                        break;
                }
                target = realpath(path, NULL);
                if (target && !protected_already(s, target) && strv_push(&s->protect, &s->n_protect, target) < 0)
                        r = nook_errf(e, ENOMEM, "out of memory");
        }
        if (dp)
                closedir(dp);
        return r;
}

static int protect_search_path(struct nook_spec *s, const struct profile_env *pe, struct nook_err *e)
{
        for (size_t i = 0; i < pe->n_dirs; i++) {
                if (i == 2 && profiles_dir_set())
                        (void)mkdir_p(pe->dirs[i], 0700);
                _cleanup_free_ char *real = realpath(pe->dirs[i], NULL);
                if (!real)
                        continue;
                if (!protected_already(s, real) && strv_push(&s->protect, &s->n_protect, real) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                int r = protect_dropins(s, real, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Bind sources without symlinks, as the kernel will follow them anyway:
   the plan finds what a bind shows by comparing paths. */
static int canonical_sources(struct nook_spec *s, struct nook_err *e)
{
        for (size_t i = 0; i < s->n_binds; i++) {
                char *real = realpath(s->binds[i].src, NULL);
                if (!real) {
                        if (errno == ENOMEM)
                                return nook_errf(e, ENOMEM, "out of memory");
                        continue;       /* missing: a BindTry=, or nook's own (made later) */
                }
                free(s->binds[i].src);
                s->binds[i].src = real;
                s->binds[i].flags |= SPEC_BIND_EXACT;
        }
        if (s->home_source) {
                char *real = realpath(s->home_source, NULL);
                if (real) {
                        free(s->home_source);
                        s->home_source = real;
                }
        }
        return 0;
}

/* Whether a read-write bind of the plan shows entry: the step, or NULL. */
static const struct step *writable_bind_of(const struct plan *p, const char *entry)
{
        for (size_t i = 0; i < p->n; i++) {
                const struct step *s = &p->steps[i];
                if (s->kind == STEP_BIND && !(s->flags & STEP_RO) && s->src && path_is_below(entry, s->src))
                        return s;
        }
        return NULL;
}

/* A symbolic link on the way to a protected directory, in a place a
   read-write bind shows: the sandbox could replace the link with a
   directory of its own, which the next run would read. Refused, naming the
   way out. */
static int check_protected_links(const struct plan *p, const char *path, const char *what, const char *var,
                                 struct nook_err *e)
{
        for (const char *c = strchr(path + 1, '/'); ; c = strchr(c + 1, '/')) {
                size_t n = c ? (size_t)(c - path) : strlen(path);
                _cleanup_free_ char *prefix = strndup(path, n);
                struct stat st;
                if (!prefix)
                        return nook_errf(e, ENOMEM, "out of memory");
                if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode)) {
                        _cleanup_free_ char *entry = path_real_entry(prefix);
                        if (!entry)
                                return nook_errf(e, ENOMEM, "out of memory");
                        const struct step *s = writable_bind_of(p, entry);
                        if (s)
                                return nook_errf(e, EPERM, "%s %s is reached through the symbolic link %s, which this sandbox could replace (it may write %s): point %s at the real directory, or bind %s read-only",
                                                 what, path, prefix, s->src, var, s->src);
                }
                if (!c)
                        return 0;
        }
}

/* The run directories hold what nook enter and stop trust, and other
   sandboxes' sockets: hidden wherever a bind would show them, so there
   (made) before the plan. */
static int make_run_dirs(struct host_facts *host, struct nook_err *e)
{
        int fd = rundir_open_base(e);

        if (fd < 0)
                return fd;
        close(fd);
        if (rundir_all_bases(host->nook_run, ARRAY_SIZE(host->nook_run), &host->n_nook_run) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* The compiled seccomp filters: one written from inside would confine the
   next sandbox. Made first, as the config directory is. */
static int protect_cache(struct nook_spec *s, struct nook_err *e)
{
        _cleanup_free_ char *dir = seccomp_cache_dir();

        if (!dir)
                return 0;
        (void)mkdir_p(dir, 0700);
        return protect_real(s, dir, e);
}

int run_protect_nooks_own(struct nook_spec *s, struct host_facts *host, const struct profile_env *pe,
                          struct nook_err *e)
{
        int r;

        /* The config directory is protected by a read-only bind where a
           sandbox can see it, which needs it to exist: otherwise a sandbox
           with the home in view could create it and plant a profile. */
        if (host->nook_config)
                (void)mkdir_p(host->nook_config, 0700);
        r = make_run_dirs(host, e);
        if (r == 0 && host->nook_config)
                r = protect_real(s, host->nook_config, e);
        if (r == 0)
                r = protect_cache(s, e);
        if (r == 0)
                r = protect_search_path(s, pe, e);
        if (r == 0)
                r = canonical_sources(s, e);
        return r;
}

int run_check_protected_paths(const struct plan *p, const struct host_facts *host, const struct profile_env *pe,
                              struct nook_err *e)
{
        char base[4096];
        int r = 0;

        rundir_base(base, sizeof(base));
        if (host->nook_config)
                r = check_protected_links(p, host->nook_config, "nook's config directory", "XDG_CONFIG_HOME", e);
        if (r == 0)
                r = check_protected_links(p, base, "nook's run directory", "XDG_RUNTIME_DIR", e);
        _cleanup_free_ char *cache = seccomp_cache_dir();
        if (r == 0 && cache)
                r = check_protected_links(p, cache, "nook's cache directory", "XDG_CACHE_HOME", e);
        if (r == 0 && profiles_dir_set() && pe->n_dirs == 3)
                r = check_protected_links(p, pe->dirs[2], "the profile directory", "NOOK_PROFILES_DIR", e);
        return r;
}
