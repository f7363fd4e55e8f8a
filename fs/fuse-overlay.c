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

#include "fs/fuse-daemon.h"
#include "fs/mount.h"
#include "lib/launcher.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

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

pid_t fuse_overlay_start(pid_t child, size_t n_layers, const char *persist_dir, unsigned flags, int *pidfd,
                         struct nook_err *e)
{
        _cleanup_(buf_free) struct buf opts = { 0 };
        int r;

        if (n_layers > OVERLAY_MAX_LAYERS)
                return nook_errf(e, E2BIG, "the image has %zu layers; nook runs at most %d (squash it into fewer layers)",
                                 n_layers, OVERLAY_MAX_LAYERS);
        r = buf_appendf(&opts, "%s%slowerdir=", flags & FUSE_OVERLAY_FUSE_LOWER ? "noacl," : "",
                        flags & FUSE_OVERLAY_SQUASH_TO_ROOT ? "squash_to_root," : "");
        for (size_t i = n_layers; r == 0 && i-- > 0;)
                r = buf_appendf(&opts, "%s/l/%zu", i + 1 < n_layers ? ":" : "", i);
        if (r == 0)
                r = buf_appendf(&opts, ",upperdir=/rw/upper,workdir=/rw/work");
        if (r < 0)
                return nook_errf(e, ENOMEM, "cannot build the options of fuse-overlayfs: out of memory");
        warn_if_nearly_full(persist_dir);
        char *argv[] = { "fuse-overlayfs", "-f", "-o", (char *)buf_str(&opts), "/newroot", NULL };
        return fuse_daemon_start(child, argv, flags & FUSE_OVERLAY_VERBOSE, pidfd, e);
}

