#include "sandbox/seccomp-cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* A file: this head, the key, the program. Its name is a hash of the
   whole key, so that two nook binaries (a packaged one and a build) keep
   a file each instead of replacing each other's; the whole key is kept
   and compared, so a name shared by two keys is only a miss. */
struct cache_head {
        char magic[8];          /* CACHE_MAGIC */
        uint32_t key_len;
        uint32_t n_insns;
        uint64_t sum;           /* FNV-1a of key and program: a torn or damaged file */
};

#define CACHE_MAGIC "nookbpf1"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
        const unsigned char *c = p;

        for (size_t i = 0; i < n; i++)
                h = (h ^ c[i]) * 0x100000001b3ULL;
        return h;
}

#define FNV_START 0xcbf29ce484222325ULL

static int add_names(struct buf *b, const char *what, const char *const *list)
{
        int r = buf_appendf(b, "%s", what);

        /* length-prefixed: no name can pass for two */
        for (size_t i = 0; r == 0 && list && list[i]; i++)
                r = buf_appendf(b, " %zu:%s", strlen(list[i]), list[i]);
        return r == 0 ? buf_appendf(b, "\n") : r;
}

/* What the program depends on besides the rules: the nook binary (its
   deny table and code), libseccomp's version, the kernel (the actions
   libseccomp finds it supports). */
static int key_ident(struct buf *b)
{
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        struct stat st;

        if (stat("/proc/self/exe", &st) < 0 || uname(&u) < 0 || !v)
                return -errno;
        return buf_appendf(b, "exe %llu %llu %lld %lld.%09ld\nlibseccomp %u.%u.%u\nkernel %s %s %s\n",
                           (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_size,
                           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, v->major, v->minor, v->micro,
                           u.release, u.version, u.machine);
}

/* Every field of struct seccomp_opts changes the program: one added
   there and not here would let two filters share a file. The size check
   catches most additions (a bool may fit in padding: seccomp.h says so). */
_Static_assert(sizeof(struct seccomp_opts) == 2 * sizeof(void *) + 8 + sizeof(uint64_t) + 8,
               "struct seccomp_opts changed: put the new field in key_rules(), then fix this size");

static int key_rules(struct buf *b, const struct seccomp_opts *o)
{
        int r = buf_appendf(b, "tcp_only %d fake_ids %d families %d %llx mdwe %d notify %d audit %d\n",
                            o->tcp_only, o->fake_ids, o->families_set, (unsigned long long)o->families, o->mdwe,
                            o->notify, o->audit_denies);

        if (r == 0)
                r = add_names(b, "deny", o->deny);
        if (r == 0)
                r = add_names(b, "allow", o->allow);
        return r;
}

int seccomp_cache_open(const char *path, uid_t uid)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT && mkdir_p(path, 0700) == 0)
                fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* only uid may write it: nothing in it is someone else's doing */
        if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != uid || (st.st_mode & 022))) {
                close(fd);
                return -1;
        }
        return fd;
}

static bool pread_full(int fd, void *p, size_t n)
{
        size_t done = 0;

        while (done < n) {
                ssize_t got = pread(fd, (char *)p + done, n - done, (off_t)done);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        return false;
                done += (size_t)got;
        }
        return true;
}

/* Checks the file's owner, mode and length before reading it, then its
   magic, key and sum: a file failing any is a miss. */
static bool cache_read(int dirfd, const char *name, uid_t uid, const struct buf *key, struct seccomp_prog *out)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct cache_head h;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid || (st.st_mode & 07777) != 0600)
                return false;
        size_t fixed = sizeof(h) + key->len;
        if ((size_t)st.st_size <= fixed || ((size_t)st.st_size - fixed) % sizeof(struct sock_filter) != 0 ||
            (size_t)st.st_size - fixed > BPF_MAXINSNS * sizeof(struct sock_filter))
                return false;
        size_t n = ((size_t)st.st_size - fixed) / sizeof(struct sock_filter);
        _cleanup_free_ char *data = malloc((size_t)st.st_size);
        if (!data || !pread_full(fd, data, (size_t)st.st_size))
                return false;
        memcpy(&h, data, sizeof(h));
        if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.key_len != key->len || h.n_insns != n ||
            memcmp(data + sizeof(h), key->p, key->len) != 0 ||
            h.sum != fnv1a(FNV_START, data + sizeof(h), (size_t)st.st_size - sizeof(h)))
                return false;
        struct sock_filter *insns = malloc(n * sizeof(*insns));
        if (!insns)
                return false;
        memcpy(insns, data + fixed, n * sizeof(*insns));
        *out = (struct seccomp_prog){ insns, (unsigned short)n };
        return true;
}

