#include "profiles/firejail-emit.h"

#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "profiles/keys.h"
#include "spec/spec.h"

void fj_oom(struct fj_ctx *c)
{
        if (!c->err)
                c->err = nook_errf(c->e, ENOMEM, "out of memory");
}

static void put(struct fj_ctx *c, struct buf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(struct fj_ctx *c, struct buf *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        _cleanup_free_ char *s = str_vdupf(fmt, ap);
        va_end(ap);
        if (!s || buf_appendf(b, "%s", s) < 0)
                fj_oom(c);
}

void fj_raw(struct fj_emit *m, enum fj_section s, const char *line)
{
        put(m->c, &m->sec[s], "%s\n", line);
}

static const char *const section_names[FJ_NSECTIONS] = { "Run", "Filesystem", "Network", "Security", "Limits", "Desktop" };

const char *fj_section_name(enum fj_section s)
{
        return section_names[s];
}

/* A value nook would refuse becomes a comment that says why: the profile
   must pass `nook profile check`. Values with variables are nook's own
   paths, checked when they are used. */
static int check_value(enum fj_section s, const char *key, const char *value, struct nook_err *e)
{
        const struct key_def *k = key_lookup(section_names[s], key);
        struct nook_spec spec;

        if (!k)
                return nook_errf(e, EINVAL, "no key %s", key);
        if (strstr(value, "${"))
                return 0;
        spec_init(&spec);
        _cleanup_free_ char *plain = strdup(value);
        int r = plain ? 0 : -ENOMEM;
        /* the value as the profile's reader sees it: $$ is $ */
        for (char *p = plain; r == 0 && (p = strstr(p, "$$")); p++)
                memmove(p, p + 1, strlen(p));
        if (r == 0)
                r = k->apply(&spec, plain, e);
        spec_free(&spec);
        return r;
}

void fj_key(struct fj_emit *m, enum fj_section s, const char *key, const char *value)
{
        struct nook_err e = { 0 };

        if (check_value(s, key, value, &e) < 0) {
                fj_unsupported(m, "nook refuses %s=%s: %s", key, value, e.msg);
                return;
        }
        put(m->c, &m->sec[s], "%s=%s  # %s\n", key, value, m->it->written);
}

/* fmt formatted, or NULL with the failure noted */
static char *vdup(struct fj_ctx *c, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static char *vdup(struct fj_ctx *c, const char *fmt, va_list ap)
{
        char *s = str_vdupf(fmt, ap);

        if (!s)
                fj_oom(c);
        return s;
}

void fj_keyf(struct fj_emit *m, enum fj_section s, const char *key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        _cleanup_free_ char *v = vdup(m->c, fmt, ap);
        va_end(ap);
        if (v)
                fj_key(m, s, key, v);
}

void fj_note(struct fj_emit *m, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        _cleanup_free_ char *why = vdup(m->c, fmt, ap);
        va_end(ap);
        if (why)
                put(m->c, &m->notes, "# %s: %s\n", m->it->written, why);
}

void fj_unsupported(struct fj_emit *m, const char *fmt, ...)
{
        va_list ap;
        struct fj_output *o = m->c->out;

        va_start(ap, fmt);
        _cleanup_free_ char *why = vdup(m->c, fmt, ap);
        va_end(ap);
        if (!why)
                return;
        put(m->c, &m->notes, "# unsupported: %s (%s)\n", m->it->written, why);
        _cleanup_free_ char *line = str_dupf("%s:%u: %s (%s)", m->c->t->files[m->file].path, m->it->line,
                                            m->it->written, why);
        if (!line || strv_push(&o->unsupported, &o->n_unsupported, line) < 0)
                fj_oom(m->c);
}

/* firejail's ${PATH}: the directories it searches, whatever the caller's PATH */
static const char *const fj_path_dirs[] = { "/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin",
                                            "/bin", "/sbin", "/usr/games", "/usr/local/games" };

static const char *const userdir_names[] = { "DESKTOP", "DOCUMENTS", "DOWNLOADS", "MUSIC", "PICTURES", "VIDEOS" };

/* The value of macro name (between ${ and }), or NULL. */
static const char *macro(const struct fj_ctx *c, const char *name, size_t n)
{
        const struct fj_map_opts *o = c->o;

        if (n == 4 && strncmp(name, "HOME", 4) == 0)
                return o->home;
        if (n == 3 && strncmp(name, "CFG", 3) == 0)
                return o->cfg;
        if (n == 7 && strncmp(name, "RUNUSER", 7) == 0)
                return o->runuser;
        for (size_t i = 0; i < ARRAY_SIZE(userdir_names); i++)
                if (strlen(userdir_names[i]) == n && strncmp(name, userdir_names[i], n) == 0)
                        return o->userdirs[i];
        return NULL;
}

static int expand_one(const struct fj_ctx *c, const char *arg, const char *path_dir, char **out)
{
        struct buf b = { 0 };
        const char *p = arg;

        if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
                if (buf_appendf(&b, "%s", c->o->home) < 0)
                        return -ENOMEM;
                p++;
        }
        while (*p) {
                if (p[0] == '$' && p[1] == '{') {
                        const char *end = strchr(p, '}');
                        const char *v = NULL;
                        if (end && end - p == 6 && strncmp(p + 2, "PATH", 4) == 0)
                                v = path_dir;
                        else if (end)
                                v = macro(c, p + 2, (size_t)(end - p - 2));
                        if (!v) {
                                buf_free(&b);
                                return -EINVAL;
                        }
                        if (buf_appendf(&b, "%s", v) < 0)
                                return -ENOMEM;
                        p = end + 1;
                        continue;
                }
                size_t run = strcspn(p + 1, "$") + 1;
                if (buf_appendf(&b, "%.*s", (int)run, p) < 0)
                        return -ENOMEM;
                p += run;
        }
        *out = b.p ? b.p : strdup("");
        return *out ? 0 : -ENOMEM;
}

int fj_expand(const struct fj_ctx *c, const char *arg, char ***paths, size_t *n)
{
        bool multi = strstr(arg, "${PATH}") != NULL;
        size_t count = multi ? ARRAY_SIZE(fj_path_dirs) : 1;

        *paths = NULL;
        *n = 0;
        for (size_t i = 0; i < count; i++) {
                _cleanup_free_ char *s = NULL;
                int r = expand_one(c, arg, multi ? fj_path_dirs[i] : "", &s);
                if (r < 0) {
                        strv_free(*paths);
                        *paths = NULL;
                        *n = 0;
                        return r;
                }
                if (!fj_strv_has(*paths, *n, s) && strv_push(paths, n, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

bool fj_has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

bool fj_strv_has(char *const *v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

#define CACHE_SLOTS 65536

struct fj_glob_cache {
        struct slot {
                char *pattern;
                char **paths;
                size_t n;
                bool real;      /* paths[0] is pattern without links */
        } slots[CACHE_SLOTS];
};

struct fj_glob_cache *fj_glob_cache_new(void)
{
        return calloc(1, sizeof(struct fj_glob_cache));
}

void fj_glob_cache_free(struct fj_glob_cache *c)
{
        for (size_t i = 0; c && i < CACHE_SLOTS; i++) {
                free(c->slots[i].pattern);
                strv_free(c->slots[i].paths);
        }
        free(c);
}

static int glob_host(const char *pattern, char ***paths, size_t *n)
{
        struct stat st;

        if (!fj_has_glob(pattern))
                return lstat(pattern, &st) == 0 && strv_push(paths, n, pattern) < 0 ? -ENOMEM : 0;
        glob_t g;
        int r = glob(pattern, 0, NULL, &g);
        if (r == GLOB_NOSPACE)
                return -ENOMEM;
        for (size_t i = 0; r == 0 && i < g.gl_pathc; i++)
                if (strv_push(paths, n, g.gl_pathv[i]) < 0)
                        r = GLOB_NOSPACE;
        if (r == 0 || r == GLOB_NOMATCH || r == GLOB_ABORTED)
                r = 0;
        globfree(&g);
        return r == GLOB_NOSPACE ? -ENOMEM : 0;
}

static int copy_strv(char *const *v, size_t n, char ***out, size_t *nout)
{
        for (size_t i = 0; i < n; i++)
                if (strv_push(out, nout, v[i]) < 0)
                        return -ENOMEM;
        return 0;
}

int fj_glob(struct fj_ctx *c, const char *pattern, char ***paths, size_t *n)
{
        struct fj_glob_cache *gc = c->o->cache;
        uint32_t h = 2166136261u;

        *paths = NULL;
        *n = 0;
        if (!gc)
                return glob_host(pattern, paths, n);
        for (const char *p = pattern; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        for (size_t probe = 0; probe < CACHE_SLOTS; probe++) {
                struct slot *s = &gc->slots[(h + probe) % CACHE_SLOTS];
                if (s->pattern && !s->real && strcmp(s->pattern, pattern) == 0)
                        return copy_strv(s->paths, s->n, paths, n);
                if (s->pattern)
                        continue;
                int r = glob_host(pattern, &s->paths, &s->n);
                if (r == 0 && !(s->pattern = strdup(pattern)))
                        r = -ENOMEM;
                return r < 0 ? r : copy_strv(s->paths, s->n, paths, n);
        }
        return glob_host(pattern, paths, n);
}

static int realpath_host(const char *path, char ***out, size_t *n)
{
        char real[PATH_MAX];

        return strv_push(out, n, realpath(path, real) ? real : path) < 0 ? -ENOMEM : 0;
}

char *fj_canonical(struct fj_ctx *c, const char *path)
{
        struct fj_glob_cache *gc = c->o->cache;
        uint32_t h = 2166136261u;
        char real[PATH_MAX];

        for (const char *p = path; gc && *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        h ^= 0x5bd1e995u;       /* apart from the globs of the same text */
        for (size_t probe = 0; gc && probe < CACHE_SLOTS; probe++) {
                struct slot *s = &gc->slots[(h + probe) % CACHE_SLOTS];
                if (s->pattern && s->real && strcmp(s->pattern, path) == 0)
                        return strdup(s->paths[0]);
                if (s->pattern)
                        continue;
                if (realpath_host(path, &s->paths, &s->n) < 0 || !(s->pattern = strdup(path)))
                        return NULL;
                s->real = true;
                return strdup(s->paths[0]);
        }
        return strdup(realpath(path, real) ? real : path);
}

char *fj_esc(const char *s)
{
        struct buf b = { 0 };

        for (const char *p = s; *p;) {
                int r;
                size_t run = strcspn(p, "$#");
                if (run) {
                        r = buf_appendf(&b, "%.*s", (int)run, p);
                        p += run;
                } else if (*p == '$') {
                        r = buf_appendf(&b, "$$");
                        p++;
                } else {
                        r = buf_appendf(&b, "%s", p > s && (p[-1] == ' ' || p[-1] == '\t') ? "\\#" : "#");
                        p++;
                }
                if (r < 0) {
                        buf_free(&b);
                        return NULL;
                }
        }
        return b.p ? b.p : strdup("");
}

char *fj_nook_path(const struct fj_ctx *c, const char *host)
{
        const char *home = c->o->home;
        _cleanup_free_ char *rest = NULL;

        const char *dl = c->o->userdirs[2];
        if (dl && path_is_below(host, dl) && path_is_below(dl, home) && strcmp(dl, home) != 0) {
                rest = fj_esc(host + strlen(dl));
                return rest ? str_dupf("${DOWNLOADS}%s", rest) : NULL;
        }
        if (path_is_below(host, home)) {
                rest = fj_esc(host + strlen(home));
                return rest ? str_dupf("${HOME}%s", rest) : NULL;
        }
        if (c->o->runuser && path_is_below(host, c->o->runuser)) {
                rest = fj_esc(host + strlen(c->o->runuser));
                return rest ? str_dupf("${XDG_RUNTIME_DIR}%s", rest) : NULL;
        }
        return fj_esc(host);
}

/* firejail compares a path with each noblacklist pattern, macros
   expanded, by fnmatch(3). */
static bool matches(char *const *v, size_t n, const char *path)
{
        for (size_t j = 0; j < n; j++)
                if (fnmatch(v[j], path, FNM_PATHNAME) == 0 || strcmp(v[j], path) == 0)
                        return true;
        return false;
}

/* The noblacklist patterns are matched against every blacklisted path:
   expanded once. */
int fj_expand_noblack(struct fj_ctx *c)
{
        size_t n = c->t->n_noblack;

        c->noblack = calloc(n + 1, sizeof(*c->noblack));
        c->n_noblack = calloc(n + 1, sizeof(*c->n_noblack));
        if (!c->noblack || !c->n_noblack)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (fj_expand(c, c->t->noblack[i], &c->noblack[i], &c->n_noblack[i]) == -ENOMEM)
                        return -ENOMEM;
        return 0;
}

void fj_free_noblack(struct fj_ctx *c)
{
        for (size_t i = 0; c->noblack && i < c->t->n_noblack; i++)
                strv_free(c->noblack[i]);
        free(c->noblack);
        free(c->n_noblack);
}

bool fj_listed_before(const struct fj_ctx *c, char *const *pats, size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++) {
                if (pats == c->t->noblack && c->noblack) {
                        if (matches(c->noblack[i], c->n_noblack[i], path))
                                return true;
                        continue;
                }
                char **v = NULL;
                size_t nv = 0;
                if (fj_expand(c, pats[i], &v, &nv) < 0)
                        continue;
                bool hit = matches(v, nv, path);
                strv_free(v);
                if (hit)
                        return true;
        }
        return false;
}
