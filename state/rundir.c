#include "state/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* Run directories of nooks that died without cleaning up (SIGKILL). */
static void clean_stale(const char *base)
{
        DIR *dp = opendir(base);
        struct dirent *de;
        char path[4400];

        while (dp && (de = readdir(dp))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
                rundir_remove(path);
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

        if (xdg && xdg[0] == '/' && access(xdg, W_OK) == 0)
                snprintf(buf, size, "%s/nook", xdg);
        else if (fallback && strlen(fallback) < size)
                memcpy(buf, fallback, strlen(fallback) + 1);
        else
                snprintf(buf, size, "/tmp/nook-%u", (unsigned)getuid());
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
        char path[4200];
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int r = 0;

        *n = 0;
        if (xdg && xdg[0] == '/') {
                snprintf(path, sizeof(path), "%s/nook", xdg);
                r = add_real(path, out, max, n);
        }
        snprintf(path, sizeof(path), "/run/user/%u/nook", (unsigned)getuid());
        if (r == 0)
                r = add_real(path, out, max, n);
        if (r == 0 && fallback)
                r = add_real(fallback, out, max, n);
        snprintf(path, sizeof(path), "/tmp/nook-%u", (unsigned)getuid());
        (void)mkdir(path, 0700);
        if (r == 0)
                r = add_real(path, out, max, n);
        return r;
}

int rundir_open_base(struct nook_err *e)
{
        char base[4096];

        rundir_base(base, sizeof(base));
        int r = own_dir(base, e);
        if (r < 0)
                return r;
        int fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 ? fd : nook_errf(e, errno, "cannot open %s: %m", base);
}

int rundir_create(char **out, struct nook_err *e)
{
        char base[4096], dir[4200];
        int r;

        rundir_base(base, sizeof(base));
        r = own_dir(base, e);
        if (r < 0)
                return r;
        clean_stale(base);
        snprintf(dir, sizeof(dir), "%s/%d", base, (int)getpid());
        /* a stale one of a dead nook with our pid: its files are ours */
        rundir_remove(dir);
        r = own_dir(dir, e);
        if (r < 0)
                return r;
        *out = strdup(dir);
        return *out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

void rundir_remove(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        while (dp && (de = readdir(dp)))
                if (de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..")))
                        unlinkat(dirfd(dp), de->d_name, 0);
        if (dp)
                closedir(dp);
        else if (fd >= 0)
                close(fd);
        rmdir(dir);
}

