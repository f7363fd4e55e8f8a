#include "spec/spec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <strings.h>
#include <arpa/inet.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

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
        free(s->user);
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
        strv_free(s->env_dropped);
        if (s->argv)
                for (char **a = s->argv; *a; a++)
                        free(*a);
        free(s->argv);
        free(s->chdir);
        free(s->hostname);
        free(s->keep_fds);
        free(s->profile_name);
        free(s->description);
        free(s->home_source);
        strv_free(s->command);
        strv_free(s->devices);
        strv_free(s->devices_try);
        strv_free(s->syscall_deny);
        strv_free(s->syscall_allow);
        strv_free(s->protect);
        free(s->ports);
        free(s->resolv_conf);
        free(s->egress);
        free(s->net_rules);
        strv_free(s->dns);
        free(s->image);
        free(s->store);
        strv_free(s->shared_stores);
        if (s->image_lock > 0)
                close(s->image_lock);
        if (s->persist_lock > 0)
                close(s->persist_lock);
        free(s->name);
        strv_free(s->talk);
        strv_free(s->own);
        strv_free(s->private_etc);
        strv_free(s->private_bin);
        free(s->desktop_name);
        free(s->icon);
        free(s->runtime_dir);
        free(s->dbus_socket);
        free(s->dbus_log);
        for (size_t i = 0; i < s->n_nook_files; i++) {
                free(s->nook_files[i].name);
                free(s->nook_files[i].data);
        }
        free(s->nook_files);
        free(s->persist_dir);
        strv_free(s->layers);
        strv_free(s->image_env);
        free(s->image_passwd);
        free(s->image_group);
        strv_free(s->image_entrypoint);
        memset(s, 0, sizeof(*s));
}

/* A sandbox path: absolute, no "..", normalised. */
static int sandbox_path(const char *p, const char *what, const char *arg, char **out,
                        struct nook_err *e)
{
        if (!p || p[0] != '/')
                return nook_errf(e, EINVAL, "%s '%s' is not an absolute path (in '%s')", what,
                                 nook_val(p ? p : ""), nook_val(arg));
        char *n = path_normalize(p);
        if (!n)
                return nook_errf(e, errno, "%s '%s' is not usable: a '..' component is not allowed (in '%s')",
                                 what, nook_val(p), nook_val(arg));
        *out = n;
        return 0;
}

