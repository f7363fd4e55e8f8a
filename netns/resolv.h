/* /etc/resolv.conf and /etc/hosts for a sandbox with its own way out. */
#pragma once

#include "netns/net.h"

/* DNS= servers when given; else slirp's DNS (10.0.2.3), then the host's own
   servers that are not on loopback, taken from systemd-resolved's upstream
   file when the host uses its 127.0.0.53 stub. Pure: the file contents
   come in as text (either may be NULL). */
char *resolv_conf_make(const struct net_config *s, const char *host_resolv, const char *resolved_upstream);

/* localhost and the sandbox's hostname. */
char *hosts_make(const char *hostname);
