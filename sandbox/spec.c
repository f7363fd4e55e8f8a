#include "sandbox/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/cleanup.h"
#include "sandbox/strutil.h"

/* Grows an array by one element, zeroed; NULL on allocation failure. */
#define VEC_GROW(arr, n)                                                         \
        ({                                                                       \
                __typeof__(arr) _a = reallocarray((arr), (n) + 1, sizeof(*(arr))); \
                if (_a) {                                                        \
                        memset(&_a[(n)], 0, sizeof(*_a));                        \
                        (arr) = _a;                                              \
                        (n)++;                                                   \
                }                                                                \
                _a ? &_a[(n) - 1] : NULL;                                        \
        })

void spec_init(struct nook_spec *s)
{
        memset(s, 0, sizeof(*s));
}

void spec_free(struct nook_spec *s)
{
        for (size_t i = 0; i < s->n_binds; i++) {
                free(s->binds[i].src);
                free(s->binds[i].dst);
        }
        free(s->binds);
        for (size_t i = 0; i < s->n_tmpfs; i++)
                free(s->tmpfs[i].dst);
        free(s->tmpfs);
        for (size_t i = 0; i < s->n_hide; i++)
                free(s->hide[i]);
        free(s->hide);
        for (size_t i = 0; i < s->n_env; i++)
                free(s->env[i].arg);
        free(s->env);
        if (s->argv)
                for (char **a = s->argv; *a; a++)
                        free(*a);
        free(s->argv);
        free(s->chdir);
        free(s->hostname);
        free(s->keep_fds);
        memset(s, 0, sizeof(*s));
}

/* A sandbox path: absolute, no "..", normalised. */
static int sandbox_path(const char *p, const char *what, const char *arg, char **out,
                        struct nook_err *e)
{
        if (!p || p[0] != '/')
                return nook_errf(e, EINVAL, "%s '%s' is not an absolute path (in '%s')", what,
                                 p ? p : "", arg);
        char *n = path_normalize(p);
        if (!n)
                return nook_errf(e, errno, "%s '%s' is not usable: a '..' component is not allowed (in '%s')",
                                 what, p, arg);
        *out = n;
        return 0;
}

/* A host path: relative ones are taken from the current directory. */
static int host_path(const char *p, const char *arg, char **out, struct nook_err *e)
{
        _cleanup_free_ char *abs = NULL;

        if (!*p)
                return nook_errf(e, EINVAL, "empty source path in '%s'", arg);
        if (p[0] != '/') {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)))
                        return nook_errf(e, errno, "cannot resolve relative source '%s': %m", p);
                if (asprintf(&abs, "%s/%s", cwd, p) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                p = abs;
        }
        char *n = path_normalize(p);
        if (!n) {
                /* ".." in a host path is the user's own business: keep it as given */
                n = strdup(p);
                if (!n)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        *out = n;
        return 0;
}

int spec_add_bind(struct nook_spec *s, const char *arg, unsigned flags, struct nook_err *e)
{
        _cleanup_free_ char *copy = strdup(arg), *src = NULL, *dst = NULL;
        int r;

        if (!copy)
                return nook_errf(e, ENOMEM, "out of memory");
        char *colon = strchr(copy, ':');
        if (colon)
                *colon = '\0';
        r = host_path(copy, arg, &src, e);
        if (r < 0)
                return r;
        r = sandbox_path(colon ? colon + 1 : src, "bind destination", arg, &dst, e);
        if (r < 0)
                return r;
        if (strcmp(dst, "/") == 0)
                return nook_errf(e, EINVAL, "bind destination '/' would replace the whole sandbox root (in '%s')", arg);
        struct spec_bind *b = VEC_GROW(s->binds, s->n_binds);
        if (!b)
                return nook_errf(e, ENOMEM, "out of memory");
        b->src = steal_ptr(&src);
        b->dst = steal_ptr(&dst);
        b->flags = flags;
        return 0;
}

