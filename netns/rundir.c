#include "netns/rundir.h"

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

void rundir_base(char *buf, size_t size)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (xdg && xdg[0] == '/' && access(xdg, W_OK) == 0)
                snprintf(buf, size, "%s/nook", xdg);
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

void rundir_log_output(const char *log)
{
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
        }
}

/* The process that forked the helper: a child that finds another parent
   has missed the death of its own, which PR_SET_PDEATHSIG only reports
   from the moment it is armed. */
static pid_t helper_parent;

/* Armed in the child, again just before exec: a change of credentials on
   the way (setns into a user namespace, a capability set) may clear it. */
static void die_with_parent(void)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != helper_parent)
                _exit(125);
}

pid_t rundir_fork_helper(int *pidfd, struct nook_err *e)
{
        *pidfd = -1;
        helper_parent = getpid();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return nook_errf(e, errno, "cannot fork: %m");
        if (pid == 0) {
                die_with_parent();
                return 0;
        }
        /* nothing but this thread reaps before it is open, so pid is still
           the child's (a zombie at worst, which a pidfd also names) */
        *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (*pidfd < 0) {
                int err = errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return nook_errf(e, err, "cannot open a pidfd of a helper: %m");
        }
        return pid;
}

_Noreturn void rundir_exec_helper(char **argv)
{
        sigset_t none;

        /* its sockets (slirp4netns's API) and files: the user's alone */
        umask(077);
        die_with_parent();
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        _exit(127);
}

static bool helper_gone(int pidfd, int ms)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r != 0;
}

int rundir_helper_wait(int pidfd, int ms)
{
        siginfo_t si = { 0 };

        if (!helper_gone(pidfd, ms))
                return -ETIMEDOUT;
        /* ECHILD: reaped already by nook's subreaper loop */
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return -ECHILD;
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

void rundir_helper_end(int *pidfd, int sig, int grace_ms)
{
        if (*pidfd < 0)
                return;
        if (sig)
                (void)syscall(SYS_pidfd_send_signal, *pidfd, sig, NULL, 0);
        if (grace_ms > 0 && rundir_helper_wait(*pidfd, grace_ms) == -ETIMEDOUT) {
                (void)syscall(SYS_pidfd_send_signal, *pidfd, SIGKILL, NULL, 0);
                rundir_helper_wait(*pidfd, 2000);
        }
        close(*pidfd);
        *pidfd = -1;
}

void rundir_last_line(const char *log, const char *skip, char *buf, size_t size)
{
        char line[512];
        FILE *f = fopen(log, "re");

        buf[0] = '\0';
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] && !(skip && strstr(line, skip)))
                        snprintf(buf, size, "%.200s", line);
        }
        if (f)
                fclose(f);
}
