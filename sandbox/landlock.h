/* Landlock for Mode=host: the egress allowlist as TCP port rules (ABI 4)
   and the host's abstract unix sockets out of reach (ABI 6). */
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
