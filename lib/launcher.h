/* The one way nook starts a helper program (slirp4netns, pasta,
   xdg-dbus-proxy, fuse-overlayfs): forked with a parent-death signal, a
   pidfd for every later signal and wait, a clean signal mask, its output
   to a log of its own. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

/* In a helper's forked child: its standard output and error go to its log
   in the run directory (left as they are when the log cannot be made). */
void launcher_log_output(const char *log);

/* Every helper (slirp4netns, pasta, xdg-dbus-proxy, fuse-overlayfs) starts
   here: fork, the child killed when nook dies (PR_SET_PDEATHSIG), and in
   the parent a pidfd that every later signal and wait goes through, so
   that a pid reaped meanwhile by nook's subreaper loop, and reused, is
   never hit. Returns 0 in the child, the pid in the parent. */
pid_t launcher_fork(int *pidfd, struct nook_err *e);

/* Then, in the child: every signal unblocked (nook blocks some), and the
   helper run; exit status 127 when it is not installed. */
_Noreturn void launcher_exec(char **argv);

/* Waits at most ms (-1: for ever) for the helper to end, and reaps it:
   its exit status (128 + the signal that killed it), -ECHILD when someone
   reaped it first, -ETIMEDOUT when it still runs. */
int launcher_wait(int pidfd, int ms);

/* Ends a helper: sig (0: none) through its pidfd; with grace_ms, waits that
   long for it to go, then SIGKILLs it; without, leaves it to end by itself
   (or with nook). Closes and clears *pidfd. */
void launcher_end(int *pidfd, int sig, int grace_ms);

/* The last non-empty line of a helper's log (that is, what it said just
   before it failed), skipping lines that contain skip (may be NULL). */
void launcher_last_line(const char *log, const char *skip, char *buf, size_t size);
