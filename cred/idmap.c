#include "cred/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

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

/* One uid and one gid, into the /proc/PID directory procdir. */
static int write_single_maps(int procdir, uid_t uid_in, uid_t uid_out, gid_t gid_in, gid_t gid_out,
                             struct nook_err *e)
{
        char uline[64], gline[64];

        if (STR_FMT(uline, "%u %u 1\n", (unsigned)uid_in, (unsigned)uid_out) < 0 ||
            STR_FMT(gline, "%u %u 1\n", (unsigned)gid_in, (unsigned)gid_out) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot map ids: %m");
        int r = write_at(procdir, "uid_map", uline, e);
        return r < 0 ? r : write_at(procdir, "gid_map", gline, e);
}

int idmap_write_single(pid_t child, uid_t uid_in, uid_t uid_out, gid_t gid_in, gid_t gid_out,
                       struct nook_err *e)
{
        char path[64];
        int r;

        if (STR_FMT(path, "/proc/%d", (int)child) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot map ids: %m");
        _cleanup_close_ int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot map ids: %s: %m", path);
        r = write_at(dir, "setgroups", "deny", e);
        return r < 0 ? r : write_single_maps(dir, uid_in, uid_out, gid_in, gid_out, e);
}

int idmap_nest_self(uid_t uid_in, gid_t gid_in, struct nook_err *e)
{
        uid_t uid_out = getuid();
        gid_t gid_out = getgid();

        /* pid 1 made itself (and so us) undumpable, which hands our /proc
           files to the host's root: they are the command's own again */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot set the command's process dumpable: %m");
        if (unshare(CLONE_NEWUSER) < 0)
                return nook_errf(e, errno, "cannot create the command's user namespace: %m");
        _cleanup_close_ int dir = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot map ids: /proc/self: %m");
        return write_single_maps(dir, uid_in, uid_out, gid_in, gid_out, e);
}

/* A running setuid helper (newuidmap/newgidmap) and the pipe of its
   complaints. */
struct map_helper {
        int pidfd;
        int err;        /* read end of its stderr */
        const char *name;
};

struct map_child {
        char *const *argv;
        int err;        /* the pipe's write end */
};

/* The helper's process until it execs, sharing nook's memory
   (launcher_spawn): only its own stack is written. */
static int map_child(void *arg)
{
        const struct map_child *m = arg;
        char path[64];

        dup2(m->err, 2);
        /* the distribution's setuid helper first: not whatever a PATH
           entry might hold */
        if (STR_FMT(path, "/usr/bin/%s", m->argv[0]) == 0)
                launcher_exec_program(path, (char **)m->argv);
        int r = launcher_exec_program(m->argv[0], (char **)m->argv);
        return r == -ENOENT ? 127 : 126;
}

static int start_map_helper(char *const argv[], struct map_helper *h, struct nook_err *e)
{
        int pipefd[2];

        h->name = argv[0];
        h->pidfd = -1;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot map ids: pipe: %m");
        struct map_child m = { argv, pipefd[1] };
        struct nook_err fe = { 0 };
        pid_t pid = launcher_spawn(&h->pidfd, NULL, 0, map_child, &m, &fe);
        close(pipefd[1]);
        if (pid < 0) {
                close(pipefd[0]);
                return nook_errf(e, -pid, "cannot map ids: %s", fe.msg);
        }
        h->err = pipefd[0];
        return 0;
}

/* Waits for it; its first line of complaint becomes our message. */
static int finish_map_helper(struct map_helper *h, struct nook_err *e)
{
        char msg[256] = "";
        ssize_t n = read(h->err, msg, sizeof(msg) - 1);

        close(h->err);
        msg[n > 0 ? n : 0] = '\0';
        msg[strcspn(msg, "\n")] = '\0';
        int st = launcher_wait(h->pidfd, -1);
        launcher_end(&h->pidfd, 0, 0);
        if (st == 0)
                return 0;
        if (st == 127)
                return nook_errf(e, ENOENT, "cannot map ids: %s is not installed (apt-get install uidmap, or use --map=single)", h->name);
        return nook_errf(e, EPERM, "cannot map ids: %s failed%s%s (check /etc/subuid and /etc/subgid, or use --map=single)",
                         h->name, msg[0] ? ": " : "", msg);
}

int idmap_write_range(pid_t child, uid_t uid, gid_t gid, const struct subid_pair *r, struct nook_err *e)
{
        char pid[16], own[16], start[24], count[24];
        int rc;

        char gown[16], gstart[24], gcount[24];

        if (STR_FMT(pid, "%d", (int)child) < 0 || STR_FMT(own, "%u", (unsigned)uid) < 0 ||
            STR_FMT(start, "%lu", r->uid_start) < 0 || STR_FMT(count, "%lu", r->uid_count) < 0 ||
            STR_FMT(gown, "%u", (unsigned)gid) < 0 || STR_FMT(gstart, "%lu", r->gid_start) < 0 ||
            STR_FMT(gcount, "%lu", r->gid_count) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot map ids: %m");
        /* root inside is the user; 1..N inside are the subordinate ids */
        char *uidmap[] = { "newuidmap", pid, "0", own, "1", "1", start, count, NULL };
        char *gidmap[] = { "newgidmap", pid, "0", gown, "1", "1", gstart, gcount, NULL };
        /* both at once: each is a setuid exec of a few milliseconds */
        struct map_helper hu, hg;
        rc = start_map_helper(uidmap, &hu, e);
        if (rc < 0)
                return rc;
        rc = start_map_helper(gidmap, &hg, e);
        if (rc < 0) {
                struct nook_err ignored = { 0 };
                finish_map_helper(&hu, &ignored);
                return rc;
        }
        struct nook_err eg = { 0 };
        int rg = finish_map_helper(&hg, &eg);
        rc = finish_map_helper(&hu, e);
        if (rc == 0 && rg < 0) {
                *e = eg;
                rc = rg;
        }
        return rc;
}
