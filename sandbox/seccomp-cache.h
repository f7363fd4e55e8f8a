/* A compiled seccomp filter kept between runs in $XDG_CACHE_HOME/nook, so
   that a start loads a few kilobytes instead of running libseccomp (its
   feature probes, the rule tree, the BPF generation). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/seccomp.h"

/* How many files the cache keeps: each miss that writes one removes the
   files written longest ago beyond that. */
#define SECCOMP_CACHE_KEEP 64

/* seccomp_build() through the cache: the program of a file whose key (the
   rule set, this nook binary, libseccomp's version, the kernel) matches
   and whose checks pass, else a fresh compile, written back atomically
   (and the cache pruned to SECCOMP_CACHE_KEEP files).
   A cache that cannot be used or written is skipped in silence; an error
   is only seccomp_build()'s. */
int seccomp_cache_build(const struct seccomp_opts *opts, struct seccomp_prog *out, struct nook_err *e);

/* The cache directory path opened (made 0700 when missing, not through a
   symbolic link), or -1 when it is not a directory that only uid may write
   (owned by uid, no group or other write): then nothing is cached. */
int seccomp_cache_open(const char *path, uid_t uid);

/* seccomp_cache_build() in dirfd, opened by seccomp_cache_open() (-1: no
   cache); a file is used only when it belongs to uid, its mode is 0600 and
   its length, key and checksum are right; *hit: the program came from the
   file (for tests). */
int seccomp_cache_build_at(int dirfd, uid_t uid, const struct seccomp_opts *opts, struct seccomp_prog *out,
                           bool *hit, struct nook_err *e);

/* $XDG_CACHE_HOME/nook, or $HOME/.cache/nook (either absolute); NULL when
   neither is set (then nothing is cached). Free it. Protected read-only in
   sandboxes as nook's config directory is: a filter written from inside
   would confine the next one. */
char *seccomp_cache_dir(void);