int spec_add_tmpfs(struct nook_spec *s, const char *arg, struct nook_err *e)
{
        _cleanup_free_ char *copy = strdup(arg), *dst = NULL;
        uint64_t size = 0;
        int r;

        if (!copy)
                return nook_errf(e, ENOMEM, "out of memory");
        char *opts = strchr(copy, ':');
        if (opts)
                *opts++ = '\0';
        r = sandbox_path(copy, "tmpfs destination", arg, &dst, e);
        if (r < 0)
                return r;
        if (strcmp(dst, "/") == 0)
                return nook_errf(e, EINVAL, "tmpfs destination '/' is already the sandbox root (in '%s')", arg);
        for (char *o = opts ? strtok(opts, ",") : NULL; o; o = strtok(NULL, ",")) {
                if (!str_has_prefix(o, "size="))
                        return nook_errf(e, EINVAL, "unknown tmpfs option '%s' in '%s' (only size=N is known)", o, arg);
                r = parse_size(o + 5, &size);
                if (r == -ERANGE)
                        return nook_errf(e, ERANGE, "tmpfs size '%s' is too large (at most 2^63 bytes) in '%s'", o + 5, arg);
                if (r < 0)
                        return nook_errf(e, EINVAL, "tmpfs size '%s' is not a size (use a number with K, M, G or T) in '%s'", o + 5, arg);
                if (size == 0)
                        return nook_errf(e, EINVAL, "tmpfs size 0 is not allowed in '%s' (leave size= out for the default)", arg);
        }
        struct spec_tmpfs *t = VEC_GROW(s->tmpfs, s->n_tmpfs);
        if (!t)
                return nook_errf(e, ENOMEM, "out of memory");
        t->dst = steal_ptr(&dst);
        t->size = size;
        return 0;
}

int spec_add_hide(struct nook_spec *s, const char *path, struct nook_err *e)
{
        char *dst = NULL;
        int r = sandbox_path(path, "hidden path", path, &dst, e);

        if (r < 0)
                return r;
        char **h = VEC_GROW(s->hide, s->n_hide);
        if (!h) {
                free(dst);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        *h = dst;
        return 0;
}

int spec_add_env(struct nook_spec *s, enum spec_env_op op, const char *arg, struct nook_err *e)
{
        const char *eq = strchr(arg, '=');

        if (op == SPEC_ENV_SET && (!eq || eq == arg))
                return nook_errf(e, EINVAL, "environment assignment '%s' is not of the form NAME=VALUE", arg);
        if (op == SPEC_ENV_UNSET && (eq || !*arg))
                return nook_errf(e, EINVAL, "'%s' is not a variable name", arg);
        char *copy = strdup(arg);
        if (!copy)
                return nook_errf(e, ENOMEM, "out of memory");
        struct spec_env *v = VEC_GROW(s->env, s->n_env);
        if (!v) {
                free(copy);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        v->op = op;
        v->arg = copy;
        return 0;
}

int spec_add_fd(struct nook_spec *s, const char *arg, struct nook_err *e)
{
        uint64_t v;

        if (parse_u64(arg, INT_MAX, &v) < 0)
                return nook_errf(e, EINVAL, "--fd '%s' is not a file descriptor number", arg);
        int *f = VEC_GROW(s->keep_fds, s->n_keep_fds);
        if (!f)
                return nook_errf(e, ENOMEM, "out of memory");
        *f = (int)v;
        return 0;
}

int spec_set_id(struct nook_spec *s, bool is_gid, const char *arg, struct nook_err *e)
{
        uint64_t v;
        /* (uid_t)-1 means "no change" to the kernel and can never be mapped */
        int r = parse_u64(arg, UINT32_MAX - 1, &v);

        if (r == -ERANGE)
                return nook_errf(e, ERANGE, "--%s %s is beyond what can be mapped (0 to 4294967294)",
                                 is_gid ? "gid" : "uid", arg);
        if (r < 0)
                return nook_errf(e, EINVAL, "--%s '%s' is not a number", is_gid ? "gid" : "uid", arg);
        if (is_gid) {
                s->gid = (gid_t)v;
                s->gid_set = true;
        } else {
                s->uid = (uid_t)v;
                s->uid_set = true;
        }
        return 0;
}
