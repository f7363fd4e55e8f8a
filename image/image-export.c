#include "image/image-export.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <search.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/mount.h"
#include "image/digest.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

/* Deeper than any real image; keeps the walk's stack and fds bounded. */
#define EXPORT_MAX_DEPTH 1024

struct export_job {
        int store_fd;
        const char *compressor;
        char **layers;          /* "layers/<hex>", top first */
        size_t n_layers;
        int out_fd;             /* the write end of tar2sqfs's standard input */
};

/* A file seen with more than one link: its first path in the tar. */
struct link_seen {
        dev_t dev;
        ino_t ino;
        char *path;
};

struct walker {
        struct archive *a;
        struct buf path;        /* of the entry at hand, relative, no leading "/" */
        void *links;            /* tsearch tree of struct link_seen */
        char data[1 << 16];
        struct nook_err *e;
};

/* One name of a directory of the merged tree, and the topmost of the
   directory's layers (0 = top) that has it. */
struct dirent_at {
        char *name;
        size_t layer;
};

static int link_cmp(const void *a, const void *b)
{
        const struct link_seen *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p)
{
        struct link_seen *l = p;
        free(l->path);
        free(l);
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
        char v[2];
        ssize_t n = fgetxattr(dirfd, "user.overlay.opaque", v, sizeof(v));
        return n == 1 && v[0] == 'y';
}

static int entry_cmp(const void *a, const void *b)
{
        const struct dirent_at *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->layer > y->layer) - (x->layer < y->layer);
}

