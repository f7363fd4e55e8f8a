/* The egress allowlist (Allow=, Deny=) as an nftables ruleset, loaded into
   the sandbox's own network namespace before its capabilities are dropped,
   so that the command cannot change it. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "netns/net.h"

/* The ruleset text, or NULL when there is nothing to enforce. Pure.
   Traffic to the gateway, 10.0.2.2 and fd00::2, is refused unless
   AllowHostLoopback=;
   Deny rules come next; with any Allow=, everything else outbound is
   dropped. */
char *egress_ruleset(const struct net_config *s);

/* Whether that ruleset lets a connection to addr (numeric, IPv4 or IPv6)
   and port out, whatever its protocol. Pure. Loopback addresses stay in
   the sandbox and always pass. nook run --audit asks it after the run. */
bool egress_allows(const struct net_config *s, const char *addr, unsigned port);

/* Loads it with nft(8), in the calling process's network namespace: its
   child keeps CAP_NET_ADMIN alone. */
int egress_apply(const char *ruleset, struct nook_err *e);

/* Where nft is, or NULL: egress rules cannot be loaded. */
const char *egress_nft_path(void);
