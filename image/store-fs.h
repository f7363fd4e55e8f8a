/* What the file system under an image store gives nook, and what nook does
   where it gives less (doc/store.md, "File systems"): its type (statfs(2),
   named as /proc/self/mountinfo names it), whether user.* extended
   attributes can be set there (kernel overlayfs's opaque directories) and
   whether flock(2) works (the store's locks). Probed once per store and
   kept in its file `fs`, so that a run reads one small file. */
#pragma once

#include <stdbool.h>

#include "image/store.h"
#include "lib/err.h"

struct store_fs {
        unsigned long magic;    /* statfs(2) f_type */
        char type[64];          /* "ext4", "nfs4", "fuse.bindfs"; "?" when unknown */
        bool xattr;             /* a user.* xattr can be set and read back */
        bool flock;             /* flock(2) takes a lock */
        bool probed;            /* false: the probe itself failed (nothing known) */
};

/* A network file system or a FUSE one (NFS, CIFS, 9p, Ceph, Lustre, GPFS,
   BeeGFS, AFS, any FUSE): permissions and owners are checked by a server or
   by a daemon running as the user, so files cannot be given to subordinate
   ids, and kernel overlayfs cannot keep a writable layer there. */
bool store_fs_remote(const struct store_fs *f);
/* NFS in particular (the doctor's advice). */
bool store_fs_nfs(const struct store_fs *f);

/* Probes the directory dfd (path: its name, for the type): a temporary file
   made there and removed. Leaves nothing behind. */
int store_fs_probe_dir(int dfd, struct store_fs *f);

/* The same for a store's path, which may not exist yet: probed in the
   nearest directory of it that does (nook doctor, nook info). */
int store_fs_probe_path(const char *path, struct store_fs *f);

/* The store's facts: from its file `fs` when that was written on this very
   file system (same device), else probed in tmp/ and written there. A probe
   that finds the store on a remote file system or without user xattrs says
   once (when it writes `fs`) what nook will do about it. */
void store_fs_get(const struct store *s, struct store_fs *f);

/* True for the errors flock(2) gives where a file system has no working
   locks (ENOLCK, EOPNOTSUPP, ENOSYS, EINVAL), as opposed to a lock held. */
bool store_fs_lock_unsupported(int err);

/* Adds to e's message that `what` fails on the store's file system (say
   "flock(2) does not work"), and what to do: put the store on a local
   disk with [Store] Path=. Returns -e->code. */
int store_fs_blame(const struct store *s, struct nook_err *e, const char *what);
