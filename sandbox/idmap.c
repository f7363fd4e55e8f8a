#include "sandbox/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/cleanup.h"

static int write_at(int dirfd, const char *file, const char *text, struct nook_err *e)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);

        if (fd < 0)
                return nook_errf(e, errno, "cannot map ids: open %s: %m", file);
        if (write(fd, text, len) != (ssize_t)len)
                return nook_errf(e, errno, "cannot map ids: writing '%.*s' to %s: %m",
                                 (int)strcspn(text, "\n"), text, file);
        return 0;
}

int idmap_write_single(pid_t child, uid_t uid_in, uid_t uid_out, gid_t gid_in, gid_t gid_out,
                       struct nook_err *e)
{
        char path[64], line[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d", (int)child);
        _cleanup_close_ int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot map ids: %s: %m", path);
        r = write_at(dir, "setgroups", "deny", e);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid_in, (unsigned)uid_out);
        r = write_at(dir, "uid_map", line, e);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid_in, (unsigned)gid_out);
        return write_at(dir, "gid_map", line, e);
}

/* Runs a setuid helper (newuidmap/newgidmap) and waits for it; its first
   line of complaint becomes our message. */
static int run_map_helper(char *const argv[], struct nook_err *e)
{
        int pipefd[2];
        char msg[256] = "";

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot map ids: pipe: %m");
        pid_t pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return nook_errf(e, errno, "cannot map ids: fork: %m");
        }
        if (pid == 0) {
                char path[64];
                dup2(pipefd[1], 2);
                /* the distribution's setuid helper first: not whatever a
                   PATH entry might hold */
                snprintf(path, sizeof(path), "/usr/bin/%s", argv[0]);
                execv(path, argv);
                execvp(argv[0], argv);
                _exit(errno == ENOENT ? 127 : 126);
        }
        close(pipefd[1]);
        ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);
        close(pipefd[0]);
        msg[n > 0 ? n : 0] = '\0';
        msg[strcspn(msg, "\n")] = '\0';
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                return nook_errf(e, ENOENT, "cannot map ids: %s is not installed (apt-get install uidmap, or use --map=single)", argv[0]);
        return nook_errf(e, EPERM, "cannot map ids: %s failed%s%s (check /etc/subuid and /etc/subgid, or use --map=single)",
                         argv[0], msg[0] ? ": " : "", msg);
}

int idmap_write_range(pid_t child, uid_t uid, gid_t gid, const struct subid_pair *r, struct nook_err *e)
{
        char pid[16], own[16], start[24], count[24];
        int rc;

        snprintf(pid, sizeof(pid), "%d", (int)child);
        snprintf(own, sizeof(own), "%u", (unsigned)uid);
        snprintf(start, sizeof(start), "%lu", r->uid_start);
        snprintf(count, sizeof(count), "%lu", r->uid_count);
        /* root inside is the user; 1..N inside are the subordinate ids */
        char *uidmap[] = { "newuidmap", pid, "0", own, "1", "1", start, count, NULL };
        rc = run_map_helper(uidmap, e);
        if (rc < 0)
                return rc;
        snprintf(own, sizeof(own), "%u", (unsigned)gid);
        snprintf(start, sizeof(start), "%lu", r->gid_start);
        snprintf(count, sizeof(count), "%lu", r->gid_count);
        char *gidmap[] = { "newgidmap", pid, "0", own, "1", "1", start, count, NULL };
        return run_map_helper(gidmap, e);
}
