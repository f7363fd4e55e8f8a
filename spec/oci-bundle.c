/* An OCI runtime bundle's config.json, read with jansson into struct
   oci_bundle: what `nook oci run` turns into a sandbox. Only what nook
   honours is accepted; a mount of another kind is refused, not dropped. */
#include "spec/oci-bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

#define CONFIG_MAX (4u << 20)

/* The mounts every runtime's default config lists and nook makes (or
   leaves out) itself: /proc, /dev, /dev/pts, /dev/shm are nook's own;
   /sys, its cgroup and /dev/mqueue are not mounted in nook's images. */
static bool nooks_own(const char *dst, const char *type)
{
        static const char *const own[][2] = {
                { "/proc", "proc" }, { "/dev", "tmpfs" }, { "/dev/pts", "devpts" }, { "/dev/shm", "tmpfs" },
                { "/dev/mqueue", "mqueue" }, { "/sys", "sysfs" }, { "/sys", "bind" }, { "/sys", "none" },
                { "/sys/fs/cgroup", "cgroup" }, { "/sys/fs/cgroup", "cgroup2" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(own); i++)
                if (strcmp(dst, own[i][0]) == 0 && strcmp(type, own[i][1]) == 0)
                        return true;
        return false;
}

static bool has_option(json_t *opts, const char *want)
{
        size_t i;
        json_t *o;

        json_array_foreach(opts, i, o)
                if (json_is_string(o) && strcmp(json_string_value(o), want) == 0)
                        return true;
        return false;
}

/* A tmpfs's size= and mode=, as nook's --tmpfs takes them; the other
   options (nosuid, nodev, noexec, strictatime) are nook's anyway or
   harmless to leave. */
static int tmpfs_options(json_t *opts, struct oci_mount *m, struct nook_err *e)
{
        _cleanup_(buf_free) struct buf b = { 0 };
        size_t i;
        json_t *o;

        json_array_foreach(opts, i, o) {
                const char *v = json_string_value(o);
                if (!v)
                        return nook_errf(e, EINVAL, "mounts: the options of %s are not strings", m->dst);
                if ((str_has_prefix(v, "size=") || str_has_prefix(v, "mode=")) &&
                    buf_appendf(&b, "%s%s", b.len ? "," : "", v) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        m->tmpfs_opts = b.len ? steal_ptr(&b.p) : NULL;
        return 0;
}

static int bind_source(const char *bundle, const char *src, struct oci_mount *m, struct nook_err *e)
{
        if (!src || !*src)
                return nook_errf(e, EINVAL, "mounts: the bind at %s has no source", m->dst);
        m->src = src[0] == '/' ? strdup(src) : str_dupf("%s/%s", bundle, src);
        if (!m->src)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

static int read_mount(const char *bundle, json_t *j, struct oci_mount *m, bool *skip, struct nook_err *e)
{
        const char *dst = json_string_value(json_object_get(j, "destination"));
        const char *type = json_string_value(json_object_get(j, "type"));
        const char *src = json_string_value(json_object_get(j, "source"));
        json_t *opts = json_object_get(j, "options");

        if (!dst || dst[0] != '/')
                return nook_errf(e, EINVAL, "mounts: a destination is missing or not absolute ('%s')", nook_val(dst ? dst : ""));
        if (opts && !json_is_array(opts))
                return nook_errf(e, EINVAL, "mounts: the options of %s are not a list", nook_val(dst));
        bool bind = (type && strcmp(type, "bind") == 0) || has_option(opts, "bind") || has_option(opts, "rbind");
        *skip = nooks_own(dst, type ? type : "none");
        if (*skip)
                return 0;
        bool tmpfs = !bind && type && strcmp(type, "tmpfs") == 0;
        if (!bind && !tmpfs)
                return nook_errf(e, EINVAL, "mounts: %s of type '%s' is not supported (nook oci honours bind and tmpfs mounts)",
                                 nook_val(dst), nook_val(type ? type : ""));
        const char *colon = strchr(dst, ':') ? dst : bind && src && strchr(src, ':') ? src : NULL;
        if (colon)
                return nook_errf(e, EINVAL, "mounts: a path with ':' is not supported ('%s')", nook_val(colon));
        if (!(m->dst = strdup(dst)))
                return nook_errf(e, ENOMEM, "out of memory");
        m->tmpfs = tmpfs;
        if (tmpfs)
                return tmpfs_options(opts, m, e);
        m->ro = has_option(opts, "ro");
        return bind_source(bundle, src, m, e);
}

static int read_mounts(struct oci_bundle *b, json_t *mounts, struct nook_err *e)
{
        size_t i;
        json_t *j;

        if (!mounts)
                return 0;
        if (!json_is_array(mounts))
                return nook_errf(e, EINVAL, "mounts is not a list");
        b->mounts = calloc(json_array_size(mounts) + 1, sizeof(*b->mounts));
        if (!b->mounts)
                return nook_errf(e, ENOMEM, "out of memory");
        json_array_foreach(mounts, i, j) {
                bool skip = false;
                if (!json_is_object(j))
                        return nook_errf(e, EINVAL, "mounts: entry %zu is not an object", i);
                int r = read_mount(b->dir, j, &b->mounts[b->n_mounts], &skip, e);
                if (r < 0)
                        return r;
                if (!skip)
                        b->n_mounts++;
        }
        return 0;
}

/* A list of strings into a NULL-terminated vector; each checked by ok. */
static int read_strv(json_t *a, const char *what, bool (*ok)(const char *), char ***v, size_t *n, struct nook_err *e)
{
        size_t i;
        json_t *s;

        if (a && !json_is_array(a))
                return nook_errf(e, EINVAL, "%s is not a list", what);
        json_array_foreach(a, i, s) {
                const char *str = json_string_value(s);
                if (!str || (ok && !ok(str)))
                        return nook_errf(e, EINVAL, "%s: entry %zu is not valid ('%s')", what, i, nook_val(str ? str : ""));
                if (strv_push(v, n, str) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        return 0;
}

static bool env_ok(const char *s)
{
        const char *eq = strchr(s, '=');

        return eq && eq != s;
}

static int read_user(struct oci_bundle *b, json_t *user, struct nook_err *e)
{
        json_t *uid = json_object_get(user, "uid"), *gid = json_object_get(user, "gid");

        if ((uid && !json_is_integer(uid)) || (gid && !json_is_integer(gid)))
                return nook_errf(e, EINVAL, "process.user: uid and gid must be numbers");
        json_int_t u = uid ? json_integer_value(uid) : 0, g = gid ? json_integer_value(gid) : 0;
        if (u < 0 || u > 4294967294LL || g < 0 || g > 4294967294LL)
                return nook_errf(e, EINVAL, "process.user: uid or gid out of range");
        b->uid = (uint32_t)u;
        b->gid = (uint32_t)g;
        return 0;
}

static int read_process(struct oci_bundle *b, json_t *p, struct nook_err *e)
{
        if (!json_is_object(p))
                return nook_errf(e, EINVAL, "no process in config.json");
        int r = read_strv(json_object_get(p, "args"), "process.args", NULL, &b->args, &b->n_args, e);
        if (r == 0 && b->n_args == 0)
                r = nook_errf(e, EINVAL, "process.args is missing or empty");
        if (r == 0)
                r = read_strv(json_object_get(p, "env"), "process.env", env_ok, &b->env, &b->n_env, e);
        if (r == 0)
                r = read_user(b, json_object_get(p, "user"), e);
        if (r < 0)
                return r;
        json_t *cwd = json_object_get(p, "cwd");
        const char *c = cwd ? json_string_value(cwd) : "/";
        if (!c || c[0] != '/')
                return nook_errf(e, EINVAL, "process.cwd must be an absolute path");
        b->terminal = json_is_true(json_object_get(p, "terminal"));
        return (b->cwd = strdup(c)) ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* A relative root.path resolved beneath the bundle, symlinks and ".."
   included; its real path through the fd, as the kernel resolved it. */
static int read_root(struct oci_bundle *b, int bundle_fd, json_t *root, struct nook_err *e)
{
        const char *path = json_string_value(json_object_get(root, "path"));

        if (!path || !*path)
                return nook_errf(e, EINVAL, "root.path is missing");
        struct stat st;
        /* Slurm rewrites root.path as BUNDLE/rootfs, absolute: that last
           name must still be the directory itself, not a link elsewhere */
        if (path[0] == '/' && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
                return nook_errf(e, ELOOP, "root.path '%s' is a symbolic link", nook_val(path));
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int fd = path[0] == '/' ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
                                                : (int)syscall(SYS_openat2, bundle_fd, path, &how, sizeof(how));
        if (fd < 0 && errno == EXDEV)
                return nook_errf(e, EXDEV, "root.path '%s' leads outside the bundle", nook_val(path));
        if (fd < 0)
                return nook_errf(e, errno, "root.path '%s': %m", nook_val(path));
        char link[64];
        if (STR_FMT(link, "/proc/self/fd/%d", fd) < 0 || !(b->rootfs = realpath(link, NULL)))
                return nook_errf(e, errno ? errno : EIO, "root.path '%s': %m", nook_val(path));
        if (strcmp(b->rootfs, "/") == 0)
                return nook_errf(e, EINVAL, "root.path '%s' is the host's root", nook_val(path));
        return 0;
}

static int read_linux(struct oci_bundle *b, json_t *lx, struct nook_err *e)
{
        json_t *ns = json_object_get(lx, "namespaces");
        size_t i;
        json_t *n;

        if (ns && !json_is_array(ns))
                return nook_errf(e, EINVAL, "linux.namespaces is not a list");
        /* a namespace not listed is the runtime's own (the OCI spec) */
        json_array_foreach(ns, i, n) {
                const char *t = json_string_value(json_object_get(n, "type"));
                if (t && strcmp(t, "network") == 0)
                        b->private_net = true;
        }
        return 0;
}

static int load_config(int bundle_fd, const char *dir, json_t **out, struct nook_err *e)
{
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, bundle_fd, "config.json", &how, sizeof(how));
        struct stat st;
        size_t len = 0;
        json_error_t je;

        if (fd < 0)
                return nook_errf(e, errno, "bundle %s: cannot open config.json: %m", nook_val(dir));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > CONFIG_MAX)
                return nook_errf(e, EINVAL, "bundle %s: config.json is not a regular file of at most 4 MiB", nook_val(dir));
        _cleanup_free_ char *text = read_all(fd, CONFIG_MAX, &len);
        if (!text)
                return nook_errf(e, ENOMEM, "out of memory");
        *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!*out || !json_is_object(*out))
                return nook_errf(e, EINVAL, "bundle %s: config.json: line %d: %s", nook_val(dir), je.line,
                                 *out ? "not a JSON object" : je.text);
        return 0;
}

int oci_bundle_read(const char *dir, struct oci_bundle *b, struct nook_err *e)
{
        memset(b, 0, sizeof(*b));
        b->dir = realpath(dir, NULL);
        if (!b->dir)
                return nook_errf(e, errno, "bundle %s: %m", nook_val(dir));
        _cleanup_close_ int fd = open(b->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nook_errf(e, errno, "bundle %s: %m", nook_val(dir));
        _cleanup_(json_decrefp) json_t *cfg = NULL;
        int r = load_config(fd, dir, &cfg, e);
        if (r == 0)
                r = read_root(b, fd, json_object_get(cfg, "root"), e);
        if (r == 0)
                r = read_process(b, json_object_get(cfg, "process"), e);
        if (r == 0)
                r = read_mounts(b, json_object_get(cfg, "mounts"), e);
        if (r == 0)
                r = read_linux(b, json_object_get(cfg, "linux"), e);
        json_t *h = json_object_get(cfg, "hostname");
        if (r == 0 && h && !json_is_string(h))
                r = nook_errf(e, EINVAL, "hostname is not a string");
        if (r == 0 && h && json_string_length(h) && !(b->hostname = strdup(json_string_value(h))))
                r = nook_errf(e, ENOMEM, "out of memory");
        if (r < 0 && !str_has_prefix(e->msg, "bundle "))
                nook_err_prefix(e, "bundle %s: config.json", nook_val(dir));
        return r;
}

void oci_bundle_free(struct oci_bundle *b)
{
        for (size_t i = 0; b->mounts && i < b->n_mounts + 1; i++) {
                free(b->mounts[i].src);
                free(b->mounts[i].dst);
                free(b->mounts[i].tmpfs_opts);
        }
        free(b->mounts);
        strv_free(b->args);
        strv_free(b->env);
        free(b->dir);
        free(b->rootfs);
        free(b->cwd);
        free(b->hostname);
        memset(b, 0, sizeof(*b));
}
