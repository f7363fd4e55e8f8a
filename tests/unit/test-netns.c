/* The pure parts of networking: rules, resolv.conf and hosts, and the
   parsing of their keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netns/egress.h"
#include "netns/resolv.h"
#include "netns/slirp.h"
#include "spec/spec.h"

/* The network layer's view of a spec, as launch and cmd-run hand it over. */
static struct net_config net_view;
static const struct net_config *net_of(const struct nook_spec *s)
{
        net_view = spec_net_config(s);
        return &net_view;
}

static int setup(void **state)
{
        struct nook_spec *s = calloc(1, sizeof(*s));
        spec_init(s);
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        spec_free(*state);
        free(*state);
        return 0;
}

static void test_no_rules_and_host_loopback_give_no_ruleset(void **state)
{
        struct nook_spec *s = *state;
        s->slirp = true;
        s->host_loopback = true;
        assert_null(egress_ruleset(net_of(s)));
}

static void test_the_gateway_is_refused_unless_host_loopback(void **state)
{
        struct nook_spec *s = *state;
        s->slirp = true;
        char *r = egress_ruleset(net_of(s));
        assert_non_null(r);
        assert_non_null(strstr(r, "ip daddr 10.0.2.2 reject"));
        assert_non_null(strstr(r, "ip6 daddr fd00::2 reject"));
        assert_non_null(strstr(r, "policy accept"));
        free(r);
}

static void test_an_allow_rule_drops_everything_else(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        s->slirp = true;
        s->host_loopback = true;
        assert_int_equal(spec_add_net_rule(s, true, "10.0.2.2:5432/tcp", &e), 0);
        char *r = egress_ruleset(net_of(s));
        assert_non_null(strstr(r, "policy drop"));
        assert_non_null(strstr(r, "ip daddr 10.0.2.2/32 tcp dport 5432 accept"));
        assert_null(strstr(r, "reject"));
        free(r);
}

static void test_deny_rules_come_before_allow_rules(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        s->slirp = true;
        s->host_loopback = true;
        assert_int_equal(spec_add_net_rule(s, true, "0.0.0.0/0", &e), 0);
        assert_int_equal(spec_add_net_rule(s, false, "192.0.2.0/24:1000-2000", &e), 0);
        char *r = egress_ruleset(net_of(s));
        char *deny = strstr(r, "192.0.2.0/24 meta l4proto { tcp, udp } th dport 1000-2000 drop");
        char *allow = strstr(r, "0.0.0.0/0 accept");
        assert_non_null(deny);
        assert_non_null(allow);
        assert_true(deny < allow);
        free(r);
}

static void test_bad_rules_are_refused_naming_them(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        const char *bad[] = { "10.0.2.2:0", "300.1.1.1", "10.0.2.0/40", "10.0.2.2:9-3", "host.example:80", "[fd00::1" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&e, 0, sizeof(e));
                assert_true(spec_add_net_rule(s, true, bad[i], &e) < 0);
                assert_non_null(strstr(e.msg, bad[i]));
        }
}

static void test_ipv6_rules_use_ip6(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        s->slirp = true;
        s->host_loopback = true;
        assert_int_equal(spec_add_net_rule(s, false, "[fd00::2]:53/udp", &e), 0);
        char *r = egress_ruleset(net_of(s));
        assert_non_null(strstr(r, "ip6 daddr fd00::2/128 udp dport 53 drop"));
        free(r);
}

static void test_published_ports_parse_and_default_to_loopback(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        assert_int_equal(spec_add_port(s, "8080:80", &e), 0);
        assert_int_equal(spec_add_port(s, "0.0.0.0:5353:53/udp", &e), 0);
        assert_string_equal(s->ports[0].host_ip, "127.0.0.1");
        assert_int_equal(s->ports[0].host_port, 8080);
        assert_int_equal(s->ports[0].guest_port, 80);
        assert_false(s->ports[0].udp);
        assert_string_equal(s->ports[1].host_ip, "0.0.0.0");
        assert_true(s->ports[1].udp);
        const char *bad[] = { "99999:80", "abc", "1:2:3:4", "80", "8080:80/sctp", "host:8080:80" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&e, 0, sizeof(e));
                assert_true(spec_add_port(s, bad[i], &e) < 0);
                assert_non_null(strstr(e.msg, bad[i]));
        }
}

/* slirp4netns's list_hostfwd: both reply shapes, and a port missing from
   either is an error naming it. */
static void test_hostfwd_list_is_read_in_both_shapes(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        assert_int_equal(spec_add_port(s, "8080:80", &e), 0);
        assert_int_equal(spec_add_port(s, "0.0.0.0:5353:53/udp", &e), 0);
        const char *entries = "[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":8080,"
                              "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80},"
                              "{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":5353,"
                              "\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}]";
        char text[1024];
        snprintf(text, sizeof(text), "{\"return\":{\"entries\":%s}}", entries);
        assert_int_equal(slirp_check_listed(text, s->ports, s->n_ports, &e), 0);
        snprintf(text, sizeof(text), "{\"entries\":%s}", entries);
        assert_int_equal(slirp_check_listed(text, s->ports, s->n_ports, &e), 0);
        /* the UDP one missing, or listed as TCP */
        assert_true(slirp_check_listed("{\"entries\":[{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\","
                                       "\"host_port\":8080,\"guest_port\":80},{\"proto\":\"tcp\",\"host_addr\":"
                                       "\"0.0.0.0\",\"host_port\":5353,\"guest_port\":53}]}",
                                       s->ports, s->n_ports, &e) < 0);
        assert_non_null(strstr(e.msg, "0.0.0.0:5353:53/udp"));
        memset(&e, 0, sizeof(e));
        assert_true(slirp_check_listed("{\"return\":{}}", s->ports, s->n_ports, &e) < 0);
        assert_non_null(strstr(e.msg, "makes no sense"));
        memset(&e, 0, sizeof(e));
        assert_true(slirp_check_listed("not json", s->ports, s->n_ports, &e) < 0);
        /* nothing asked, an empty list is fine */
        assert_int_equal(slirp_check_listed("{\"entries\":[]}", NULL, 0, &e), 0);
}

