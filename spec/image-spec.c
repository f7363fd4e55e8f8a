#include "spec/image-spec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/mount.h"
#include "fs/resolve.h"
#include "image/store.h"
#include "lib/cleanup.h"
#include "lib/launcher.h"
#include "lib/libexec.h"
#include "lib/strutil.h"
#include "spec/image-store-fs.h"

bool image_exists(const struct store_search *ss, const char *name)
{
        char norm[512];
        struct nook_err e = { 0 };

        if (strchr(name, '/') == name || store_normalize_name(name, norm, sizeof(norm), &e) < 0)
                return false;
        return store_search_has(ss, norm);
}

/* The record files' names under root/images, unescaped as store.c writes
   them, pushed onto v; the records themselves are nook-image's to read. */
static int push_names(const char *root, char ***v, size_t *k)
{
        _cleanup_free_ char *dir = NULL;

        if (!root || asprintf(&dir, "%s/images", root) < 0)
                return -ENOMEM;
        DIR *dp = opendir(dir);
        struct dirent *de;
        while (dp && (de = readdir(dp))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                char *name = strndup(de->d_name, len - 5);
                if (name) {
                        char *w = name;
                        for (const char *r = name; *r; r++, w++) {
                                if (strncmp(r, "%2F", 3) == 0) {
                                        *w = '/';
                                        r += 2;
                                } else {
                                        *w = *r;
                                }
                        }
                        *w = '\0';
                        /* as a user types it: `nook run alpine` */
                        size_t l = strlen(name);
                        if (l > 7 && strcmp(name + l - 7, ":latest") == 0)
                                name[l - 7] = '\0';
                }
                if (!name || strv_push(v, k, name) < 0) {
                        free(name);
                        closedir(dp);
                        return -ENOMEM;
                }
                free(name);
        }
        if (dp)
                closedir(dp);
        return 0;
}

int image_names(const struct store_search *ss, char ***names, size_t *n)
{
        _cleanup_free_ char *own = ss->own ? strdup(ss->own) : store_default_root();
        char **v = NULL;
        size_t k = 0;
        int r = push_names(own, &v, &k);

        for (size_t i = 0; r == 0 && i < ss->n_shared; i++)
                r = push_names(ss->shared[i], &v, &k);
        if (r < 0) {
                strv_free(v);
                v = NULL;
                k = 0;
        }
        *names = v;
        *n = k;
        return r;
}

static int strv_from_json(json_t *a, char ***out, size_t *n)
{
        size_t i;
        json_t *v;

        json_array_foreach(a, i, v)
                if (json_is_string(v) && strv_push(out, n, json_string_value(v)) < 0)
                        return -ENOMEM;
        return 0;
}

/* What one layer says of a path of the image, as overlayfs reads it. */
enum layer_says { LAYER_NOTHING, LAYER_FILE, LAYER_GONE, LAYER_OPAQUE_MISS };

/* The file's entry in one layer, walked a component at a time without
   following anything: a whiteout of it or of a parent hides every lower
   copy, and so does an opaque parent; a parent that is not a plain
   directory (a link, a file) is refused, since the sandbox would see
   something else than what nook reads. *fd is the file, open for reading. */
static int layer_entry(int root, const char *file, int *fd, enum layer_says *says, struct nook_err *e)
{
        _cleanup_close_ int dir = fcntl(root, F_DUPFD_CLOEXEC, 3);
        _cleanup_free_ char *copy = strdup(file);
        bool opaque = false;
        char *save = NULL;

        *says = LAYER_NOTHING;
        if (dir < 0 || !copy)
                return nook_errf(e, errno ? errno : ENOMEM, "cannot read the image's /%s: %m", file);
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct stat st;
                bool last = save == NULL || *save == '\0';
                if (fstatat(dir, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && errno != ENOTDIR)
                                return nook_errf(e, errno, "cannot read the image's /%s: %m", file);
                        *says = opaque ? LAYER_OPAQUE_MISS : LAYER_NOTHING;
                        return 0;
                }
                if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
                        *says = LAYER_GONE;     /* deleted in this layer */
                        return 0;
                }
                if (last) {
                        if (!S_ISREG(st.st_mode))
                                return nook_errf(e, EINVAL, "the image's /%s is not a regular file%s (fix the image, or give ids with --uid and --gid)",
                                                 file, S_ISLNK(st.st_mode) ? " but a link, which nook does not follow" : "");
                        *fd = resolve_open_regular(dir, c);
                        if (*fd < 0)
                                return nook_errf(e, -*fd, "cannot read the image's /%s: %m", file);
                        *says = LAYER_FILE;
                        return 0;
                }
                if (!S_ISDIR(st.st_mode))
                        return nook_errf(e, EINVAL, "the image's /%s is inside /%s, which is not a directory%s (fix the image, or give ids with --uid and --gid)",
                                         file, c, S_ISLNK(st.st_mode) ? " but a link, which nook does not follow" : "");
                int next = openat(dir, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return nook_errf(e, errno, "cannot read the image's /%s: %m", file);
                close(dir);
                dir = next;
                char v = 0;
                /* O_PATH fds take no xattr calls: through /proc */
                char proc[64];
                opaque = opaque || (STR_FMT(proc, "/proc/self/fd/%d", dir) == 0 && getxattr(proc, "user.overlay.opaque", &v, 1) == 1 && v == 'y');
                /* a store without xattrs keeps the marker file instead */
                opaque = opaque || fstatat(dir, ".wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW) == 0;
        }
        return 0;
}

