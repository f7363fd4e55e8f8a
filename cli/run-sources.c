#include "cli/run-sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

bool run_device_kind_ok(const struct stat *st)
{
        struct stat dev;

        if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                return true;
        return S_ISDIR(st->st_mode) && stat("/dev", &dev) == 0 && st->st_dev == dev.st_dev;
}

/* A source realpath(3) cannot resolve (a BindTry= not there, a file nook
   makes later in its run directory): *out, the real path of the deepest
   directory above it that exists and the rest as written. 1 when the
   first name below that directory exists all the same: a link that leads
   nowhere, or in a loop (or a name that cannot be searched). */
static int real_prefix(const char *norm, char **out)
{
        _cleanup_free_ char *copy = strdup(norm);

        if (!copy)
                return -ENOMEM;
        for (char *slash = strrchr(copy, '/'); slash; slash = strrchr(copy, '/')) {
                *slash = '\0';
                _cleanup_free_ char *real = realpath(slash == copy ? "/" : copy, NULL);
                if (!real && errno == ENOMEM)
                        return -ENOMEM;
                if (!real)
                        continue;
                const char *dir = strcmp(real, "/") == 0 ? "" : real;
                const char *rest = norm + (slash - copy);
                int first = (int)(strchrnul(rest + 1, '/') - rest);
                _cleanup_free_ char *next = NULL;
                struct stat st;
                if (asprintf(&next, "%s%.*s", dir, first, rest) < 0 || asprintf(out, "%s%s", dir, rest) < 0)
                        return -ENOMEM;
                return lstat(next, &st) == 0;
        }
        *out = strdup(norm);
        return *out ? 0 : -ENOMEM;
}

/* s's exact path in *out: 0; 1 when s is a BindTry= through a link that
   leads nowhere (skipped, as a missing one is); or an error. */
static int exact_path(const struct step *s, char **out, struct nook_err *e)
{
        *out = s->flags & STEP_LINK ? path_real_entry(s->src) : realpath(s->src, NULL);
        if (*out)
                return 0;
        int err = errno;
        if (err == ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        _cleanup_free_ char *norm = path_normalize(s->src);
        if (!norm && errno == ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!norm)
                return nook_errf(e, EINVAL, "bind source %s does not exist and has '..' in it: name it without",
                                 nook_val(s->src));
        int r = real_prefix(norm, out);
        if (r < 0)
                return nook_errf(e, -r, "out of memory");
        if (r == 0)
                return 0;
        free(*out);
        *out = NULL;
        if (s->flags & STEP_TRY)
                return 1;
        return nook_errf(e, err, "bind source %s leads nowhere: %s (a symbolic link on its way points to what is not there)",
                         nook_val(s->src), strerror(err));
}

/* nook's own files (config, cache, profiles, run directories) and the home
   itself: what the plan kept out of reach by comparing paths. */
static bool touches_protected(const char *path, const struct nook_spec *spec, const struct host_facts *h)
{
        const char *homes[] = { h->home, h->home_real };

        for (size_t i = 0; i < ARRAY_SIZE(homes); i++)
                if (homes[i] && path_is_below(homes[i], path))
                        return true;
        for (size_t i = 0; i < spec->n_protect; i++)
                if (path_is_below(spec->protect[i], path) || path_is_below(path, spec->protect[i]))
                        return true;
        for (size_t i = 0; i < h->n_nook_run; i++)
                if (path_is_below(h->nook_run[i], path) || path_is_below(path, h->nook_run[i]))
                        return true;
        return false;
}

/* The plan was made (and checked: nook's files read-only or hidden) with
   these paths. One that leads elsewhere now (a BindTry= that was missing
   then) is refused where the plan's checks would have had a say; a link
   of the host's system (/opt to /var/opt) is fine. */
static int check_moved(const struct step *s, const char *real, const struct nook_spec *spec,
                       const struct host_facts *h, struct nook_err *e)
{
        /* nook's own files for this sandbox lie in its run directory, on
           purpose, reached as XDG_RUNTIME_DIR names it */
        if (strcmp(real, s->src) == 0 || (s->flags & STEP_OWN) || !touches_protected(real, spec, h))
                return 0;
        return nook_errf(e, EBUSY, "bind source %s changed while the sandbox started: it now leads to %s, which holds your home or nook's own files (start it again, and see who changes it)",
                         nook_val(s->src), nook_val(real));
}

static int check_device(const struct step *s, const char *real, struct nook_err *e)
{
        struct stat st;

        if (!path_is_below(real, "/dev") || strcmp(real, "/dev") == 0)
                return nook_errf(e, EINVAL, "device %s leads to %s, which is not under /dev (name the device itself)",
                                 nook_val(s->src), nook_val(real));
        if (stat(real, &st) == 0 && !run_device_kind_ok(&st))
                return nook_errf(e, ENODEV, "device %s is neither a device node nor a directory of /dev's own (%s is another file system's)",
                                 nook_val(s->src), nook_val(real));
        return 0;
}

static void drop_step(struct plan *p, size_t i)
{
        free(p->steps[i].src);
        free(p->steps[i].dst);
        memmove(&p->steps[i], &p->steps[i + 1], (p->n - i - 1) * sizeof(*p->steps));
        p->n--;
}

int run_pin_sources(struct plan *p, const struct nook_spec *spec, const struct host_facts *h, struct nook_err *e)
{
        for (size_t i = 0; i < p->n; i++) {
                struct step *s = &p->steps[i];
                /* an exact one was resolved once, and judged so: resolving it
                   again could only give the plan a path it did not judge;
                   pid 1's open refuses a link put on it since */
                if (s->kind != STEP_BIND || !s->src || (s->flags & STEP_EXACT))
                        continue;
                _cleanup_free_ char *real = NULL;
                int r = exact_path(s, &real, e);
                if (r == 1) {
                        drop_step(p, i--);
                        continue;
                }
                if (r == 0 && (s->flags & STEP_DEV))
                        r = check_device(s, real, e);
                if (r == 0)
                        r = check_moved(s, real, spec, h, e);
                if (r < 0)
                        return r;
                free(s->src);
                s->src = steal_ptr(&real);
        }
        return 0;
}
