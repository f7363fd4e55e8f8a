#include "fs/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/cleanup.h"

int resolve_open(int rootfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (unsigned)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        do
                fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? -errno : fd;
}

const char *path_split(const char *path, char *parent, size_t size)
{
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;

        if (n == 0) {
                snprintf(parent, size, "/");
        } else {
                if (n >= size)
                        n = size - 1;
                memcpy(parent, path, n);
                parent[n] = '\0';
        }
        return slash ? slash + 1 : path;
}

static int open_parent(int rootfd, const char *path, const char **base)
{
        char parent[PATH_MAX];

        *base = path_split(path, parent, sizeof(parent));
        if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
                return -EINVAL;
        return resolve_mkdirs(rootfd, parent, 0755);
}

int resolve_mkdirs(int rootfd, const char *path, mode_t mode)
{
        const char *base;
        int fd = resolve_open(rootfd, path, O_PATH | O_DIRECTORY);

        if (fd != -ENOENT)
                return fd;
        _cleanup_close_ int parent = open_parent(rootfd, path, &base);
        if (parent < 0)
                return parent;
        if (mkdirat(parent, base, mode) < 0 && errno != EEXIST)
                return -errno;
        return resolve_open(rootfd, path, O_PATH | O_DIRECTORY);
}

int resolve_mkfile(int rootfd, const char *path)
{
        const char *base;
        int fd = resolve_open(rootfd, path, O_PATH);

        if (fd != -ENOENT)
                return fd;
        _cleanup_close_ int parent = open_parent(rootfd, path, &base);
        if (parent < 0)
                return parent;
        int f = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (f < 0 && errno != EEXIST)
                return -errno;
        if (f >= 0)
                close(f);
        return resolve_open(rootfd, path, O_PATH);
}

int mkdir_p(const char *path, mode_t mode)
{
        char buf[4096];

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

char *read_all(int fd, size_t max, size_t *len)
{
        size_t cap = 4096, used = 0;
        char *buf = malloc(cap);

        while (buf) {
                if (used + 1 == cap) {
                        if (cap > max)
                                break;
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                return NULL;
                        }
                        buf = nb;
                        cap *= 2;
                }
                ssize_t r = read(fd, buf + used, cap - 1 - used);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                used += (size_t)r;
        }
        if (!buf)
                return NULL;
        buf[used] = '\0';
        *len = used;
        return buf;
}