/* The image's copy of /etc/passwd and the like can be large only when
   something is wrong (or hostile): it is read whole, line by line. */
#define IMAGE_FILE_MAX (8u << 20)

/* A file of the image as the sandbox will see it: the top-most copy that
   no upper layer hides, read inside the layers without following their
   symlinks (the host never trusts an image's links). 0 and *out NULL when
   the image has none; a FIFO or anything else that is not a regular file
   is refused, never opened: reading a FIFO would wait forever. */
static int open_image_file(const struct nook_spec *s, const char *file, FILE **out, struct nook_err *e)
{
        *out = NULL;
        if (s->squashfs) {
                const char *text = strcmp(file, "etc/passwd") == 0 ? s->image_passwd : s->image_group;
                if (text && *text && !(*out = fmemopen((void *)text, strlen(text), "r")))
                        return nook_errf(e, ENOMEM, "cannot read the image's /%s: %m", file);
                return 0;
        }
        for (size_t i = s->n_layers; i-- > 0;) {
                _cleanup_close_ int root = open(s->layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int path = -1;
                enum layer_says says;
                struct stat st;

                if (root < 0)
                        return nook_errf(e, errno, "cannot open a layer of the image: %m (nook image verify checks the store)");
                int r = layer_entry(root, file, &path, &says, e);
                if (r < 0)
                        return r;
                if (says == LAYER_GONE || says == LAYER_OPAQUE_MISS)
                        return 0;
                if (says == LAYER_NOTHING)
                        continue;
                if (fstat(path, &st) < 0)
                        return nook_errf(e, errno, "cannot read the image's /%s: %m", file);
                if (st.st_size > IMAGE_FILE_MAX)
                        return nook_errf(e, EFBIG, "the image's /%s has %lld bytes, more than nook reads (%u MiB): fix the image, or give ids with --uid and --gid",
                                         file, (long long)st.st_size, IMAGE_FILE_MAX >> 20);
                *out = fdopen(path, "r");
                if (!*out)
                        return nook_errf(e, ENOMEM, "cannot read the image's /%s: %m", file);
                path = -1;      /* the FILE's now */
                return 0;
        }
        return 0;
}

/* An id field of the image's /etc/passwd or /etc/group: decimal, 0 to
   4294967294. Anything else is refused, not read as a number: strtoul
   turns "-1" into 4294967295, which setresuid(2) takes for "no change",
   leaving the command root. */
static int parse_id_field(const char *v, unsigned *out)
{
        uint64_t x;

        if (!v || parse_u64(v, UINT32_MAX - 1, &x) < 0)
                return -EINVAL;
        *out = (unsigned)x;
        return 0;
}

/* An entry of the image's own /etc/passwd or /etc/group, without NSS: the
   one named name, or, when name is NULL, the one whose id is *id. Fills
   *id and, for passwd, *gid. -ENOENT when there is none (e untouched);
   any other error is said in e: the file cannot be read, or the entry's
   ids are not ids. */
static int lookup_entry(const struct nook_spec *s, const char *file, const char *name, unsigned *id, unsigned *gid,
                        struct nook_err *e)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        bool group = gid == NULL;
        int r = open_image_file(s, file, &f, e);

        if (r < 0)
                return r;

        while (f && getline(&line, &cap, f) > 0) {
                char *p = line;
                p[strcspn(p, "\n")] = '\0';
                /* strsep, not strtok: an empty field is a field */
                char *n = strsep(&p, ":");
                strsep(&p, ":");
                char *u = strsep(&p, ":"), *g = strsep(&p, ":");
                unsigned v;
                if (!n || !u || (name ? strcmp(n, name) != 0 : parse_id_field(u, &v) < 0 || v != *id))
                        continue;
                if (parse_id_field(u, &v) < 0)
                        return nook_errf(e, EINVAL, "the image's /%s gives %s '%s' the %s '%s', which is not an id (0 to 4294967294): fix the image, or use --%s",
                                         file, group ? "group" : "user", nook_val(n), group ? "gid" : "uid", nook_val(u),
                                         group ? "gid" : "uid");
                if (gid && parse_id_field(g, gid) < 0)
                        return nook_errf(e, EINVAL, "the image's /%s gives user '%s' the group id '%s', which is not an id (0 to 4294967294): fix the image, or use --gid",
                                         file, nook_val(n), nook_val(g ? g : ""));
                *id = v;
                return 0;
        }
        return -ENOENT;
}