static void test_resolv_conf_starts_with_slirp_dns_then_host_servers(void **state)
{
        struct nook_spec *s = *state;
        char *r = resolv_conf_make(net_of(s), "search lan\nnameserver 192.0.2.1\nnameserver 127.0.0.1\n", NULL);
        char *slirp = strstr(r, "nameserver 10.0.2.3\n");
        char *host = strstr(r, "nameserver 192.0.2.1\n");
        assert_non_null(slirp);
        assert_non_null(host);
        assert_true(slirp < host);
        assert_null(strstr(r, "127.0.0.1"));
        free(r);
}

static void test_resolv_conf_reads_resolved_upstream_behind_the_stub(void **state)
{
        struct nook_spec *s = *state;
        char *r = resolv_conf_make(net_of(s), "nameserver 127.0.0.53\noptions edns0\n",
                                   "nameserver 198.51.100.7\nnameserver 2001:db8::1\n");
        assert_non_null(strstr(r, "nameserver 10.0.2.3\n"));
        assert_non_null(strstr(r, "nameserver 198.51.100.7\n"));
        assert_non_null(strstr(r, "nameserver 2001:db8::1\n"));
        assert_null(strstr(r, "127.0.0.53"));
        free(r);
}

/* A long line (blanks before "nameserver") is read whole: cut at 511
   bytes, as it once was, it named 198.51.100.7 instead of .71. */
static void test_resolv_conf_reads_a_long_line_whole(void **state)
{
        struct nook_spec *s = *state;
        char host[1024];
        memset(host, ' ', 488);
        strcpy(host + 488, "nameserver 198.51.100.71\n");
        char *r = resolv_conf_make(net_of(s), host, NULL);
        assert_non_null(strstr(r, "nameserver 198.51.100.71\n"));
        assert_null(strstr(r, "nameserver 198.51.100.7\n"));
        free(r);
}

static void test_dns_replaces_every_server(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        assert_int_equal(spec_add_dns(s, "192.0.2.53", &e), 0);
        assert_true(spec_add_dns(s, "not-an-ip", &e) < 0);
        char *r = resolv_conf_make(net_of(s), "nameserver 192.0.2.1\n", NULL);
        assert_non_null(strstr(r, "nameserver 192.0.2.53\n"));
        assert_null(strstr(r, "10.0.2.3"));
        assert_null(strstr(r, "192.0.2.1\n"));
        free(r);
}

static void test_hosts_names_the_hostname(void **state)
{
        (void)state;
        char *h = hosts_make("box");
        assert_non_null(strstr(h, "127.0.1.1\tbox\n"));
        assert_non_null(strstr(h, "127.0.0.1\tlocalhost\n"));
        free(h);
}

static void test_egress_allows_follows_the_ruleset_order(void **state)
{
        struct nook_err e = { 0 };
        struct nook_spec *s = *state;
        s->slirp = true;
        assert_false(egress_allows(net_of(s), "10.0.2.2", 80));         /* the gateway guard */
        assert_true(egress_allows(net_of(s), "192.0.2.1", 80));         /* no Allow=: policy accept */
        assert_true(egress_allows(net_of(s), "127.0.0.1", 9));          /* the sandbox's own */
        assert_int_equal(spec_add_net_rule(s, true, "192.0.2.0/24:443", &e), 0);
        assert_int_equal(spec_add_net_rule(s, false, "192.0.2.7", &e), 0);
        assert_int_equal(spec_add_net_rule(s, true, "[2001:db8::/32]:8000-8010", &e), 0);
        assert_true(egress_allows(net_of(s), "192.0.2.1", 443));
        assert_false(egress_allows(net_of(s), "192.0.2.1", 80));        /* policy drop */
        assert_false(egress_allows(net_of(s), "192.0.3.1", 443));
        assert_false(egress_allows(net_of(s), "192.0.2.7", 443));       /* Deny= wins */
        assert_true(egress_allows(net_of(s), "2001:db8::5", 8005));
        assert_false(egress_allows(net_of(s), "2001:db8::5", 8011));
        assert_false(egress_allows(net_of(s), "not an address", 443));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_no_rules_and_host_loopback_give_no_ruleset),
                T(test_the_gateway_is_refused_unless_host_loopback),
                T(test_an_allow_rule_drops_everything_else),
                T(test_deny_rules_come_before_allow_rules),
                T(test_bad_rules_are_refused_naming_them),
                T(test_ipv6_rules_use_ip6),
                T(test_egress_allows_follows_the_ruleset_order),
                T(test_published_ports_parse_and_default_to_loopback),
                T(test_hostfwd_list_is_read_in_both_shapes),
                T(test_resolv_conf_starts_with_slirp_dns_then_host_servers),
                T(test_resolv_conf_reads_resolved_upstream_behind_the_stub),
                T(test_resolv_conf_reads_a_long_line_whole),
                T(test_dns_replaces_every_server),
                T(test_hosts_names_the_hostname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
