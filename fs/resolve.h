/* Paths opened inside a root directory: absolute paths and symlinks resolve
   within it (openat2 RESOLVE_IN_ROOT), magic links are refused, so nothing a
   sandbox or an image planted can send us outside. */
#pragma once

#include <sys/types.h>

/* fd on success, -errno on failure. flags are open(2) flags; O_CLOEXEC is added. */
int resolve_open(int rootfd, const char *path, int flags);

/* resolve_open() following no symbolic link at all (RESOLVE_NO_SYMLINKS):
   for a host path made exact before (a bind source), so that a link put
   on its way since is -ELOOP, never followed. */
int resolve_open_exact(int rootfd, const char *path, int flags);

/* Opens a regular file inside root for reading, never waiting on a FIFO:
   -EFTYPE_NOT_REGULAR when path is anything but a regular file (an errno
   nothing else here returns; say "not a regular file" for it). */
#define EFTYPE_NOT_REGULAR EBADFD
int resolve_open_regular(int rootfd, const char *path);

/* Opens (O_PATH) the directory path inside root, creating missing components
   with mode. */
int resolve_mkdirs(int rootfd, const char *path, mode_t mode);

/* Opens (O_PATH) path inside root, creating an empty file there (and its
   parents) when missing: a mount point for a non-directory. */
int resolve_mkfile(int rootfd, const char *path);

/* Splits "/a/b/c" into a parent "/a/b" (in buf) and returns "c". */
const char *path_split(const char *path, char *parent, size_t size);
