#include "fs/fuse-overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fs/mount.h"
#include "lib/launcher.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#define FUSE_SUPER_MAGIC 0x65735546

/* fuse-overlayfs answers a write before it has written to the layer below:
   when that file system is full, the command's writes "succeed" and the
   data is lost. Said once, before the daemon starts, when a persistent
   sandbox's writable layer has little room left. */
static void warn_if_nearly_full(const char *persist_dir)
{
        struct statvfs sv;

        if (!persist_dir || statvfs(persist_dir, &sv) < 0 || sv.f_blocks == 0)
                return;
        unsigned long long avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
        unsigned long long total = (unsigned long long)sv.f_blocks * sv.f_frsize;
        if (avail >= FUSE_LOW_SPACE_BYTES && avail * 100 >= total * FUSE_LOW_SPACE_PERCENT)
                return;
        fprintf(stderr, "nook: warning: %s has %llu MiB free: with fuse-overlayfs, writes beyond that are lost without an error (free some space, or use --overlay kernel)\n",
                persist_dir, avail >> 20);
}

/* fuse-overlayfs runs in the sandbox's staging root, where the host's
   root is /oldroot and only its system directories are linked: a PATH
   entry such as ~/bin would not resolve there. Found here, on the host's
   PATH, and run as /oldroot/PATH. NULL when it is nowhere. */
static char *find_fuse_overlayfs(void)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;

        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                char *full = NULL;
                if (dir[0] != '/' || asprintf(&full, "/oldroot%s/fuse-overlayfs", dir) < 0)
                        continue;
                if (access(full + strlen("/oldroot"), X_OK) == 0)
                        return full;
                free(full);
        }
        return NULL;
}

pid_t fuse_overlay_start(pid_t child, size_t n_layers, const char *persist_dir, bool verbose, int *pidfd, struct nook_err *e)
{
        _cleanup_(buf_free) struct buf opts = { 0 };
        char path[64];
        int userns, mntns, r;

        if (n_layers > OVERLAY_MAX_LAYERS)
                return nook_errf(e, E2BIG, "the image has %zu layers; nook runs at most %d (squash it into fewer layers)",
                                 n_layers, OVERLAY_MAX_LAYERS);
        r = buf_appendf(&opts, "lowerdir=");
        for (size_t i = n_layers; r == 0 && i-- > 0;)
                r = buf_appendf(&opts, "%s/l/%zu", i + 1 < n_layers ? ":" : "", i);
        if (r == 0)
                r = buf_appendf(&opts, ",upperdir=/rw/upper,workdir=/rw/work");
        if (r < 0)
                return nook_errf(e, ENOMEM, "cannot build the options of fuse-overlayfs: out of memory");
        _cleanup_free_ char *program = find_fuse_overlayfs();
        if (!program)
                return nook_errf(e, ENOENT, "fuse-overlayfs is not installed (apt-get install fuse-overlayfs)");
        warn_if_nearly_full(persist_dir);
        userns = STR_FMT(path, "/proc/%d/ns/user", (int)child) < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        mntns = STR_FMT(path, "/proc/%d/ns/mnt", (int)child) < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0 || mntns < 0) {
                int err = errno;
                if (userns >= 0)
                        close(userns);
                if (mntns >= 0)
                        close(mntns);
                return nook_errf(e, err, "cannot join the sandbox to start fuse-overlayfs: %m");
        }
        /* dies with nook, whatever kills it; takes no fd of nook's */
        struct nook_err fe = { 0 };
        pid_t pid = launcher_fork_keep(pidfd, NULL, 0, &fe);
        if (pid < 0) {
                close(userns);
                close(mntns);
                return nook_errf(e, -pid, "cannot start fuse-overlayfs: %s", fe.msg);
        }
        if (pid == 0) {
                if (setns(userns, CLONE_NEWUSER) < 0 || setns(mntns, CLONE_NEWNS) < 0 ||
                    unshare(CLONE_NEWNS) < 0 || chdir("/") < 0) {
                        fprintf(stderr, "nook: cannot join the sandbox to start fuse-overlayfs: %s\n", strerror(errno));
                        _exit(125);
                }
                /* it chats ("unknown argument ignored"); -v shows it */
                if (!verbose) {
                        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                        if (null >= 0)
                                dup3(null, 2, 0);
                }
                char *argv[] = { "fuse-overlayfs", "-f", "-o", (char *)buf_str(&opts), "/newroot", NULL };
                int err = -launcher_exec_program(program, argv);
                fprintf(stderr, "nook: cannot run %s: %s\n", program + strlen("/oldroot"), strerror(err));
                _exit(127);
        }
        close(userns);
        close(mntns);
        return pid;
}

void fuse_overlay_stop(int *pidfd)
{
        /* the mount namespace ends with its last process, nook: the daemon
           goes first, given a few seconds to finish its work */
        launcher_end(pidfd, SIGTERM, 5000);
}

int fuse_overlay_wait(const char *target, struct nook_err *e)
{
        struct timespec step = { 0, 5 * 1000 * 1000 };

        /* 5 s in 5 ms steps: fuse-overlayfs mounts in milliseconds */
        for (int i = 0; i < 1000; i++) {
                struct statfs sf;
                if (statfs(target, &sf) == 0 && (unsigned)sf.f_type == FUSE_SUPER_MAGIC)
                        return 0;
                nanosleep(&step, NULL);
        }
        return nook_errf(e, ETIMEDOUT, "fuse-overlayfs did not mount the image root (is /dev/fuse usable? run with -v to see its messages)");
}
