/* The last steps of the command's process, then execve. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/seccomp.h"
#include "spec/spec.h"

struct exec_ctx {
        const struct nook_spec *spec;           /* argv, environment, kept fds */
        const struct seccomp_prog *seccomp;     /* NULL: no filter */
        const sigset_t *sigmask;                /* the mask to run the command with */
        bool image;                             /* an image's sandbox: its User=, root's
                                                   capabilities */
        bool nest;                              /* the command gets a user namespace of
                                                   its own, with these ids (see launch.c) */
        uid_t nest_uid;
        gid_t nest_gid;
        int exec_fail_fd;                       /* written to when the command cannot
                                                   start (close-on-exec: EOF means it
                                                   did); 0 or -1: none */
        int notify_sock;                        /* nook learn: the filter's listener fd
                                                   goes over this socket to nook's
                                                   supervisor; 0 or -1: none */
        char **environ;                         /* NULL: the spec's environment;
                                                   else exactly this one (nook enter:
                                                   the command's), TERM kept */
};

/* The command's seccomp filter, as the spec's confinement says (its
   default filter with SyscallDeny=, SyscallAllow=, SocketFamilies=,
   MemoryDenyWriteExecute=, FakeIds=, and Landlock's TCP-only rule): the one
   nook run and nook enter both build, before they fork. An empty program
   with Seccomp=none. */
int exec_build_filter(const struct nook_spec *s, struct seccomp_prog *out, struct nook_err *e);

/* exec_build_filter() with nook learn's notify rules added (the same
   denies, so nothing is refused less). audit (nook run --audit): the
   calls refused whole go to the supervisor too, which refuses them. */
int exec_build_observed_filter(const struct nook_spec *s, bool audit, struct seccomp_prog *out, struct nook_err *e);

/* The calls that filter with audit sends to the supervisor to refuse, and
   with what errno: the observer's list (malloc'd *out of *n). */
int exec_audited_refusals(const struct nook_spec *s, struct seccomp_refusal **out, size_t *n, struct nook_err *e);

/* Never returns: execs the command, or prints why not and exits 125 (nook's
   own failure), 126 (found but not runnable) or 127 (not found). */
_Noreturn void exec_command(const struct exec_ctx *x);
