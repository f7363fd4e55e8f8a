#include "lib/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"

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
/* fstat of fd; on failure fd is closed and -errno returned. */
static int stat_or_close(int fd, struct stat *st)
{
        if (fstat(fd, st) == 0)
                return fd;
        int err = errno;
        close(fd);
        return -err;
}

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
        if ((fd = stat_or_close(fd, &st)) < 0)
                return fd;
        if (S_ISLNK(st.st_mode)) {
                close(fd);
                if (st.st_uid != getuid() && st.st_uid != 0)
                        return -EPERM;
                fd = openat(dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if ((fd = stat_or_close(fd, &st)) < 0)
                        return fd;
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


/* One byte of data with room for one fd beside it. */
struct fd_msg {
        char byte;
        struct iovec iov;
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr m;
};

static void fd_msg_init(struct fd_msg *x)
{
        memset(x, 0, sizeof(*x));
        x->byte = 'T';
        x->iov = (struct iovec){ .iov_base = &x->byte, .iov_len = 1 };
        x->m = (struct msghdr){ .msg_iov = &x->iov, .msg_iovlen = 1, .msg_control = x->u.buf,
                                .msg_controllen = sizeof(x->u.buf) };
}

int fd_send(int sock, int fd)
{
        struct fd_msg x;

        fd_msg_init(&x);
        struct cmsghdr *c = CMSG_FIRSTHDR(&x.m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        if (sendmsg(sock, &x.m, MSG_NOSIGNAL) != 1)
                return -errno;
        return 0;
}

int fd_recv(int sock, int flags)
{
        struct fd_msg x;
        int fd = -1;

        fd_msg_init(&x);
        if (recvmsg(sock, &x.m, flags | MSG_CMSG_CLOEXEC) != 1)
                return -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&x.m);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

int file_create_beside(const char *path, mode_t mode, char **tmp)
{
        mode_t mask = umask(0);

        umask(mask);
        *tmp = NULL;
        for (int i = 0; i < 100; i++) {
                free(*tmp);
                if (asprintf(tmp, "%s.tmp-%d-%d", path, (int)getpid(), i) < 0) {
                        *tmp = NULL;
                        return -ENOMEM;
                }
                int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0 && fchmod(fd, mode & 0777 & ~mask) == 0)
                        return fd;
                int err = errno;
                if (fd >= 0) {
                        close(fd);
                        unlink(*tmp);
                }
                if (err != EEXIST) {
                        free(*tmp);
                        *tmp = NULL;
                        return -err;
                }
        }
        free(*tmp);
        *tmp = NULL;
        return -EEXIST;
}

char *path_real_entry(const char *path)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *parent = !slash || slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        char *entry = NULL;

        if (!parent)
                return NULL;
        _cleanup_free_ char *real = realpath(parent, NULL);
        const char *dir = real ? real : parent;
        if (asprintf(&entry, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", slash ? slash + 1 : path) < 0)
                return NULL;
        return entry;
}
