/* The run directory of one sandbox: sockets and logs of its helpers.
   $XDG_RUNTIME_DIR/nook/<pid>, or, without XDG_RUNTIME_DIR, a private
   /tmp/nook-<uid> whose owner and mode are checked before use. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "sandbox/err.h"

int rundir_create(char **out, struct nook_err *e);
/* Where the run directories are (not checked), and that directory opened
   (created and checked: ours, 0700, not a link). */
void rundir_base(char *buf, size_t size);
int rundir_open_base(struct nook_err *e);
/* Every place this user's run directories may be, whatever XDG_RUNTIME_DIR
   a session has ($XDG_RUNTIME_DIR/nook, /run/user/UID/nook, /tmp/nook-UID):
   those that exist and are the user's, without symlinks, at most max, into
   out (to free). /tmp/nook-UID is made (0700) when missing: a sandbox that
   sees /tmp could otherwise make it first and watch the run directories of
   a later nook that falls back to it. 0 or -ENOMEM. */
int rundir_all_bases(char **out, size_t max, size_t *n);
/* Removes the directory and the files in it (no subdirectories). */
void rundir_remove(const char *dir);

/* In a helper's forked child: its standard output and error go to its log
   in the run directory (left as they are when the log cannot be made). */
void rundir_log_output(const char *log);

/* Every helper (slirp4netns, pasta, xdg-dbus-proxy, fuse-overlayfs) starts
   here: fork, the child killed when nook dies (PR_SET_PDEATHSIG), and in
   the parent a pidfd that every later signal and wait goes through, so
   that a pid reaped meanwhile by nook's subreaper loop, and reused, is
   never hit. Returns 0 in the child, the pid in the parent. */
pid_t rundir_fork_helper(int *pidfd, struct nook_err *e);

/* Then, in the child: every signal unblocked (nook blocks some), and the
   helper run; exit status 127 when it is not installed. */
_Noreturn void rundir_exec_helper(char **argv);

/* Waits at most ms (-1: for ever) for the helper to end, and reaps it:
   its exit status (128 + the signal that killed it), -ECHILD when someone
   reaped it first, -ETIMEDOUT when it still runs. */
int rundir_helper_wait(int pidfd, int ms);

/* Ends a helper: sig (0: none) through its pidfd; with grace_ms, waits that
   long for it to go, then SIGKILLs it; without, leaves it to end by itself
   (or with nook). Closes and clears *pidfd. */
void rundir_helper_end(int *pidfd, int sig, int grace_ms);

/* The last non-empty line of a helper's log (that is, what it said just
   before it failed), skipping lines that contain skip (may be NULL). */
void rundir_last_line(const char *log, const char *skip, char *buf, size_t size);
