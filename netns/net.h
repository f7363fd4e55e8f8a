/* What the network layer knows of a sandbox: published ports, egress
   rules, and the few switches its helpers need. A narrow view of its own,
   filled from the spec (spec_net_config), so that netns/ never sees the
   whole spec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* PublishPort=[HOST_IP:]HOST_PORT:SANDBOX_PORT[/tcp|/udp] */
struct net_port {
        char host_ip[48];
        unsigned host_port, guest_port;
        bool udp;
};

/* Allow=/Deny=CIDR[:PORT[-PORT]][/tcp|/udp] */
struct net_rule {
        bool allow;
        char cidr[64];          /* "10.0.2.2/32", "0.0.0.0/0", "fd00::/64" */
        bool v6;
        unsigned port_lo, port_hi; /* 0 = any port */
        int proto;              /* 0 both, 6 tcp, 17 udp */
};

struct net_config {
        bool slirp;             /* Mode=slirp */
        bool pasta;             /* Mode=pasta */
        bool host_loopback;     /* AllowHostLoopback=yes */
        bool ipv6;              /* IPv6=yes */
        const struct net_port *ports;
        size_t n_ports;
        const struct net_rule *rules;   /* Allow= and Deny=, in order */
        size_t n_rules;
        char *const *dns;       /* DNS= */
        size_t n_dns;
};
