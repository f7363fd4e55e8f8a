#include "netns/egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cred/caps.h"
#include "lib/cleanup.h"
#include "lib/launcher.h"

static void rule_text(const struct net_rule *r, FILE *f)
{
        fprintf(f, "                %s daddr %s", r->v6 ? "ip6" : "ip", r->cidr);
        if (r->port_lo) {
                if (r->proto == 6)
                        fputs(" tcp dport ", f);
                else if (r->proto == 17)
                        fputs(" udp dport ", f);
                else
                        fputs(" meta l4proto { tcp, udp } th dport ", f);
                if (r->port_hi > r->port_lo)
                        fprintf(f, "%u-%u", r->port_lo, r->port_hi);
                else
                        fprintf(f, "%u", r->port_lo);
        } else if (r->proto) {
                fprintf(f, " meta l4proto %s", r->proto == 6 ? "tcp" : "udp");
        }
        fprintf(f, " %s\n", r->allow ? "accept" : "drop");
}

char *egress_ruleset(const struct net_config *s)
{
        bool any_allow = false;
        bool guard_gateway = (s->slirp || s->pasta) && !s->host_loopback;
        char *out = NULL;
        size_t size = 0;

        if (s->n_rules == 0 && !guard_gateway)
                return NULL;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < s->n_rules; i++)
                any_allow |= s->rules[i].allow;
        fprintf(f, "table inet nook {\n"
                   "        chain egress {\n"
                   "                type filter hook output priority filter; policy %s;\n"
                   "                oifname \"lo\" accept\n"
                   "                ct state established,related accept\n",
                any_allow ? "drop" : "accept");
        /* The gateway, 10.0.2.2 and fd00::2 (both helpers are told so), is
           the host's loopback (127.0.0.1, ::1) only when asked: otherwise
           no packet to it leaves the sandbox, refused at once rather than
           dropped. (libslirp's --disable-host-loopback covers both, but not
           when a published UDP port needs the loopback: see slirp.c.) The
           DNS forwarder, 10.0.2.3 and fd00::3, reaches the host's resolver
           on port 53 only, and stays open: names must resolve. */
        if (guard_gateway)
                fputs("                ip daddr 10.0.2.2 reject with icmpx type admin-prohibited\n"
                      "                ip6 daddr fd00::2 reject with icmpx type admin-prohibited\n", f);
        /* a Deny= wins over an Allow= that would let the same through */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < s->n_rules; i++)
                        if (s->rules[i].allow == (pass == 1))
                                rule_text(&s->rules[i], f);
        fputs("        }\n}\n", f);
        fclose(f);
        return out;
}

static bool cidr_has(const struct net_rule *r, bool v6, const unsigned char *a)
{
        char net[64];
        unsigned char n[16];
        const char *slash = strchr(r->cidr, '/');
        unsigned bits = slash ? (unsigned)atoi(slash + 1) : (v6 ? 128 : 32);

        if (r->v6 != v6 || snprintf(net, sizeof(net), "%.*s", (int)(slash ? slash - r->cidr : 63), r->cidr) < 0 ||
            inet_pton(v6 ? AF_INET6 : AF_INET, net, n) != 1 || bits > (v6 ? 128u : 32u))
                return false;
        for (unsigned i = 0; i < bits; i++)
                if ((a[i / 8] ^ n[i / 8]) & (0x80 >> (i % 8)))
                        return false;
        return true;
}

static bool rule_has(const struct net_rule *r, bool v6, const unsigned char *a, unsigned port)
{
        if (r->port_lo && (port < r->port_lo || port > (r->port_hi > r->port_lo ? r->port_hi : r->port_lo)))
                return false;
        return cidr_has(r, v6, a);
}

bool egress_allows(const struct net_config *s, const char *addr, unsigned port)
{
        unsigned char a[16] = { 0 };
        bool v6 = strchr(addr, ':') != NULL, any_allow = false;

        if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
                return false;
        if ((!v6 && a[0] == 127) || (v6 && strcmp(addr, "::1") == 0))
                return true;
        if ((s->slirp || s->pasta) && !s->host_loopback &&
            (strcmp(addr, v6 ? "fd00::2" : "10.0.2.2") == 0))
                return false;
        for (size_t i = 0; i < s->n_rules; i++)
                if (!s->rules[i].allow && rule_has(&s->rules[i], v6, a, port))
                        return false;
        for (size_t i = 0; i < s->n_rules; i++) {
                any_allow |= s->rules[i].allow;
                if (s->rules[i].allow && rule_has(&s->rules[i], v6, a, port))
                        return true;
        }
        return !any_allow;
}

/* nft(8), from nftables: libnftables in a process of its own, so that
   nook's own maps no library a start does not need (a static nook cannot
   load one reliably). It runs as pid 1's child, before the root is built,
   with CAP_NET_ADMIN of the sandbox's user namespace alone kept through
   its exec (ambient), and the ruleset as its standard input. */
static const char *const nft_paths[] = { "/usr/sbin/nft", "/sbin/nft" };

const char *egress_nft_path(void)
{
        for (size_t i = 0; i < sizeof(nft_paths) / sizeof(nft_paths[0]); i++)
                if (access(nft_paths[i], X_OK) == 0)
                        return nft_paths[i];
        return NULL;
}

static int nft_child_caps(void *arg)
{
        struct nook_err e = { 0 };

        (void)arg;
        if (caps_keep_only((uint64_t)1 << CAP_NET_ADMIN, false, &e) < 0) {
                nook_err_print(&e);
                return -1;
        }
        return 0;
}

int egress_apply(const char *ruleset, struct nook_err *e)
{
        const char *nft = egress_nft_path();
        char said[512];

        if (!nft)
                return nook_errf(e, ENOENT, "cannot load the egress rules: nft is missing (apt-get install nftables)");
        _cleanup_close_ int in = memfd_create("nook-egress", MFD_CLOEXEC);
        size_t len = strlen(ruleset);
        if (in < 0 || write(in, ruleset, len) != (ssize_t)len || lseek(in, 0, SEEK_SET) != 0)
                return nook_errf(e, errno ? errno : EIO, "cannot load the egress rules: %m");
        char *argv[] = { (char *)nft, "-f", "/dev/stdin", NULL };
        int st = launcher_capture(argv, in, 2, nft_child_caps, NULL, said, sizeof(said), 10000, e);
        if (st < 0)
                return nook_err_prefix(e, "cannot load the egress rules");
        if (st == 0)
                return 0;
        if (st == 127 || st == 125)
                return nook_errf(e, ENOEXEC, "cannot load the egress rules: %s could not be run (%.*s)", nft,
                                 said[0] ? (int)strcspn(said, "\n") : 15, said[0] ? said : "see nook doctor");
        if (st > 128)
                return nook_errf(e, EINTR, "cannot load the egress rules: %s was killed by signal %d", nft, st - 128);
        /* its first line, as much of it as the message holds */
        const char *msg = said + strspn(said, "\n");
        if (!*msg)
                msg = "nftables refused them";
        return nook_errf(e, EINVAL, "cannot load the egress rules (Allow=, Deny=): %.*s", (int)strcspn(msg, "\n"), msg);
}