/* The primary group of a numeric uid (unchanged when it has no entry). */
static int lookup_by_uid(const struct nook_spec *s, unsigned uid, unsigned *gid, struct nook_err *e)
{
        unsigned g = *gid;
        int r = lookup_entry(s, "etc/passwd", NULL, &uid, &g, e);

        if (r == -ENOENT)
                return 0;
        if (r == 0)
                *gid = g;
        return r;
}

/* User= of the config: "", "uid", "uid:gid", "name", "name:group". */
static int resolve_user(struct nook_spec *s, const char *user, struct nook_err *e)
{
        char buf[256];
        uint64_t v;

        if (!user || !*user)
                return 0;
        if (STR_FMT(buf, "%s", user) < 0)
                return nook_errf(e, ENAMETOOLONG, "the image's user '%s' is too long a name (use --uid)", nook_val(user));
        char *colon = strchr(buf, ':');
        if (colon)
                *colon++ = '\0';
        unsigned uid = 0, gid = 0;
        int r;
        if (parse_u64(buf, UINT32_MAX - 1, &v) == 0) {
                uid = (unsigned)v;
                gid = uid;
                r = lookup_by_uid(s, uid, &gid, e);
                if (r < 0)
                        return r;
        } else if ((r = lookup_entry(s, "etc/passwd", buf, &uid, &gid, e)) < 0) {
                return r == -ENOENT ? nook_errf(e, ENOENT, "the image's user '%s' is not in its /etc/passwd (use --uid)", nook_val(buf)) : r;
        }
        if (colon && parse_u64(colon, UINT32_MAX - 1, &v) == 0)
                gid = (unsigned)v;
        else if (colon && (r = lookup_entry(s, "etc/group", colon, &gid, NULL, e)) < 0)
                return r == -ENOENT ? nook_errf(e, ENOENT, "the image's group '%s' is not in its /etc/group (use --gid)", nook_val(colon)) : r;
        s->run_as_set = true;
        s->run_uid = uid;
        s->run_gid = gid;
        return 0;
}

/* store/containers/NAME of a persistent sandbox: its writable layer
   (upper, work) and the image it belongs to, locked for the run. */
static int open_persistent(struct nook_spec *s, struct store *st, const char *name, const char *config,
                           struct nook_err *e)
{
        char image[600], rel[256], path[512], tmp[300];

