/* Landlock for Mode=host: the egress allowlist as TCP port rules (ABI 4)
   and the host's abstract unix sockets out of reach (ABI 6); and for a
   FUSE daemon that serves one file (nook-squashfs): no file but its program. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "spec/spec.h"

/* Whether the command's network is limited by Landlock (Mode=host with
   Allow=); seccomp then refuses the sockets Landlock cannot see. */
bool landlock_net_applies(const struct nook_spec *s);

/* The running kernel's Landlock ABI version, 0 when it has none. */
int landlock_abi(void);

/* Restricts the calling process (no_new_privs is set) to connecting to and
   binding the TCP ports spec's Allow= rules name. An older kernel, or a
   rule Landlock cannot express (an address, UDP, Deny=), is an error:
   never a silent pass. */
int landlock_restrict_net(const struct nook_spec *s, struct nook_err *e);

/* Checks, before anything starts, what landlock_restrict_net would refuse. */
int landlock_check_net(const struct nook_spec *s, struct nook_err *e);

/* Restricts the calling process (no_new_privs is set) to reading and
   executing the files beneath the paths of `exec` (NULL-terminated; a path
   that does not exist is skipped) and reading the file open as file_fd:
   nothing else is opened, written, made or removed by path, no TCP port
   (ABI 4), no abstract unix socket or signal outside (ABI 6). A kernel
   without Landlock: no_new_privs only, no error. Allocates nothing (runs
   in a forked child). */
int landlock_restrict_files(const char *const *exec, int file_fd, struct nook_err *e);
