/* Keeps the caller's terminal, and for nook enter every one of the caller's
   fds 0-2, out of a sandbox: the command gets a new pty (for those of its
   fds 0-2 that are the caller's terminal) or pipes, and a process that
   stays outside copies the bytes, as docker exec -t and machinectl shell
   do. A sandboxed process that keeps or reopens its stdin then holds a pty
   or a pipe that dies with the relay, never the caller's terminal or file.

   Used by nook enter (pty and pipes, made and relayed by the process that
   stays outside) and by nook run (the pty only: pid 1 makes it from the
   sandbox's own devpts and sends the master to nook, which relays). */
#pragma once

#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "lib/err.h"

struct relay {
        unsigned ttys;          /* bit N: the caller's fd N is a terminal; the
                                   command's fd N is then the pty's slave */
        int master, slave;      /* the pty, -1 when none of fds 0-2 is a terminal */
        int child[3];           /* the command's fd N when not the pty: the far
                                   end of a pipe (pipes), or -1: the caller's own */
        int ours[3];            /* our ends of those pipes */
        bool eof_to_pty;        /* the end of a stdin that is no terminal is
                                   typed into the pty as its EOF character */
};

/* Which of the caller's fds 0-2 are terminals: bit N for fd N. */
unsigned relay_tty_fds(void);

void relay_init(struct relay *r);

/* A pty for the fds in ttys (none: no pty), allocated from the devpts that
   root (a directory fd) shows at /dev/pts, so that the command's tty(1)
   names a file of its own root; its window size is the caller's. With
   pipes, one pipe for each of fds 0-2 that is not a terminal. */
int relay_prepare(struct relay *r, unsigned ttys, bool pipes, int root, struct nook_err *e);

/* In the command's process, after fork: a session of its own (with the pty
   as its controlling terminal, owned by uid:gid unless -1), the pty and the
   pipes as its fds 0-2. */
int relay_child(struct relay *r, uid_t uid, gid_t gid, struct nook_err *e);

/* In the process that stays outside, after fork: closes the command's ends. */
void relay_parent(struct relay *r);

void relay_close(struct relay *r);

/* Called for each signal read from the owner's signalfd (and once with NULL
   at the start); returns true once the command has ended. */
typedef bool (*relay_signal_fn)(void *arg, const struct signalfd_siginfo *si);

/* Copies bytes both ways until the command has ended, then what it left in
   the pty and the pipes. The caller's terminal, when fd 0 is one, is raw
   meanwhile, and restored on every way out (a fatal signal included). A
   SIGWINCH from the kernel (the caller's terminal resized) resizes the pty
   and is not handed on. */
int relay_run(struct relay *r, int sigfd, relay_signal_fn on_signal, void *arg, struct nook_err *e);

/* nook run: sends the pty's master over sock (SCM_RIGHTS), or receives it. */
int relay_send_master(int sock, int master, struct nook_err *e);
int relay_recv_master(int sock);
