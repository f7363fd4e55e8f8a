/* The helpers nook starts for one sandbox (xdg-dbus-proxy, slirp4netns or
   pasta, fuse-overlayfs, nook-squashfs) and the run directory that holds their sockets,
   their logs and nook's own files for the sandbox. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "desktop/dbus-proxy.h"
#include "lib/err.h"
#include "netns/slirp.h"
#include "sandbox/launch.h"
#include "sandbox/seccomp.h"

struct helpers {
        char *rundir;           /* NULL until made */
        struct slirp slirp;
        pid_t pasta;
        int pasta_fd;
        struct dbus_proxy dbus;
        pid_t fuse;
        int fuse_fd;
        struct squashfs_helper squashfs;
};

#define HELPERS_INIT { .slirp = { .exit_fd = -1, .pidfd = -1 }, .pasta = -1, .pasta_fd = -1, \
                       .dbus = { .pid = -1, .pidfd = -1, .keep_fd = -1 }, .fuse = -1, .fuse_fd = -1, \
                       .squashfs = SQUASHFS_HELPER_INIT }

/* The run directory, with the files the spec asks nook to write there;
   early: only when something needs it before pid 1 goes (a helper's
   socket or log, such a file), else always. */
int helpers_make_rundir(const struct launch_ctx *c, struct helpers *h, bool early, struct nook_err *e);
/* DBus=filtered: the proxy, whose socket is bound into the sandbox. */
int helpers_start_dbus(const struct launch_ctx *c, struct helpers *h, struct nook_err *e);
/* Mode=slirp or pasta: the way out of child's network namespace, and the
   published ports. */
int helpers_start_net(const struct launch_ctx *c, pid_t child, struct helpers *h, struct nook_err *e);
/* fuse-overlayfs for child's image root, on pid 1's request (once); false
   when it could not start (and said why). */
bool helpers_start_fuse(const struct launch_ctx *c, pid_t child, struct helpers *h);
/* A squashfs image: nook-squashfs, the caller's (c->squashfs) taken over,
   else started now, before the sandbox is. */
int helpers_start_squashfs(const struct launch_ctx *c, struct helpers *h, struct nook_err *e);
/* dev, the /dev/fuse of the mount pid 1 made for it ("Q"), given to
   nook-squashfs (dev is closed); true once it serves, false when it does
   not (and said why). */
bool helpers_serve_squashfs(struct helpers *h, int dev);
/* Their pids, for the run state (at most 5). */
size_t helpers_pids(const struct helpers *h, pid_t *out);
/* Ends them all, through their exit fds and pidfds (never by a pid, which
   may be another process's by now), and removes the run directory. */
void helpers_stop(struct helpers *h);
/* pid 1 exits (it said "E", or its fds closed): the run directory goes
   now, while the kernel tears pid 1 and its namespaces down, unless a helper that keeps a
   socket or a log there still runs (helpers_stop removes it then). True
   when it went. */
bool helpers_sandbox_ending(struct helpers *h);
