#include "fs/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

int resolve_open_regular(int rootfd, const char *path)
{
        /* O_NONBLOCK: opening a FIFO for reading would wait for a writer
           that never comes; the type is checked on what was opened */
        int fd = resolve_open(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0) {
                int err = errno;
                close(fd);
                return -err;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return -EFTYPE_NOT_REGULAR;
        }
        /* regular files ignore O_NONBLOCK; cleared all the same */
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        return fd;
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

/* May a directory lead to what nook makes, or hold it? Only when no one but
   the user and root can rename or replace what is in it: owned by the user
   or by root, and writable by no other user, unless it is sticky (/tmp,
   where each entry is then checked on its own). Writable by the group is
   fine for the user's own primary group (a private group, umask 002). */
static bool trusted_dir(const struct stat *st)
{
        if (!S_ISDIR(st->st_mode) || (st->st_uid != getuid() && st->st_uid != 0))
                return false;
        if (st->st_mode & S_ISVTX)
                return true;
        return !(st->st_mode & S_IWOTH) && (!(st->st_mode & S_IWGRP) || st->st_gid == getgid());
}

/* One step of mkdir_p: name in dir, made when missing, opened (O_PATH), and
   checked. A symbolic link is followed only when the user or root owns it:
   never one that another user put in a shared directory. */
static int step_into(int dir, const char *name, mode_t mode)
{
        struct stat st;
        int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT) {
                if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                int err = errno;
                close(fd);
                return -err;
        }
        if (S_ISLNK(st.st_mode)) {
                close(fd);
                if (st.st_uid != getuid() && st.st_uid != 0)
                        return -EPERM;
                fd = openat(dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (fstat(fd, &st) < 0) {
                        int err = errno;
                        close(fd);
                        return -err;
                }
        }
        if (!S_ISDIR(st.st_mode)) {
                close(fd);
                return -ENOTDIR;
        }
        if (!trusted_dir(&st)) {
                close(fd);
                return -EPERM;
        }
        return fd;
}

int mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;
        struct stat st;

        if (!copy)
                return errno = ENOMEM, -ENOMEM;
        /* a relative path starts in the current directory, the user's choice */
        int dir = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        if (path[0] == '/' && (fstat(dir, &st) < 0 || !trusted_dir(&st))) {
                close(dir);
                return errno = EPERM, -EPERM;
        }
        for (char *name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
                int next = step_into(dir, name, mode);
                close(dir);
                if (next < 0)
                        return errno = -next, next;
                dir = next;
        }
        close(dir);
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