/* Written beside, then renamed over: a reader sees the old file or the
   new one. 0600 whatever the umask. */
static bool cache_write(int dirfd, const char *name, const struct buf *key, const struct seccomp_prog *p)
{
        char tmp[128];
        size_t plen = p->len * sizeof(*p->insns);
        struct cache_head h = { .key_len = (uint32_t)key->len, .n_insns = p->len };

        memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
        h.sum = fnv1a(fnv1a(FNV_START, key->p, key->len), p->insns, plen);
        if (STR_FMT(tmp, "%s.%ld.tmp", name, (long)getpid()) < 0)
                return false;
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return false;
        struct iovec iov[3] = { { &h, sizeof(h) }, { key->p, key->len }, { p->insns, plen } };
        bool ok = fchmod(fd, 0600) == 0 && writev(fd, iov, 3) == (ssize_t)(sizeof(h) + key->len + plen);
        ok = close(fd) == 0 && ok;
        if (ok && renameat(dirfd, tmp, dirfd, name) == 0)
                return true;
        unlinkat(dirfd, tmp, 0);
        return false;
}

struct cache_entry {
        struct timespec mtime;
        char name[64];
};

static int by_age(const void *a, const void *b)
{
        const struct cache_entry *x = a, *y = b;

        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
        if (x->mtime.tv_nsec != y->mtime.tv_nsec)
                return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Every nook binary (a build, each upgrade) and rule set has a file of its
   own: beyond SECCOMP_CACHE_KEEP, the ones written longest ago go, never
   the one just written (kept), when a miss writes one. A file of a rule
   set still in use is only compiled again. */
static void cache_prune(int dirfd, const char *kept)
{
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct cache_entry *list = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        struct stat st;

        if (!d)
                return;
        fd = -1;        /* the DIR's now */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (strncmp(de->d_name, "seccomp-", 8) || len < 4 || len >= sizeof(list->name) ||
                    strcmp(de->d_name + len - 4, ".bpf") || !strcmp(de->d_name, kept) ||
                    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (n == cap) {
                        struct cache_entry *more = realloc(list, (cap = cap ? 2 * cap : 64) * sizeof(*list));
                        if (!more)
                                break;
                        list = more;
                }
                list[n].mtime = st.st_mtim;
                memcpy(list[n++].name, de->d_name, len + 1);
        }
        closedir(d);
        if (n >= SECCOMP_CACHE_KEEP) {
                qsort(list, n, sizeof(*list), by_age);
                for (size_t i = 0; i + SECCOMP_CACHE_KEEP <= n; i++)
                        unlinkat(dirfd, list[i].name, 0);
        }
        free(list);
}

int seccomp_cache_build_at(int dirfd, uid_t uid, const struct seccomp_opts *opts, struct seccomp_prog *out,
                           bool *hit, struct nook_err *e)
{
        static const struct seccomp_opts none = { 0 };
        _cleanup_(buf_free) struct buf key = { 0 }, rules = { 0 };
        char name[64];

        *hit = false;
        if (dirfd < 0 || key_ident(&key) < 0 || key_rules(&rules, opts ? opts : &none) < 0 ||
            buf_appendf(&key, "%s", buf_str(&rules)) < 0 ||
            STR_FMT(name, "seccomp-%016llx.bpf", (unsigned long long)fnv1a(FNV_START, key.p, key.len)) < 0)
                return seccomp_build(opts, out, e);
        if (cache_read(dirfd, name, uid, &key, out)) {
                *hit = true;
                return 0;
        }
        int r = seccomp_build(opts, out, e);
        if (r == 0 && cache_write(dirfd, name, &key, out))
                cache_prune(dirfd, name);
        return r;
}

char *seccomp_cache_dir(void)
{
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

        if (xdg && xdg[0] == '/')
                return str_dupf("%s/nook", xdg);
        if (home && home[0] == '/')
                return str_dupf("%s/.cache/nook", home);
        return NULL;
}

int seccomp_cache_build(const struct seccomp_opts *opts, struct seccomp_prog *out, struct nook_err *e)
{
        _cleanup_free_ char *dir = seccomp_cache_dir();
        _cleanup_close_ int fd = dir ? seccomp_cache_open(dir, geteuid()) : -1;
        bool hit;

        return seccomp_cache_build_at(fd, geteuid(), opts, out, &hit, e);
}