/* A host path: relative ones are taken from the current directory. */
static int host_path(const char *p, const char *arg, char **out, struct nook_err *e)
{
        _cleanup_free_ char *abs = NULL;

        if (!*p)
                return nook_errf(e, EINVAL, "empty source path in '%s'", nook_val(arg));
        if (p[0] != '/') {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)))
                        return nook_errf(e, errno, "cannot resolve relative source '%s': %m", nook_val(p));
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
        /* SRC:DST:ro and SRC:DST:rw, as podman and docker write them */
        char *opt = colon ? strrchr(colon + 1, ':') : NULL;
        if (colon && (strcmp(colon + 1, "ro") == 0 || strcmp(colon + 1, "rw") == 0)) {
                /* SRC:ro, the destination being the source */
                flags = strcmp(colon + 1, "ro") == 0 ? flags | SPEC_BIND_RO : flags & ~(unsigned)SPEC_BIND_RO;
                colon = NULL;
        } else if (opt) {
                if (strcmp(opt, ":ro") == 0)
                        flags |= SPEC_BIND_RO;
                else if (strcmp(opt, ":rw") == 0)
                        flags &= ~(unsigned)SPEC_BIND_RO;
                else
                        return nook_errf(e, EINVAL, "unknown bind option '%s' in '%s' (use :ro or :rw)", nook_val(opt + 1), nook_val(arg));
                *opt = '\0';
        }
        r = host_path(copy, arg, &src, e);
        if (r < 0)
                return r;
        r = sandbox_path(colon ? colon + 1 : src, "bind destination", arg, &dst, e);
        if (r < 0)
                return r;
        if (strcmp(dst, "/") == 0)
                return nook_errf(e, EINVAL, "bind destination '/' would replace the whole sandbox root (in '%s')", nook_val(arg));
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
                return nook_errf(e, EINVAL, "tmpfs destination '/' is already the sandbox root (in '%s')", nook_val(arg));
        mode_t mode = 0;
        for (char *o = opts ? strtok(opts, ",") : NULL; o; o = strtok(NULL, ",")) {
                if (str_has_prefix(o, "mode=")) {
                        char *end;
                        unsigned long m = strtoul(o + 5, &end, 8);
                        if (end == o + 5 || *end || m > 07777)
                                return nook_errf(e, EINVAL, "tmpfs mode '%s' is not an octal mode like 0700 in '%s'", nook_val(o + 5), nook_val(arg));
                        mode = m ? (mode_t)m : 0;
                        if (!m)
                                return nook_errf(e, EINVAL, "tmpfs mode 0 is not allowed in '%s' (nothing could enter it)", nook_val(arg));
                        continue;
                }
                if (!str_has_prefix(o, "size="))
                        return nook_errf(e, EINVAL, "unknown tmpfs option '%s' in '%s' (size=N and mode=0NNN are known)", nook_val(o), nook_val(arg));
                r = parse_size(o + 5, &size);
                if (r == -ERANGE)
                        return nook_errf(e, ERANGE, "tmpfs size '%s' is too large (at most 2^63 bytes) in '%s'", nook_val(o + 5), nook_val(arg));
                if (r < 0)
                        return nook_errf(e, EINVAL, "tmpfs size '%s' is not a size (use a number with K, M, G or T) in '%s'", nook_val(o + 5), nook_val(arg));
                if (size == 0)
                        return nook_errf(e, EINVAL, "tmpfs size 0 is not allowed in '%s' (leave size= out for the default)", nook_val(arg));
        }
        struct spec_tmpfs *t = VEC_GROW(s->tmpfs, s->n_tmpfs);
        if (!t)
                return nook_errf(e, ENOMEM, "out of memory");
        t->dst = steal_ptr(&dst);
        t->size = size;
        t->mode = mode;
        return 0;
}

