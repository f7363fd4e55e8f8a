/* The run directory of one sandbox: sockets and logs of its helpers.
   $XDG_RUNTIME_DIR/nook/<pid>, or, without XDG_RUNTIME_DIR, a private
   /tmp/nook-<uid> whose owner and mode are checked before use. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

int rundir_create(char **out, struct nook_err *e);
/* Where the run directories are (not checked; an XDG_RUNTIME_DIR too long
   to name counts as unusable), and that directory opened (created and
   checked: ours, 0700, not a link). */
void rundir_base(char *buf, size_t size);
/* Without XDG_RUNTIME_DIR, dir (nook.conf's [Run] RuntimeDir=, checked as
   /tmp/nook-UID is) instead of /tmp/nook-UID; NULL: back to that. Called
   once, early, by the commands. 0 or -ENOMEM. */
int rundir_set_fallback(const char *dir);
int rundir_open_base(struct nook_err *e);
/* Every place this user's run directories may be, whatever XDG_RUNTIME_DIR
   a session has ($XDG_RUNTIME_DIR/nook, /run/user/UID/nook, /tmp/nook-UID):
   those that exist and are the user's, without symlinks, at most max, into
   out (to free). /tmp/nook-UID is made (0700) when missing: a sandbox that
   sees /tmp could otherwise make it first and watch the run directories of
   a later nook that falls back to it. 0 or -ENOMEM. */
int rundir_all_bases(char **out, size_t max, size_t *n);
/* Removes the directory and the files in it (no subdirectories); the
   same for the directory name in dfd. */
void rundir_remove(const char *dir);
void rundir_remove_at(int dfd, const char *name);

