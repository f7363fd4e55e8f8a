#include "state/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/strutil.h"

/* A directory we own, mode 0700, not a symlink: anything else in a shared
   place like /tmp could be another user's trap. */
static int own_dir(const char *path, struct nook_err *e)
{
        struct stat st;

        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return nook_errf(e, errno, "cannot create %s: %m", path);
        if (lstat(path, &st) < 0)
                return nook_errf(e, errno, "cannot use %s: %m", path);
        if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
                return nook_errf(e, EPERM, "%s is not a private directory of yours (remove it, or set XDG_RUNTIME_DIR)", path);
        return 0;
}

/* Nothing outside the directory, even if it was swapped for a link. */
void rundir_remove_at(int dfd, const char *name)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        while (dp && (de = readdir(dp)))
                if (de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..")))
                        unlinkat(dirfd(dp), de->d_name, 0);
        if (dp)
                closedir(dp);
        else if (fd >= 0)
                close(fd);
        unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Run directories of nooks that died without cleaning up (SIGKILL). */
static void clean_stale(const char *base)
{
        DIR *dp = opendir(base);
        struct dirent *de;

        while (dp && (de = readdir(dp))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                        continue;
                rundir_remove_at(dirfd(dp), de->d_name);
        }
        if (dp)
                closedir(dp);
}

/* [Run] RuntimeDir= of nook.conf: the base without XDG_RUNTIME_DIR. */
static char *fallback;

int rundir_set_fallback(const char *dir)
{
        char *copy = dir ? strdup(dir) : NULL;

        if (dir && !copy)
                return -ENOMEM;
        free(fallback);
        fallback = copy;
        return 0;
}

void rundir_base(char *buf, size_t size)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        /* one too long to name is as unusable as one we cannot write */
        if (xdg && xdg[0] == '/' && access(xdg, W_OK) == 0 && str_fmt(buf, size, "%s/nook", xdg) == 0)
                return;
        if (fallback && str_fmt(buf, size, "%s", fallback) == 0)
                return;
        if (str_fmt(buf, size, "/tmp/nook-%u", (unsigned)getuid()) < 0)
                buf[0] = '\0';
}

/* An existing directory of ours, without symlinks, added to out unless
   there already. */
static int add_real(const char *path, char **out, size_t max, size_t *n)
{
        struct stat st;

        if (*n == max || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
                return 0;
        char *real = realpath(path, NULL);
        if (!real)
                return errno == ENOMEM ? -ENOMEM : 0;
        for (size_t i = 0; i < *n; i++)
                if (strcmp(out[i], real) == 0) {
                        free(real);
                        return 0;
                }
        out[(*n)++] = real;
        return 0;
}

int rundir_all_bases(char **out, size_t max, size_t *n)
{
        char path[PATH_MAX];
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int r = 0;

        *n = 0;
        /* a path too long to name is no directory anyone can have */
        if (xdg && xdg[0] == '/' && STR_FMT(path, "%s/nook", xdg) == 0)
                r = add_real(path, out, max, n);
        if (r == 0 && STR_FMT(path, "/run/user/%u/nook", (unsigned)getuid()) == 0)
                r = add_real(path, out, max, n);
        if (r == 0 && fallback)
                r = add_real(fallback, out, max, n);
        if (STR_FMT(path, "/tmp/nook-%u", (unsigned)getuid()) < 0)
                return r;
        (void)mkdir(path, 0700);
        if (r == 0)
                r = add_real(path, out, max, n);
        return r;
}

int rundir_open_base(struct nook_err *e)
{
        char base[PATH_MAX];

        rundir_base(base, sizeof(base));
        int r = own_dir(base, e);
        if (r < 0)
                return r;
        int fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 ? fd : nook_errf(e, errno, "cannot open %s: %m", base);
}

int rundir_create(char **out, struct nook_err *e)
{
        char base[PATH_MAX];
        int r;

        rundir_base(base, sizeof(base));
        r = own_dir(base, e);
        if (r < 0)
                return r;
        clean_stale(base);
        if (asprintf(out, "%s/%d", base, (int)getpid()) < 0) {
                *out = NULL;
                return nook_errf(e, ENOMEM, "out of memory");
        }
        /* a stale one of a dead nook with our pid: its files are ours */
        rundir_remove(*out);
        r = own_dir(*out, e);
        if (r < 0) {
                free(*out);
                *out = NULL;
        }
        return r;
}

void rundir_remove(const char *dir)
{
        rundir_remove_at(AT_FDCWD, dir);
}
