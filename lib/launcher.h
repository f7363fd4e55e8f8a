/* The one way nook starts a helper program (newuidmap, slirp4netns, pasta,
   xdg-dbus-proxy, fuse-overlayfs, nook-image, skopeo): forked with a
   parent-death signal, a pidfd for every later signal and wait, a clean
   signal mask and dispositions, only the fds asked for, its output to a
   log of its own. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

/* In a helper's forked child: its standard output and error go to its log
   in the run directory (left as they are when the log cannot be made). */
void launcher_log_output(const char *log);

/* Every helper (newuidmap and newgidmap, slirp4netns, pasta,
   xdg-dbus-proxy, fuse-overlayfs, nook-image, skopeo) starts here: fork,
   the child killed when nook dies (PR_SET_PDEATHSIG), and in the parent a
   pidfd that every later signal and wait goes through, so that a pid
   reaped meanwhile by nook's subreaper loop, and reused, is never hit.
   In the child, every fd from 3 up is made close-on-exec but the n_keep
   fds of keep, which the helper is told about (a ready pipe, a namespace
   as /proc/self/fd/N); the child may still clear FD_CLOEXEC on another
   before it execs. Returns 0 in the child, the pid in the parent. */
pid_t launcher_fork_keep(int *pidfd, const int *keep, size_t n_keep, struct nook_err *e);

/* The child's stack in launcher_spawn: what child may use, its calls
   included (a message printed, a path built). */
#define SPAWN_STACK (128 * 1024)

/* As launcher_fork_keep, for a helper whose child sets itself up and
   execs at once (those of a sandbox's start): child(arg) runs in a process that shares nook's memory
   (clone with CLONE_VM | CLONE_VFORK) while nook waits, until it execs
   or ends (with child's return value as its exit status). No copy of
   nook's memory is made, and no page of nook's faults again afterwards,
   which a fork costs both. child may change its own process (namespaces,
   credentials, fds, limits) but must not allocate memory or change what
   nook's memory holds (its stack is its own). Returns the pid, or -errno
   with e set. */
pid_t launcher_spawn(int *pidfd, const int *keep, size_t n_keep, int (*child)(void *), void *arg, struct nook_err *e);

/* Then, in the child: every signal unblocked (nook blocks some) and at its
   default disposition (an ignored one would stay ignored through exec),
   the parent-death signal armed again, and program run (looked up on PATH
   when it has no '/'). Returns only when exec failed: -errno. */
int launcher_exec_program(const char *program, char **argv);

/* launcher_exec_program(argv[0], argv) with umask 077 (a helper's sockets
   and files are the user's alone); exit status 127 when it cannot run. */
_Noreturn void launcher_exec(char **argv);

/* launcher_spawn of a child that sends its output to log (NULL: leaves it)
   and runs launcher_exec(argv). */
pid_t launcher_spawn_exec(int *pidfd, const int *keep, size_t n_keep, const char *log, char **argv,
                          struct nook_err *e);

/* A short-lived program whose words nook reads (getent, getsubids, nft):
   argv[0], an absolute path, started as launcher_spawn starts a helper,
   with in as its standard input (-1: /dev/null), its standard output
   (which 1) or error (which 2) read into buf (at most size - 1 bytes and a
   NUL; the rest read and dropped), the other to /dev/null. setup (NULL:
   none) runs in the child before the exec, under launcher_spawn's rules;
   a negative return ends the child with status 125. At most ms for it
   all, then the program is killed. Returns its exit status (128 + a
   signal), or -errno with e set. */
int launcher_capture(char **argv, int in, int which, int (*setup)(void *), void *arg, char *buf, size_t size,
                     int ms, struct nook_err *e);

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
