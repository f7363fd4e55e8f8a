#include "fs/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"

static int open_in_root(int rootfd, const char *path, int flags, uint64_t resolve)
{
        struct open_how how = {
                .flags = (unsigned)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
        };
        int fd;

        do
                fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? -errno : fd;
}

int resolve_open(int rootfd, const char *path, int flags)
{
        return open_in_root(rootfd, path, flags, 0);
}

int resolve_open_exact(int rootfd, const char *path, int flags)
{
        return open_in_root(rootfd, path, flags, RESOLVE_NO_SYMLINKS);
}

int resolve_open_regular(int rootfd, const char *path)
{
        /* O_NONBLOCK: opening a FIFO for reading would wait for a writer
           that never comes; the type is checked on what was opened */
        _cleanup_close_ int fd = resolve_open(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EFTYPE_NOT_REGULAR;
        /* regular files ignore O_NONBLOCK; cleared all the same */
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        return steal_fd(&fd);
}

const char *path_split(const char *path, char *parent, size_t size)
{
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;

        if (n == 0) {
                if (size >= 2)
                        memcpy(parent, "/", 2);
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