static void entries_free(struct dirent_at *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

/* Every name of every layer's copy of a directory, sorted by name, the
   topmost copy of a name first. */
static int list_merged(const int *fds, size_t n_fds, struct dirent_at **out, size_t *n_out, struct nook_err *e)
{
        struct dirent_at *v = NULL;
        size_t n = 0, cap = 0;

        for (size_t l = 0; l < n_fds; l++) {
                int fd = openat(fds[l], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *de;
                if (!dp) {
                        if (fd >= 0)
                                close(fd);
                        entries_free(v, n);
                        return nook_errf(e, errno, "cannot read a directory of the image: %m");
                }
                while ((de = readdir(dp))) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        if (n == cap) {
                                struct dirent_at *nv = reallocarray(v, cap ? cap * 2 : 64, sizeof(*v));
                                if (!nv)
                                        break;
                                v = nv;
                                cap = cap ? cap * 2 : 64;
                        }
                        if (!(v[n].name = strdup(de->d_name)))
                                break;
                        v[n++].layer = l;
                }
                bool short_of_memory = de != NULL;
                closedir(dp);
                if (short_of_memory) {
                        entries_free(v, n);
                        return nook_errf(e, ENOMEM, "out of memory");
                }
        }
        if (n)
                qsort(v, n, sizeof(*v), entry_cmp);
        *out = v;
        *n_out = n;
        return 0;
}

/* The security.capability of a file (what makes ping work without
   setuid); the overlay's own attributes and the rest are not the image's. */
static int copy_capability(int fd, struct archive_entry *ae)
{
        char v[64];
        ssize_t n = fgetxattr(fd, "security.capability", v, sizeof(v));

        if (n > 0)
                archive_entry_xattr_add_entry(ae, "security.capability", v, (size_t)n);
        return 0;
}

static int write_data(struct walker *w, int fd, off_t size)
{
        off_t left = size;

        while (left > 0) {
                ssize_t r = read(fd, w->data, sizeof(w->data) < (size_t)left ? sizeof(w->data) : (size_t)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return nook_errf(w->e, r < 0 ? errno : EIO, "cannot read %s of the image: %s",
                                         nook_val(buf_str(&w->path)), r < 0 ? strerror(errno) : "it shrank");
                if (archive_write_data(w->a, w->data, (size_t)r) != r)
                        return nook_errf(w->e, EIO, "cannot write the export: %s", archive_error_string(w->a));
                left -= r;
        }
        return 0;
}

/* A regular file: its data, or a hard link to the first name it had. */
static int emit_file(struct walker *w, int dirfd, const char *name, struct stat *st, struct archive_entry *ae)
{
        if (st->st_nlink > 1) {
                struct link_seen key = { st->st_dev, st->st_ino, NULL };
                struct link_seen **found = tfind(&key, &w->links, link_cmp);
                if (found) {
                        archive_entry_set_hardlink(ae, (*found)->path);
                        archive_entry_set_size(ae, 0);
                        return archive_write_header(w->a, ae) == ARCHIVE_OK ? 0 : -EIO;
                }
                struct link_seen *l = calloc(1, sizeof(*l));
                if (l)
                        *l = (struct link_seen){ st->st_dev, st->st_ino, strdup(buf_str(&w->path)) };
                if (!l || !l->path || !tsearch(l, &w->links, link_cmp)) {
                        if (l)
                                free(l->path);
                        free(l);
                        return nook_errf(w->e, ENOMEM, "out of memory");
                }
        }
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || fstat(fd, st) < 0 || !S_ISREG(st->st_mode))
                return nook_errf(w->e, fd < 0 ? errno : EIO, "cannot read %s of the image", nook_val(buf_str(&w->path)));
        copy_capability(fd, ae);
        archive_entry_set_size(ae, st->st_size);
        if (archive_write_header(w->a, ae) != ARCHIVE_OK)
                return -EIO;
        return write_data(w, fd, st->st_size);
}

/* One entry of the merged tree, as the layer that shows it has it. */
static int emit(struct walker *w, int dirfd, const char *name, struct stat *st)
{
        struct archive_entry *ae = archive_entry_new();
        int r = 0;

        if (!ae)
                return nook_errf(w->e, ENOMEM, "out of memory");
        archive_entry_set_pathname(ae, buf_str(&w->path));
        archive_entry_set_uid(ae, st->st_uid);
        archive_entry_set_gid(ae, st->st_gid);
        archive_entry_set_perm(ae, st->st_mode & 07777);
        archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        if (S_ISDIR(st->st_mode)) {
                archive_entry_set_filetype(ae, AE_IFDIR);
                r = archive_write_header(w->a, ae) == ARCHIVE_OK ? 0 : -EIO;
        } else if (S_ISLNK(st->st_mode)) {
                char target[4097];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        r = nook_errf(w->e, errno, "cannot read the link %s of the image: %m", nook_val(buf_str(&w->path)));
                else {
                        target[n] = '\0';
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_symlink(ae, target);
                        r = archive_write_header(w->a, ae) == ARCHIVE_OK ? 0 : -EIO;
                }
        } else if (S_ISFIFO(st->st_mode)) {
                archive_entry_set_filetype(ae, AE_IFIFO);
                r = archive_write_header(w->a, ae) == ARCHIVE_OK ? 0 : -EIO;
        } else if (S_ISREG(st->st_mode)) {
                archive_entry_set_filetype(ae, AE_IFREG);
                r = emit_file(w, dirfd, name, st, ae);
        }
        /* sockets and device nodes: not in layers (a sandbox has its own /dev) */
        if (r == -EIO && !w->e->msg[0])
                nook_errf(w->e, EIO, "cannot write the export: %s", archive_error_string(w->a));
        archive_entry_free(ae);
        return r;
}

static int walk_dir(struct walker *w, const int *fds, size_t n_fds, unsigned depth);

/* The copies of directory name that show in the merged tree: from the
   topmost layer down, until one is opaque or a lower layer's entry of that
   name is not a directory (a file or a whiteout hides what is below). */
static int walk_child(struct walker *w, const int *fds, size_t n_fds, size_t top, const char *name, unsigned depth)
{
        int *child = calloc(n_fds - top, sizeof(*child));
        size_t n = 0;
        int r = 0;

        if (!child)
                return nook_errf(w->e, ENOMEM, "out of memory");
        for (size_t l = top; l < n_fds; l++) {
                struct stat st;
                if (fstatat(fds[l], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode))
                        break;
                int fd = openat(fds[l], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = nook_errf(w->e, errno, "cannot open %s of the image: %m", nook_val(buf_str(&w->path)));
                        break;
                }
                child[n++] = fd;
                if (is_opaque(fd))
                        break;
        }
        if (r == 0)
                r = walk_dir(w, child, n, depth + 1);
        for (size_t i = 0; i < n; i++)
                close(child[i]);
        free(child);
        return r;
}

static int walk_dir(struct walker *w, const int *fds, size_t n_fds, unsigned depth)
{
        struct dirent_at *v = NULL;
        size_t n = 0, base = w->path.len;
        int r;

        if (depth > EXPORT_MAX_DEPTH)
                return nook_errf(w->e, ELOOP, "the image nests directories deeper than %d: not exported", EXPORT_MAX_DEPTH);
        r = list_merged(fds, n_fds, &v, &n, w->e);
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct stat st;
                if (i > 0 && strcmp(v[i].name, v[i - 1].name) == 0)
                        continue;       /* a lower copy: hidden */
                if (fstatat(fds[v[i].layer], v[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = nook_errf(w->e, errno, "cannot read %s of the image: %m", nook_val(v[i].name));
                        break;
                }
                if (is_whiteout(&st))
                        continue;
                w->path.len = base;
                if (w->path.p)
                        w->path.p[base] = '\0';
                if (buf_appendf(&w->path, "%s%s", base ? "/" : "", v[i].name) < 0) {
                        r = nook_errf(w->e, ENOMEM, "out of memory");
                        break;
                }
                r = emit(w, fds[v[i].layer], v[i].name, &st);
                if (r == 0 && S_ISDIR(st.st_mode))
                        r = walk_child(w, fds, n_fds, v[i].layer, v[i].name, depth);
        }
        w->path.len = base;
        if (w->path.p)
                w->path.p[base] = '\0';
        entries_free(v, n);
        return r;
}

/* Every layer's copy of a directory stays open while the walk is below it:
   a deep tree of many layers needs more fds than the default 1024. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* In a user namespace mapped as the store's sandboxes are: the merged tree
   as a tar stream on job->out_fd. */
static int write_tar_in_ns(void *arg, char *out, struct nook_err *e)
{
        struct export_job *job = arg;
        struct walker *w = calloc(1, sizeof(*w));
        int *fds = calloc(job->n_layers, sizeof(*fds));
        size_t n = 0;
        int r = 0;

        if (!w || !fds) {
                free(w);
                free(fds);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        raise_fd_limit();
        /* tar2sqfs gone: a write error to report, not a silent death */
        signal(SIGPIPE, SIG_IGN);
        w->e = e;
        for (; n < job->n_layers; n++) {
                fds[n] = openat(job->store_fd, job->layers[n], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fds[n] < 0) {
                        r = nook_errf(e, errno, "cannot open a layer of the image (%s): %m; 'nook image verify' checks the store",
                                      job->layers[n]);
                        break;
                }
        }
        w->a = r == 0 ? archive_write_new() : NULL;
        if (r == 0 && (!w->a || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
                       archive_write_open_fd(w->a, job->out_fd) != ARCHIVE_OK))
                r = nook_errf(e, EIO, "cannot start the export: %s", w->a ? archive_error_string(w->a) : "out of memory");
        if (r == 0)
                r = walk_dir(w, fds, n, 0);
        if (w->a) {
                if (archive_write_close(w->a) != ARCHIVE_OK && r == 0)
                        r = nook_errf(e, EIO, "cannot finish the export: %s", archive_error_string(w->a));
                archive_write_free(w->a);
        }
        while (n-- > 0)
                close(fds[n]);
        tdestroy(w->links, link_free);
        buf_free(&w->path);
        free(fds);
        free(w);
        return r;
}

char *image_export_config_path(const char *path)
{
        size_t n = strlen(path);
        char *out = NULL;

        if (n > 5 && strcmp(path + n - 5, ".sqsh") == 0)
                n -= 5;
        if (asprintf(&out, "%.*s.json", (int)n, path) < 0)
                return NULL;
        return out;
}

/* zstd first: the default. lz4 (at its high level) decompresses several
   times faster, which every sandbox of the image does for what its command
   reads (3-4 ms of a start, bench/README.md), for a file about 1.3x the
   size that Debian 12's unsquashfs cannot read (the kernel, squashfuse and
   libsquashfs can). */
const char *const image_export_compressors[] = { "zstd", "lz4", "gzip", "xz", NULL };

/* 64 KiB blocks, not tar2sqfs's 128: the kernel reads a FUSE file in
   windows of up to 128 KiB that are not aligned to the blocks, and every
   block a read touches is decompressed whole, so that smaller blocks spend
   less on what the command does not read: the Debian image's /bin/true
   starts 2 ms (6%) sooner with one id, for a file 6% larger
   (bench/README.md). */
#define EXPORT_BLOCK_SIZE "65536"

/* tar2sqfs reading the tar from in, writing to the file open at out_fd
   (through /proc/self/fd: the name is ours, made with O_EXCL), no progress
   lines, the root as an image's: 0:0, 0755, time 0. */
static pid_t start_tar2sqfs(int in, int out_fd, const char *compressor, int *pidfd, struct nook_err *e)
{
        char target[64];
        char *argv[] = { "tar2sqfs", "--quiet", "--force", "--no-skip", "--compressor", (char *)compressor,
                         "--block-size", EXPORT_BLOCK_SIZE, "--defaults", "uid=0,gid=0,mode=0755,mtime=0",
                         NULL, NULL, NULL, NULL };
        size_t n = 10;

        if (STR_FMT(target, "/proc/self/fd/%d", out_fd) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot name the export's file");
        if (strcmp(compressor, "lz4") == 0) {
                argv[n++] = "--comp-extra";
                argv[n++] = "hc";
        }
        argv[n] = target;
        pid_t pid = launcher_fork_keep(pidfd, &out_fd, 1, e);

        if (pid == 0) {
                if (dup2(in, 0) < 0)
                        _exit(126);
                launcher_exec(argv);
        }
        return pid;
}

/* A new file beside path (lib/fileutil.h), with the mode the user's
   umask gives: its fd, and its name in *tmp. */
static int create_beside(const char *path, char **tmp, struct nook_err *e)
{
        int fd = file_create_beside(path, 0666, tmp);

        if (fd == -EEXIST)
                return nook_errf(e, EEXIST, "cannot write beside %s: 100 temporary names taken (remove %s.tmp-*)",
                                 nook_val(path), nook_val(path));
        if (fd < 0)
                return nook_errf(e, -fd, "cannot write beside %s: %s", nook_val(path), strerror(-fd));
        return fd;
}

/* The layer directories of an image record, top first. */
static int record_layers(json_t *rec, const char *name, char ***out, size_t *n_out, struct nook_err *e)
{
        json_t *layers = json_object_get(rec, "layers"), *l;
        size_t n = json_array_size(layers), i;
        char **v = calloc(n + 1, sizeof(*v));

        if (!v)
                return nook_errf(e, ENOMEM, "out of memory");
        if (n > OVERLAY_MAX_LAYERS) {
                free(v);
                return nook_errf(e, E2BIG, "image %s has %zu layers, more than %d", nook_val(name), n, OVERLAY_MAX_LAYERS);
        }
        json_array_foreach(layers, i, l) {
                const char *diff = json_string_value(json_object_get(l, "diff_id"));
                if (!diff || !digest_valid(diff) || asprintf(&v[n - 1 - i], "layers/%s", digest_hex(diff)) < 0) {
                        strv_free(v);
                        return nook_errf(e, EINVAL, "the record of image %s names a bad layer; 'nook image verify' checks the store",
                                         nook_val(name));
                }
        }
        *out = v;
        *n_out = n;
        return 0;
}

/* The config, into a temporary file beside where it goes (*tmp). */
static int write_config(json_t *rec, const char *path, char **tmp, struct nook_err *e)
{
        json_t *cfg = json_object_get(rec, "config");
        _cleanup_close_ int fd = create_beside(path, tmp, e);

        if (fd < 0)
                return fd;
        if (json_dumpfd(cfg ? cfg : json_object(), fd, JSON_SORT_KEYS | JSON_INDENT(2)) < 0 || write(fd, "\n", 1) != 1)
                return nook_errf(e, EIO, "cannot write %s", nook_val(*tmp));
        return 0;
}

/* Both files into place, the squashfs file last: a failure there takes
   back the new config, so that neither is left without the other. */
static int put_in_place(const char *sqsh_tmp, const char *out, const char *cfg_tmp, const char *cfg,
                        struct nook_err *e)
{
        if (rename(cfg_tmp, cfg) < 0)
                return nook_errf(e, errno, "cannot write %s: %m", nook_val(cfg));
        if (rename(sqsh_tmp, out) < 0) {
                int err = errno;
                unlink(cfg);
                return nook_errf(e, err, "cannot write %s: %s", nook_val(out), strerror(err));
        }
        return 0;
}

/* Packs the merged tree of job's layers into the file open at out_fd. */
static int pack(struct export_job *job, const char *name, const char *out, int out_fd, const struct userns_map *m,
                struct nook_err *e)
{
        int pipefd[2], pidfd = -1, r = 0;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot export %s: %m", nook_val(name));
        if (start_tar2sqfs(pipefd[0], out_fd, job->compressor, &pidfd, e) < 0)
                r = -e->code;
        close(pipefd[0]);
        if (r == 0) {
                job->out_fd = pipefd[1];
                r = userns_run(m, write_tar_in_ns, job, NULL, e);
        }
        close(pipefd[1]);       /* tar2sqfs sees the end */
        if (pidfd >= 0) {
                /* its failure first: the writer's broken pipe only follows from it */
                int st = launcher_wait(pidfd, -1);
                if (st == 127)
                        r = nook_errf(e, ENOENT, "cannot export %s: tar2sqfs is not installed (apt-get install squashfs-tools-ng)",
                                      nook_val(name));
                else if (st != 0)
                        r = nook_errf(e, EIO, "cannot export %s: tar2sqfs failed (exit status %d) writing %s", nook_val(name), st,
                                      nook_val(out));
                launcher_end(&pidfd, 0, 0);
        }
        return r;
}

/* A squashfs image is its file already: copied as it is. */
static int copy_squashfs(const struct store *s, json_t *sq, int out_fd, struct nook_err *e)
{
        const char *digest = json_string_value(json_object_get(sq, "digest"));
        _cleanup_close_ int in = store_open_blob(s, digest ? digest : "", e);
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return in;
        while ((n = read(in, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nook_errf(e, errno, "cannot read the squashfs file of the image: %m");
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(out_fd, buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return nook_errf(e, errno, "cannot write the squashfs file: %m");
                        off += w;
                }
        }
        return 0;
}

int image_export(const struct store *s, const char *name, const char *out, const struct userns_map *m,
                 const char *compressor, struct nook_err *e)
{
        json_t *rec = NULL;
        struct export_job job = { .store_fd = s->dfd, .out_fd = -1,
                                  .compressor = compressor ? compressor : image_export_compressors[0] };
        _cleanup_free_ char *tmp = NULL, *cfg = image_export_config_path(out), *cfg_tmp = NULL;
        int fd = -1;
        int r = cfg ? store_image_load(s, name, &rec, e) : nook_errf(e, ENOMEM, "out of memory");

        json_t *sq = r == 0 ? json_object_get(rec, "squashfs") : NULL;
        if (r == 0 && !sq)
                r = record_layers(rec, name, &job.layers, &job.n_layers, e);
        if (r == 0 && (fd = create_beside(out, &tmp, e)) < 0)
                r = fd;
        if (r == 0 && sq && compressor)
                nook_say("%s is a squashfs image: written out as it is, without --compression %s", nook_val(name),
                         compressor);
        if (r == 0)
                r = sq ? copy_squashfs(s, sq, fd, e) : pack(&job, name, out, fd, m, e);
        if (r == 0)
                r = write_config(rec, cfg, &cfg_tmp, e);
        if (r == 0)
                r = put_in_place(tmp, out, cfg_tmp, cfg, e);
        if (fd >= 0)
                close(fd);
        if (r < 0 && tmp)
                unlink(tmp);
        if (r < 0 && cfg_tmp)
                unlink(cfg_tmp);
        strv_free(job.layers);
        json_decref(rec);
        return r;
}
