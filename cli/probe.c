#include "cli/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/strutil.h"

/* Runs fn in a forked child; its exit status (0: it worked), or -1. */
int probe_in_child(int (*fn)(void))
{
        fflush(NULL);
        pid_t pid = fork();
        int st;

        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(fn());
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

int probe_userns(void)
{
        return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;
        if (fd >= 0)
                close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* In a user and mount namespace of its own, as root there: a tmpfs, and
   kernel overlayfs on it. 0: both; 1: no tmpfs; 2: no overlay. */
int probe_overlay(void)
{
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();

        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                return 1;
        if (STR_FMT(map, "0 %u 1\n", (unsigned)uid) < 0 || write_file("/proc/self/uid_map", map) < 0 || write_file("/proc/self/setgroups", "deny") < 0)
                return 1;
        if (STR_FMT(map, "0 %u 1\n", (unsigned)gid) < 0 || write_file("/proc/self/gid_map", map) < 0)
                return 1;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") < 0)
                return 1;
        if (mkdir("/tmp/l", 0755) < 0 || mkdir("/tmp/u", 0755) < 0 || mkdir("/tmp/w", 0755) < 0 ||
            mkdir("/tmp/m", 0755) < 0)
                return 1;
        return mount("overlay", "/tmp/m", "overlay", 0, "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w") == 0 ? 0 : 2;
}

bool probe_setuid_or_capable(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return false;
        return (st.st_mode & S_ISUID && st.st_uid == 0) || getxattr(path, "security.capability", NULL, 0) > 0;
}

/* The first line a program prints for --version, or "" when it does not run. */
void probe_version(const char *prog, char *buf, size_t size)
{
        char cmd[256];

        buf[0] = '\0';
        if (STR_FMT(cmd, "%s --version 2>/dev/null", prog) < 0)
                return;
        FILE *p = popen(cmd, "re");
        if (!p)
                return;
        if (fgets(buf, (int)size, p))
                buf[strcspn(buf, "\n")] = '\0';
        while (fgetc(p) != EOF)
                ;
        if (pclose(p) != 0 && !buf[0])
                buf[0] = '\0';
}

bool probe_on_path(const char *prog)
{
        char *path = probe_which(prog);

        free(path);
        return path != NULL;
}

bool probe_device_usable(const char *dev)
{
        return access(dev, R_OK | W_OK) == 0;
}


char *probe_which(const char *prog)
{
        const char *path = getenv("PATH");
        char *buf = NULL;

        if (!path)
                path = "/usr/bin:/bin";
        while (*path) {
                size_t n = strcspn(path, ":");
                if (n && asprintf(&buf, "%.*s/%s", (int)n, path, prog) >= 0) {
                        if (access(buf, X_OK) == 0)
                                return buf;
                        free(buf);
                }
                buf = NULL;
                path += n + (path[n] == ':');
        }
        return NULL;
}

static void pick_version_line(const char *prog, char *out, char *buf, size_t size)
{
        for (char *line = out, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strstr(line, prog) && strpbrk(line, "0123456789") && strlen(line) < size) {
                        memcpy(buf, line, strlen(line) + 1);
                        return;
                }
        }
}

void probe_version_named(const char *prog, const char *path, char *buf, size_t size)
{
        int p[2];
        char out[4096];
        size_t used = 0;

        buf[0] = '\0';
        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
                        _exit(127);
                execl(path, prog, "--version", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        for (ssize_t n = 1; pid > 0 && n > 0 && used < sizeof(out) - 1; used += (size_t)n)
                if ((n = read(p[0], out + used, sizeof(out) - 1 - used)) < 0)
                        n = 0;
        close(p[0]);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        out[used] = '\0';
        pick_version_line(prog, out, buf, size);
}

bool probe_apparmor_restricts_userns(void)
{
        FILE *f = fopen("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "re");
        int restricted = 0;

        if (f) {
                if (fscanf(f, "%d", &restricted) != 1)
                        restricted = 0;
                fclose(f);
        }
        return restricted != 0;
}
