/* Mounts through the fd-based mount API (open_tree, fsopen, fsmount,
   move_mount, mount_setattr): every target is an fd resolved inside the new
   root, so no path is looked up twice. Needs Linux >= 5.12. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

/* Propagation of the mount at fd: MS_SHARED, MS_PRIVATE or MS_SLAVE. */
int mnt_set_propagation(int mntfd, unsigned long how, struct nook_err *e);

/* MOUNT_ATTR_* bits from <linux/mount.h> */
int mnt_set_attrs(int mntfd, uint64_t set, bool recursive, struct nook_err *e);

/* A detached copy of the mount tree at fd (a bind mount not attached yet). */
int mnt_clone(int fd, const char *what, struct nook_err *e);

/* Attaches the detached mount mntfd on the target fd. */
int mnt_attach(int mntfd, int targetfd, const char *where, struct nook_err *e);

/* New detached filesystems. size 0 = default; attrs are MOUNT_ATTR_*. */
int mnt_new_tmpfs(uint64_t size, mode_t mode, uint64_t attrs, struct nook_err *e);
/* The same, its root owned by uid:gid (as the sandbox's user namespace
   names them; -1: the mounter's). */
int mnt_new_tmpfs_owned(uint64_t size, mode_t mode, uid_t uid, gid_t gid, uint64_t attrs, struct nook_err *e);
int mnt_new_proc(struct nook_err *e);
int mnt_new_devpts(struct nook_err *e);
/* A FUSE file system served through dev (an open /dev/fuse), read-only,
   nosuid, nodev, its root uid:gid's (as the caller's user namespace names
   them); the kernel sends the daemon its INIT at once. */
int mnt_new_fuse(int dev, const char *name, uid_t uid, gid_t gid, struct nook_err *e);
/* The most lower layers kernel overlayfs stacks (OVL_MAX_STACK): nook
   refuses images with more, at import and at run, whichever overlay runs
   them. */
#define OVERLAY_MAX_LAYERS 500

/* Kernel overlayfs in a user namespace (userxattr) of n lower
   directories, top-most first. */
int mnt_new_overlay(const char *const *lower, size_t n, const char *upper, const char *work, struct nook_err *e);

/* mount(2) and friends, for the few steps the fd API does not cover. */
int mnt_make_rslave(struct nook_err *e);
int mnt_pivot_into(int newrootfd, struct nook_err *e);