        if (!s->name)
                return nook_errf(e, EINVAL, "--persist needs --name NAME (or Name= in [Image])");
        /* rel and what is under it (the longest: image.tmp) fit in path and tmp */
        if (STR_FMT(image, "%s %s", name, config ? config : "") < 0 || STR_FMT(rel, "containers/%s", s->name) < 0 ||
            STR_FMT(tmp, "%s/image.tmp", rel) < 0)
                return nook_errf(e, ENAMETOOLONG, "sandbox name %.60s... is too long", s->name);
        if (mkdirat(st->dfd, rel, 0700) < 0 && errno != EEXIST)
                return nook_errf(e, errno, "cannot create %s/%s: %m", st->root, rel);
        for (const char *d = "upper\0work\0"; *d; d += strlen(d) + 1) {
                if (STR_FMT(path, "%s/%s", rel, d) < 0)
                        return nook_errf(e, ENAMETOOLONG, "cannot create %s/%s/%s: %m", st->root, rel, d);
                if (mkdirat(st->dfd, path, 0755) < 0 && errno != EEXIST)
                        return nook_errf(e, errno, "cannot create %s/%s: %m", st->root, path);
        }
        if (STR_FMT(path, "%s/lock", rel) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot lock sandbox %s: %m", s->name);
        int lock = openat(st->dfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
                int err = errno;
                if (lock >= 0)
                        close(lock);
                return err == EWOULDBLOCK ? nook_errf(e, EBUSY, "sandbox %s is already running", s->name)
                                          : nook_errf(e, err, "cannot lock sandbox %s: %m", s->name);
        }
        s->persist_lock = lock;
        /* a name belongs to one image: resuming it on another would mix
           a writable layer with layers it was not made on */
        if (STR_FMT(path, "%s/image", rel) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot record the image of sandbox %s: %m", s->name);
        char was[512] = "";
        int fd = openat(st->dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                ssize_t n = read(fd, was, sizeof(was) - 1);
                was[n > 0 ? n : 0] = '\0';
                close(fd);
                if (*was && strcmp(was, image) != 0)
                        return nook_errf(e, EEXIST, "sandbox %s was made from another image than %s as it is now ('nook rm %s' to start over)",
                                         s->name, name, s->name);
        } else {
                /* written aside, then renamed: a kill never leaves it empty */
                fd = openat(st->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 || write(fd, image, strlen(image)) != (ssize_t)strlen(image) || fsync(fd) < 0 ||
                    renameat(st->dfd, tmp, st->dfd, path) < 0) {
                        int err = errno;
                        if (fd >= 0)
                                close(fd);
                        return nook_errf(e, err, "cannot record the image of sandbox %s: %m", s->name);
                }
                close(fd);
        }
        if (asprintf(&s->persist_dir, "%s/%s", st->root, rel) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* Imports path through nook-image (which has libarchive and libcrypto;
   nook itself loads neither) and returns the stored name. */
static int import_with_helper(const struct nook_spec *s, const char *path, const char *name, char **stored,
                              struct nook_err *e)
{
        static const char *const maps[] = { "auto", "single", "range" };
        char *argv[12];
        int n = 0, out[2];
        _cleanup_free_ char *helper = helper_find("nook-image", e);

        if (!helper)
                return -e->code;
        argv[n++] = "nook-image";
        argv[n++] = "import";
        argv[n++] = "--name";
        argv[n++] = (char *)name;
        if (s->store) {
                argv[n++] = "--store";
                argv[n++] = s->store;
        }
        argv[n++] = "--map";
        argv[n++] = (char *)maps[s->map_mode >= 0 && s->map_mode < 3 ? s->map_mode : 0];
        argv[n++] = (char *)path;
        argv[n] = NULL;
        if (pipe2(out, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot import %s: %m", path);
        struct nook_err fe = { 0 };
        int pidfd;
        pid_t pid = launcher_fork_keep(&pidfd, NULL, 0, &fe);
        if (pid < 0) {
                close(out[0]);
                close(out[1]);
                return nook_errf(e, -pid, "cannot import %s: %s", path, fe.msg);
        }
        if (pid == 0) {
                dup2(out[1], 1);
                launcher_exec_program(helper, argv);
                _exit(127);
        }
        close(out[1]);
        char buf[512];
        size_t used = 0;
        ssize_t got;
        while (used < sizeof(buf) - 1 && (got = read(out[0], buf + used, sizeof(buf) - 1 - used)) > 0)
                used += (size_t)got;
        close(out[0]);
        buf[used] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        int st = launcher_wait(pidfd, -1);
        launcher_end(&pidfd, 0, 0);
        /* nook-image has said why on stderr */
        if (st != 0 || !buf[0])
                return nook_errf(e, EIO, "cannot import %s (see above)", path);
        *stored = strdup(buf);
        return *stored ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* Image=/path: a rootfs directory is the one layer as it is (the user's
   files are root's inside); an OCI layout is imported into the store
   (cheap when its blobs and layers are there already) and run from it. */
static int resolve_path(struct nook_spec *s, struct nook_err *e)
{
        _cleanup_free_ char *real = realpath(s->image, NULL);
        char probe[4200];
        struct stat st;
        size_t n = 0;

        if (!real || stat(real, &st) < 0)
                return nook_errf(e, errno ? errno : ENOENT, "image %s: %m", s->image);
        if (!S_ISDIR(st.st_mode))
                return nook_errf(e, EINVAL, "image %s is a file: Image= takes a store name, an OCI layout directory or a rootfs directory (import archives with 'nook image import')",
                                 s->image);
        if (STR_FMT(probe, "%s/oci-layout", real) < 0)
                return nook_errf(e, ENAMETOOLONG, "image %s: %m", s->image);
        if (access(probe, F_OK) < 0) {
                if (strv_push(&s->layers, &n, real) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                s->n_layers = n;
                size_t m = 0;
                if (!s->command && strv_push(&s->command, &m, "/bin/sh") < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                if (!s->home_set)
                        s->home = SPEC_HOME_NONE;
                if (!s->cwd_set)
                        s->no_cwd = true;
                return 0;
        }
        char name[300];
        const char *base = strrchr(real, '/');
        if (STR_FMT(name, "local/%s", base && base[1] ? base + 1 : "image") < 0)
                return nook_errf(e, ENAMETOOLONG, "image %s: %m", s->image);
        for (char *p = name; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-/", *p))
                        *p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : '-';
        _cleanup_free_ char *stored = NULL;
        int r = import_with_helper(s, real, name, &stored, e);
        if (r < 0)
                return r;
        free(s->image);
        s->image = steal_ptr(&stored);
        return 1;       /* now a store name */
}

/* The squashfs file of image name, open (never waiting on a FIFO): a
   regular file that starts as a squashfs file does, or the error says so
   before nook-squashfs is left to fail on it (a shared store's file is
   whoever wrote it). */
static int open_squashfs(const struct store *st, const char *digest, const char *rel, const char *name,
                         struct nook_err *e)
{
        int fd = store_open_blob(st, digest, e);
        char magic[4];

        if (fd < 0)
                return fd;
        if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) || memcmp(magic, "hsqs", 4) != 0) {
                close(fd);
                return nook_errf(e, EINVAL, "the squashfs file of image %s is not a squashfs file (%s/%s)", name, st->root,
                                 rel);
        }
        return fd;
}

/* A squashfs image: its one file, held like a layer, and what the host
   reads of the image, which its record keeps (nook run reads no more of
   the squashfs than its magic: nook-squashfs serves it, confined). */
static int take_squashfs(struct nook_spec *s, struct store *st, json_t *sq, const char *name, struct nook_err *e)
{
        const char *digest = json_string_value(json_object_get(sq, "digest"));
        const char *passwd = json_string_value(json_object_get(sq, "passwd"));
        const char *group = json_string_value(json_object_get(sq, "group"));
        char rel[128];
        char *path = NULL;
        size_t n = 0;

        if (!digest || store_blob_rel(digest, rel, sizeof(rel)) < 0 || !store_has_blob(st, digest, -1))
                return nook_errf(e, ENOENT, "the squashfs file of image %s is missing from the store (import the image again)", name);
        if (asprintf(&path, "%s/%s", st->root, rel) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = strv_push(&s->layers, &n, path);
        free(path);
        if (r < 0 || (passwd && !(s->image_passwd = strdup(passwd))) || (group && !(s->image_group = strdup(group))))
                return nook_errf(e, ENOMEM, "out of memory");
        s->n_layers = n;
        s->squashfs = true;
        s->image_has_apt = json_is_true(json_object_get(sq, "apt"));
        int fd = open_squashfs(st, digest, rel, name, e);
        if (fd < 0)
                return fd;
        /* a shared store is never locked: nothing prunes it under nook, and
           its file system may have no flock */
        if (st->shared || flock(fd, LOCK_SH) < 0)
                close(fd);
        /* else deliberately kept open until exit */
        return 0;
}

/* The image's layers, bottom first, as paths in the store; each held (a
   shared lock on it) while nook runs, so that prune leaves it alone. */
static int take_layers(struct nook_spec *s, struct store *st, json_t *rec, const char *name, struct nook_err *e)
{
        json_t *ls = json_object_get(rec, "layers"), *l;
        size_t i, n = 0;
        int r = 0;

        if (json_is_object(json_object_get(rec, "squashfs")))
                return take_squashfs(s, st, json_object_get(rec, "squashfs"), name, e);

        if (json_array_size(ls) > OVERLAY_MAX_LAYERS)
                return nook_errf(e, E2BIG, "image %s has %zu layers; nook runs at most %d, overlayfs's limit (squash it into fewer layers)",
                                 name, json_array_size(ls), OVERLAY_MAX_LAYERS);
        json_array_foreach(ls, i, l) {
                const char *id = json_string_value(json_object_get(l, "diff_id"));
                char rel[128], *path = NULL;
                if (!store_has_layer(st, id ? id : "")) {
                        r = nook_errf(e, ENOENT, "layer %s of image %s is missing from the store (import the image again)",
                                      id ? id : "?", name);
                        break;
                }
                if (store_layer_rel(id, rel, sizeof(rel)) < 0) {
                        r = nook_errf(e, ENAMETOOLONG, "layer %s of image %s: %m", id, name);
                        break;
                }
                if (asprintf(&path, "%s/%s", st->root, rel) < 0 || strv_push(&s->layers, &n, path) < 0)
                        r = nook_errf(e, ENOMEM, "out of memory");
                free(path);
                int lfd = st->shared ? -1 : openat(st->dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (lfd >= 0 && flock(lfd, LOCK_SH) < 0) {
                        close(lfd);
                        lfd = -1;
                }
                (void)lfd;      /* deliberately kept open until exit */
                if (r < 0)
                        break;
        }
        s->n_layers = n;
        if (r == 0 && n == 0)
                r = nook_errf(e, EINVAL, "image %s has no layers", name);
        return r;
}

/* What the image's config says: its environment, entrypoint and command,
   working directory and user, each unless the user said otherwise. */
static int take_config(struct nook_spec *s, json_t *rec, struct nook_err *e)
{
        json_t *cfg = json_object_get(json_object_get(rec, "config"), "config");
        size_t ne = 0;
        int r = 0;

        if (strv_from_json(json_object_get(cfg, "Env"), &s->image_env, &s->n_image_env) < 0 ||
            strv_from_json(json_object_get(cfg, "Entrypoint"), &s->image_entrypoint, &ne) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!s->command) {
                size_t m = 0;
                if (strv_from_json(json_object_get(cfg, "Entrypoint"), &s->command, &m) < 0 ||
                    strv_from_json(json_object_get(cfg, "Cmd"), &s->command, &m) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
        if (!s->chdir && wd && wd[0] == '/' && !(s->chdir = strdup(wd)))
                return nook_errf(e, ENOMEM, "out of memory");
        /* --user names a user of the image, as its config's User= does */
        if (!s->uid_set)
                r = resolve_user(s, s->user ? s->user : json_string_value(json_object_get(cfg, "User")), e);
        /* --uid alone: the group is that user's own in the image */
        if (r == 0 && s->uid_set && !s->gid_set) {
                unsigned gid = 0;
                r = lookup_by_uid(s, s->uid, &gid, e);
                s->run_as_set = true;
                s->run_uid = s->uid;
                s->run_gid = gid;
        }
        return r;
}

/* A persistent sandbox's writable layer lives in the user's own store,
   whichever store has its image. */
static int persist_in_own_store(struct nook_spec *s, struct store *st, const char *name, const char *config,
                                struct nook_err *e)
{
        if (!st->shared)
                return open_persistent(s, st, name, config, e);
        struct store own;
        int r = store_open(&own, s->store, e);
        if (r == 0)
                r = open_persistent(s, &own, name, config, e);
        store_close(&own);
        return r;
}

int image_spec_resolve(struct nook_spec *s, struct nook_err *e)
{
        if (strchr(s->image, '/') && (s->image[0] == '/' || s->image[0] == '.')) {
                int r = resolve_path(s, e);
                if (r <= 0)
                        return r;
        }
        const struct store_search ss = { s->store, s->shared_stores, s->n_shared_stores };
        struct store st = { .dfd = -1 };
        char name[512];
        json_t *rec = NULL;
        int r;

        r = store_normalize_name(s->image, name, sizeof(name), e);
        if (r == 0)
                r = store_find_image(&ss, name, &st, &rec, e);
        /* held until nook exits, so that `image rm` waits for this run; a
           shared store has no `image rm` and is never locked */
        if (r == 0 && !st.shared) {
                int lock = store_image_lock(&st, name, false, e);
                if (lock < 0)
                        r = lock;
                else
                        s->image_lock = lock;
        }
        if (r == 0)
                r = take_layers(s, &st, rec, name, e);
        if (r == 0)
                r = image_spec_fit_store(s, &st, e);
        if (r == 0)
                r = take_config(s, rec, e);
        if (r == 0 && s->persist)
                r = persist_in_own_store(s, &st, name, json_string_value(json_object_get(rec, "config_digest")), e);
        /* an image is its own system: the user's home and directory are
           shown only when asked for */
        if (!s->home_set)
                s->home = SPEC_HOME_NONE;
        if (!s->cwd_set)
                s->no_cwd = true;
        json_decref(rec);
        store_close(&st);
        return r;
}