int spec_add_hide(struct nook_spec *s, const char *path, struct nook_err *e)
{
        char *dst = NULL;
        int r = sandbox_path(path, "hidden path", path, &dst, e);

        if (r < 0)
                return r;
        if (strcmp(dst, "/") == 0) {
                free(dst);
                return nook_errf(e, EINVAL, "cannot hide '/': it is the whole sandbox");
        }
        char **h = VEC_GROW(s->hide, s->n_hide);
        if (!h) {
                free(dst);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        *h = dst;
        return 0;
}

uid_t spec_command_uid(const struct nook_spec *s, uid_t caller)
{
        if (s->uid_set)
                return s->uid;
        return s->n_layers ? (s->run_as_set ? s->run_uid : 0) : caller;
}

gid_t spec_command_gid(const struct nook_spec *s, gid_t caller)
{
        if (s->gid_set)
                return s->gid;
        return s->n_layers ? (s->run_as_set ? s->run_gid : 0) : caller;
}

int spec_push_bind(struct nook_spec *s, const char *src, const char *dst, unsigned flags, struct nook_err *e)
{
        char *a = strdup(src), *b = strdup(dst);
        struct spec_bind *v = a && b ? VEC_GROW(s->binds, s->n_binds) : NULL;

        if (!v) {
                free(a);
                free(b);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        v->src = a;
        v->dst = b;
        v->flags = flags;
        return 0;
}

int spec_push_nook_file(struct nook_spec *s, const char *name, const void *data, size_t len, mode_t mode,
                        struct nook_err *e)
{
        char *n = strdup(name), *d = malloc(len ? len : 1);
        struct spec_nook_file *f = n && d ? VEC_GROW(s->nook_files, s->n_nook_files) : NULL;

        if (!f) {
                free(n);
                free(d);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        memcpy(d, data, len);
        f->name = n;
        f->data = d;
        f->len = len;
        f->mode = mode;
        return 0;
}

int spec_push_tmpfs(struct nook_spec *s, const char *dst, uint64_t size, mode_t mode, struct nook_err *e)
{
        char *d = strdup(dst);
        struct spec_tmpfs *t = d ? VEC_GROW(s->tmpfs, s->n_tmpfs) : NULL;

        if (!t) {
                free(d);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        t->dst = d;
        t->size = size;
        t->mode = mode;
        return 0;
}

int spec_add_env(struct nook_spec *s, enum spec_env_op op, const char *arg, struct nook_err *e)
{
        const char *eq = strchr(arg, '=');

        if (op == SPEC_ENV_SET && (!eq || eq == arg))
                return nook_errf(e, EINVAL, "environment assignment '%s' is not of the form NAME=VALUE", nook_val(arg));
        if ((op == SPEC_ENV_UNSET || op == SPEC_ENV_PASS) && (eq || !*arg))
                return nook_errf(e, EINVAL, "'%s' is not a variable name", nook_val(arg));
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

/* An entry of op for name: "NAME" (UNSET), or "NAME=..." (SET). */
static bool env_named(const struct nook_spec *s, const char *name, size_t len, enum spec_env_op op)
{
        char end = op == SPEC_ENV_SET ? '=' : '\0';

        for (size_t i = 0; i < s->n_env; i++)
                if (s->env[i].op == op && strncmp(s->env[i].arg, name, len) == 0 && s->env[i].arg[len] == end)
                        return true;
        return false;
}

static const char *env_value(char *const *env, const char *name)
{
        size_t len = strlen(name);

        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
                        return env[i] + len + 1;
        return NULL;
}

int spec_env_resolve(struct nook_spec *s, char *const *env, struct nook_err *e)
{
        /* Environment=NAME: the caller's value, taken now (an image starts
           from its own environment, and ClearEnvironment= empties it); the
           caller's NAME unset, NAME unset */
        for (size_t i = 0; i < s->n_env; i++) {
                struct spec_env *v = &s->env[i];
                const char *value = v->op == SPEC_ENV_PASS ? env_value(env, v->arg) : NULL;
                if (v->op != SPEC_ENV_PASS)
                        continue;
                v->op = SPEC_ENV_UNSET;
                if (!value)
                        continue;
                char *set = NULL;
                if (asprintf(&set, "%s=%s", v->arg, value) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                free(v->arg);
                v->arg = set;
                v->op = SPEC_ENV_SET;
        }
        /* a host sandbox inherits the caller's environment: all but what
           looks like a secret, unless passed by name or set */
        if (s->image || s->clearenv)
                return 0;
        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || eq == env[i])
                        continue;
                size_t len = (size_t)(eq - env[i]);
                _cleanup_free_ char *name = strndup(env[i], len);
                if (!name)
                        return nook_errf(e, ENOMEM, "out of memory");
                /* set or unset by name already: nothing to say about it */
                if (!(spec_env_looks_secret(name) || spec_env_value_looks_secret(name, eq + 1)) ||
                    env_named(s, name, len, SPEC_ENV_SET) ||
                    env_named(s, name, len, SPEC_ENV_UNSET))
                        continue;
                if (strv_push(&s->env_dropped, &s->n_env_dropped, name) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        if (!s->n_env_dropped)
                return 0;
        /* before every other assignment, which still applies after them */
        size_t n = s->n_env_dropped;
        struct spec_env *v = calloc(n + s->n_env, sizeof(*v));
        if (!v)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                v[i] = (struct spec_env){ .op = SPEC_ENV_UNSET, .arg = strdup(s->env_dropped[i]) };
                if (!v[i].arg) {
                        while (i-- > 0)
                                free(v[i].arg);
                        free(v);
                        return nook_errf(e, ENOMEM, "out of memory");
                }
        }
        if (s->n_env)
                memcpy(v + n, s->env, s->n_env * sizeof(*v));
        free(s->env);
        s->env = v;
        s->n_env += n;
        return 0;
}

int spec_add_fd(struct nook_spec *s, const char *arg, struct nook_err *e)
{
        uint64_t v;

        if (parse_u64(arg, INT_MAX, &v) < 0)
                return nook_errf(e, EINVAL, "--fd '%s' is not a file descriptor number", nook_val(arg));
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
                return nook_errf(e, EINVAL, "--%s '%s' is not a number", is_gid ? "gid" : "uid", nook_val(arg));
        if (is_gid) {
                s->gid = (gid_t)v;
                s->gid_set = true;
        } else {
                s->uid = (uid_t)v;
                s->uid_set = true;
        }
        return 0;
}

int spec_add_device(struct nook_spec *s, const char *path, struct nook_err *e)
{
        /* a leading '-' makes it optional, as in systemd's EnvironmentFile=-… */
        bool optional = path[0] == '-';
        _cleanup_free_ char *n = path_normalize(path + optional);

        if (!n || !path_is_below(n, "/dev") || strcmp(n, "/dev") == 0)
                return nook_errf(e, EINVAL, "device '%s' is not a path under /dev", nook_val(path));
        if (strv_push(optional ? &s->devices_try : &s->devices, optional ? &s->n_devices_try : &s->n_devices, n) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

int spec_add_syscall(struct nook_spec *s, bool allow, const char *name, struct nook_err *e)
{
        size_t n = strlen(name);

        if (n == 0 || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n ||
            seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
                return nook_errf(e, EINVAL, "'%s' is not a system call name", nook_val(name));
        int r = allow ? strv_push(&s->syscall_allow, &s->n_syscall_allow, name)
                      : strv_push(&s->syscall_deny, &s->n_syscall_deny, name);
        if (r < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

int spec_set_caps(struct nook_spec *s, const char *list, struct nook_err *e)
{
        _cleanup_free_ char *copy = strdup(list);
        uint64_t keep = 0;
        char *save = NULL;

        if (!copy)
                return nook_errf(e, ENOMEM, "out of memory");
        for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
                char name[64];
                cap_value_t c;
                if (strcasecmp(w, "none") == 0)
                        continue;
                /* too long for the buffer is too long for a name */
                bool fits = STR_FMT(name, "%s%s", strncasecmp(w, "cap_", 4) == 0 ? "" : "cap_", w) == 0;
                for (char *p = name; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                if (!fits || cap_from_name(name, &c) < 0 || c < 0 || c > 63 || isdigit((unsigned char)w[0]))
                        return nook_errf(e, EINVAL, "'%s' is not a capability name (e.g. CAP_NET_BIND_SERVICE)", nook_val(w));
                keep |= UINT64_C(1) << c;
        }
        s->caps_set = true;
        s->caps_keep = keep;
        return 0;
}

int spec_set_limit(struct nook_spec *s, enum spec_limit which, const char *value, struct nook_err *e)
{
        uint64_t v;
        int r;

        if (strcmp(value, "infinity") == 0 || strcmp(value, "unlimited") == 0) {
                v = UINT64_MAX;
        } else {
                bool bytes = which == SPEC_LIMIT_FSIZE || which == SPEC_LIMIT_CORE ||
                             which == SPEC_LIMIT_STACK || which == SPEC_LIMIT_AS;
                r = bytes ? parse_size(value, &v) : parse_u64(value, UINT64_MAX - 1, &v);
                if (r < 0)
                        return nook_errf(e, EINVAL, "limit '%s' is not %s", nook_val(value),
                                         bytes ? "a size (a number with K, M, G or T) or 'infinity'"
                                               : "a number or 'infinity'");
        }
        /* Below these no program starts: the dynamic loader cannot map
           libc (address space), the kernel kills it on its first calls
           (stack), the loader cannot open a library or a shell its fds
           (files). Refused here, rather than a command that dies of
           SIGSEGV without a word. */
        static const struct { uint64_t min; const char *key, *option, *shown; } floor[SPEC_LIMIT_COUNT] = {
                [SPEC_LIMIT_NOFILE] = { SPEC_LIMIT_MIN_NOFILE, "NoFile", "limit-nofile", "16" },
                [SPEC_LIMIT_STACK] = { SPEC_LIMIT_MIN_STACK, "Stack", "limit-stack", "64K" },
                [SPEC_LIMIT_AS] = { SPEC_LIMIT_MIN_AS, "AddressSpace", "limit-addressspace", "16M" },
        };
        if (v < floor[which].min)
                return nook_errf(e, EINVAL, "%s=%s (--%s) is too little to start any program: give at least %s, or 'infinity'",
                                 floor[which].key, nook_val(value), floor[which].option, floor[which].shown);
        s->limits[which].set = true;
        s->limits[which].value = v;
        return 0;
}

int spec_set_home(struct nook_spec *s, const char *mode, struct nook_err *e)
{
        static const char *const names[] = { "tmpfs", "private", "host", "none" };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(mode, names[i]) == 0) {
                        s->home = (enum spec_home)i;
                        s->home_set = true;
                        return 0;
                }
        return nook_errf(e, EINVAL, "home mode '%s' is not one of tmpfs, private, host, none", nook_val(mode));
}

int spec_set_command(struct nook_spec *s, const char *line, struct nook_err *e)
{
        _cleanup_free_ char *word = malloc(strlen(line) + 1);
        char **argv = NULL;
        size_t n = 0;
        const char *p = line;

        if (!word)
                return nook_errf(e, ENOMEM, "out of memory");
        for (;;) {
                while (isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                char *w = word;
                char quote = 0;
                for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
                        if (quote == '\'') {
                                if (*p == '\'')
                                        quote = 0;
                                else
                                        *w++ = *p;
                        } else if (*p == '\\' && p[1] && (!quote || strchr("\"\\$`", p[1]))) {
                                *w++ = *++p;
                        } else if (quote == '"' && *p == '"') {
                                quote = 0;
                        } else if (!quote && (*p == '\'' || *p == '"')) {
                                quote = *p;
                        } else {
                                *w++ = *p;
                        }
                }
                if (quote) {
                        strv_free(argv);
                        return nook_errf(e, EINVAL, "unterminated %c quote in command '%s'", quote, nook_val(line));
                }
                *w = '\0';
                if (strv_push(&argv, &n, word) < 0) {
                        strv_free(argv);
                        return nook_errf(e, ENOMEM, "out of memory");
                }
        }
        strv_free(s->command);
        s->command = argv;      /* NULL for an empty Command= */
        return 0;
}

static int parse_port(const char *s, unsigned *out)
{
        uint64_t v;

        if (parse_u64(s, 65535, &v) < 0 || v == 0)
                return -EINVAL;
        *out = (unsigned)v;
        return 0;
}

/* "tcp"/"udp" after a '/': cut from the value, returned as a protocol */
static int cut_proto(char *v, int *proto)
{
        char *slash = strrchr(v, '/');

        *proto = 0;
        if (!slash)
                return 0;
        if (strcmp(slash, "/tcp") == 0)
                *proto = 6;
        else if (strcmp(slash, "/udp") == 0)
                *proto = 17;
        else
                return 0;       /* a CIDR's "/24": not a protocol */
        *slash = '\0';
        return 1;
}

int spec_add_port(struct nook_spec *s, const char *arg, struct nook_err *e)
{
        struct net_port p = { .host_ip = "127.0.0.1" };
        char buf[128], *fields[3];
        int n = 0, proto;

        if (STR_FMT(buf, "%s", arg) < 0)
                return nook_errf(e, EINVAL, "published port '%s' is too long", nook_val(arg));
        cut_proto(buf, &proto);
        p.udp = proto == 17;
        bool extra = false;
        for (char *save = NULL, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
                if (n == 3) {
                        extra = true;
                        break;
                }
                fields[n++] = t;
        }
        if (n < 2 || extra || (strchr(arg, '/') && !proto))
                return nook_errf(e, EINVAL, "published port '%s' is not [HOST_IP:]HOST_PORT:SANDBOX_PORT[/tcp|/udp]", nook_val(arg));
        if (n == 3) {
                struct in_addr a;
                if (inet_pton(AF_INET, fields[0], &a) != 1 || STR_FMT(p.host_ip, "%s", fields[0]) < 0)
                        return nook_errf(e, EINVAL, "'%s' in published port '%s' is not an IPv4 address", nook_val(fields[0]), nook_val(arg));
        }
        if (parse_port(fields[n - 2], &p.host_port) < 0 || parse_port(fields[n - 1], &p.guest_port) < 0)
                return nook_errf(e, EINVAL, "published port '%s' has a port that is not 1 to 65535", nook_val(arg));
        struct net_port *v = VEC_GROW(s->ports, s->n_ports);
        if (!v)
                return nook_errf(e, ENOMEM, "out of memory");
        *v = p;
        return 0;
}

int spec_add_net_rule(struct nook_spec *s, bool allow, const char *arg, struct nook_err *e)
{
        struct net_rule r = { .allow = allow };
        char buf[128], addr[128];
        const char *what = allow ? "Allow" : "Deny";

        if (STR_FMT(buf, "%s", arg) < 0)
                return nook_errf(e, EINVAL, "%s rule '%s' is too long", what, nook_val(arg));
        cut_proto(buf, &r.proto);
        /* the port follows the last ':' of an IPv4 address, or "]:" of [v6] */
        char *port = NULL;
        if (buf[0] == '[') {
                char *end = strchr(buf, ']');
                if (!end)
                        return nook_errf(e, EINVAL, "%s rule '%s': unterminated [", what, nook_val(arg));
                *end = '\0';
                if (end[1] == ':')
                        port = end + 2;
                memmove(buf, buf + 1, strlen(buf + 1) + 1);
        } else if (!strchr(buf, ':') || strchr(buf, '.')) {
                port = strchr(buf, ':');
                if (port)
                        *port++ = '\0';
        }
        if (STR_FMT(addr, "%s", buf) < 0)     /* cannot be: the same size */
                return nook_errf(e, EINVAL, "%s rule '%s' is too long", what, nook_val(arg));
        char *slash = strchr(addr, '/');
        unsigned plen = 0;
        if (slash) {
                *slash = '\0';
                uint64_t v;
                if (parse_u64(slash + 1, 128, &v) < 0)
                        return nook_errf(e, EINVAL, "%s rule '%s': '%s' is not a prefix length", what, nook_val(arg), nook_val(slash + 1));
                plen = (unsigned)v;
        }
        unsigned char bin[16];
        if (inet_pton(AF_INET, addr, bin) == 1) {
                if (!slash)
                        plen = 32;
                if (plen > 32)
                        return nook_errf(e, EINVAL, "%s rule '%s': an IPv4 prefix is at most /32", what, nook_val(arg));
        } else if (inet_pton(AF_INET6, addr, bin) == 1) {
                r.v6 = true;
                if (!slash)
                        plen = 128;
        } else {
                return nook_errf(e, EINVAL, "%s rule '%s' does not start with an IP address or CIDR", what, nook_val(arg));
        }
        if (STR_FMT(r.cidr, "%s/%u", addr, plen) < 0)
                return nook_errf(e, EINVAL, "%s rule '%s' is too long", what, nook_val(arg));
        if (port && *port) {
                char *dash = strchr(port, '-');
                if (dash)
                        *dash++ = '\0';
                if (parse_port(port, &r.port_lo) < 0 || (dash && parse_port(dash, &r.port_hi) < 0) ||
                    (dash && r.port_hi < r.port_lo))
                        return nook_errf(e, EINVAL, "%s rule '%s' has a port range that is not 1 to 65535", what, nook_val(arg));
                if (!dash)
                        r.port_hi = r.port_lo;
        }
        struct net_rule *v = VEC_GROW(s->net_rules, s->n_net_rules);
        if (!v)
                return nook_errf(e, ENOMEM, "out of memory");
        *v = r;
        return 0;
}

int spec_add_dns(struct nook_spec *s, const char *addr, struct nook_err *e)
{
        unsigned char bin[16];

        if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
                return nook_errf(e, EINVAL, "DNS server '%s' is not an IP address", nook_val(addr));
        if (strv_push(&s->dns, &s->n_dns, addr) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

struct net_config spec_net_config(const struct nook_spec *s)
{
        return (struct net_config){
                .slirp = s->slirp,
                .pasta = s->pasta,
                .host_loopback = s->host_loopback,
                .ipv6 = s->ipv6,
                .ports = s->ports,
                .n_ports = s->n_ports,
                .rules = s->net_rules,
                .n_rules = s->n_net_rules,
                .dns = s->dns,
                .n_dns = s->n_dns,
        };
}
