/* The confinement a run state records for nook enter (state/confine.c):
   every field of its table, filled with what spec_init() never gives,
   comes back the same from the state's text; what an earlier nook wrote
   is still read; what this nook cannot apply whole is refused, named.
   The fields are compared here kind by kind, without the code under
   test; tests/check-confine sees that the table has every field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "spec/spec.h"
#include "state/confine.h"
#include "state/runstate.h"

struct ctx {
        struct nook_spec in, out, blank;
        struct run_confine c_in, c_out;
        struct nook_err err;
};

static int setup(void **state)
{
        struct ctx *c = calloc(1, sizeof(*c));

        if (!c)
                return -1;
        spec_init(&c->in);
        spec_init(&c->out);
        spec_init(&c->blank);
        *state = c;
        return 0;
}

static int teardown(void **state)
{
        struct ctx *c = *state;

        spec_free(&c->in);
        spec_free(&c->out);
        spec_free(&c->blank);
        free(c);
        return 0;
}

static void add_rule(struct nook_spec *s, struct net_rule r)
{
        s->net_rules = reallocarray(s->net_rules, s->n_net_rules + 1, sizeof(r));
        assert_non_null(s->net_rules);
        s->net_rules[s->n_net_rules++] = r;
}

/* Every confinement field set to something spec_init() does not give. */
static void fill(struct nook_spec *s, struct run_confine *c)
{
        static const uint64_t limit[SPEC_LIMIT_COUNT] = {
                [SPEC_LIMIT_NOFILE] = 1024, [SPEC_LIMIT_NPROC] = 77, [SPEC_LIMIT_CPU] = UINT64_MAX,
                [SPEC_LIMIT_FSIZE] = UINT64_C(1) << 40, [SPEC_LIMIT_CORE] = 1, [SPEC_LIMIT_STACK] = 8 << 20,
                /* above INT64_MAX, and not infinity */
                [SPEC_LIMIT_AS] = UINT64_MAX - 1,
        };

        s->seccomp = SPEC_SECCOMP_NONE;
        assert_int_equal(strv_push(&s->syscall_deny, &s->n_syscall_deny, "ptrace"), 0);
        assert_int_equal(strv_push(&s->syscall_deny, &s->n_syscall_deny, "bpf"), 0);
        assert_int_equal(strv_push(&s->syscall_allow, &s->n_syscall_allow, "clone3"), 0);
        s->socket_families_set = true;
        s->socket_families = (UINT64_C(1) << 1) | (UINT64_C(1) << 10);
        s->mdwe = true;
        s->caps_set = true;
        s->caps_keep = (UINT64_C(1) << 12) | (UINT64_C(1) << 40) | (UINT64_C(1) << 63);
        for (int i = 0; i < SPEC_LIMIT_COUNT; i++)
                s->limits[i] = (struct spec_limit_value){ .set = true, .value = limit[i] };
        s->uid_set = true;
        s->uid = 1000;
        s->gid_set = true;
        s->gid = 1001;
        s->run_as_set = true;
        s->run_uid = 1002;
        s->run_gid = 4294967294u;
        s->fake_ids = true;
        s->share_net = true;
        add_rule(s, (struct net_rule){ .allow = true, .cidr = "10.0.2.2/32", .port_lo = 80, .port_hi = 443, .proto = 6 });
        add_rule(s, (struct net_rule){ .cidr = "fd00::/64", .v6 = true, .port_lo = 53, .port_hi = 53, .proto = 17 });
        c->image = true;
        c->nest_uid = 1000;
        c->nest_gid = 1001;
}

static bool same(const struct confine_field *f, const void *a, const void *b);

static bool same_rules(const struct net_rule *a, size_t na, const struct net_rule *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                for (size_t k = 0; k < confine_n_rule_fields; k++)
                        if (!same(&confine_rule_fields[k], &a[i], &b[i]))
                                return false;
        return true;
}

/* The field f of a and of b hold the same. */
static bool same(const struct confine_field *f, const void *a, const void *b)
{
        const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
        size_t na = f->count_offset ? *(const size_t *)((const char *)a + f->count_offset) : 0;
        size_t nb = f->count_offset ? *(const size_t *)((const char *)b + f->count_offset) : 0;

        switch (f->kind) {
        case CONFINE_BOOL:
                return *(const bool *)pa == *(const bool *)pb;
        case CONFINE_ID:
                return *(const uid_t *)pa == *(const uid_t *)pb;
        case CONFINE_UINT:
                return *(const unsigned *)pa == *(const unsigned *)pb;
        case CONFINE_INT:
                return *(const int *)pa == *(const int *)pb;
        case CONFINE_U64:
                return *(const uint64_t *)pa == *(const uint64_t *)pb;
        case CONFINE_SECCOMP:
                return *(const enum spec_seccomp *)pa == *(const enum spec_seccomp *)pb;
        case CONFINE_CHARS:
                return strcmp(pa, pb) == 0;
        case CONFINE_STRV:
                if (na != nb)
                        return false;
                for (size_t i = 0; i < na; i++)
                        if (strcmp((*(char **const *)pa)[i], (*(char **const *)pb)[i]) != 0)
                                return false;
                return true;
        case CONFINE_LIMITS:
                for (int i = 0; i < SPEC_LIMIT_COUNT; i++) {
                        const struct spec_limit_value *la = &((const struct spec_limit_value *)pa)[i];
                        const struct spec_limit_value *lb = &((const struct spec_limit_value *)pb)[i];
                        if (la->set != lb->set || (la->set && la->value != lb->value))
                                return false;
                }
                return true;
        case CONFINE_NET_RULES:
                return same_rules(*(struct net_rule *const *)pa, na, *(struct net_rule *const *)pb, nb);
        }
        fail_msg("field %s: a kind this test does not know (%d): compare it here", f->name, (int)f->kind);
        return false;
}

/* {"pid1_start":42,"confine":...} of s and c, parsed back into out and
   c_out. */
static int round_trip(struct ctx *c)
{
        json_t *k = confine_to_json(&c->in, &c->c_in);
        assert_non_null(k);
        json_t *o = json_pack("{s:I,s:o}", "pid1_start", (json_int_t)42, "confine", k);
        assert_non_null(o);
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        assert_non_null(text);
        return runstate_parse_confinement(text, strlen(text), &c->out, &c->c_out, &c->err);
}

static int parse(struct ctx *c, const char *text)
{
        return runstate_parse_confinement(text, strlen(text), &c->out, &c->c_out, &c->err);
}

static void test_every_confinement_field_survives_a_round_trip(void **state)
{
        struct ctx *c = *state;
        struct run_confine blank = { 0 };
        struct net_rule zero = { 0 };

        fill(&c->in, &c->c_in);
        /* the fill covers the table: a field added to it, and not here,
           would otherwise be compared as default against default */
        for (size_t i = 0; i < confine_n_spec_fields; i++)
                if (same(&confine_spec_fields[i], &c->in, &c->blank))
                        fail_msg("fill() leaves %s as spec_init() made it: give it a value here", confine_spec_fields[i].name);
        for (size_t i = 0; i < confine_n_run_fields; i++)
                if (same(&confine_run_fields[i], &c->c_in, &blank))
                        fail_msg("fill() leaves run_confine's %s at 0: give it a value here", confine_run_fields[i].name);
        for (size_t k = 0; k < confine_n_rule_fields; k++) {
                bool set = false;
                for (size_t i = 0; i < c->in.n_net_rules; i++)
                        set |= !same(&confine_rule_fields[k], &c->in.net_rules[i], &zero);
                if (!set)
                        fail_msg("fill() gives no rule a %s: give one a value here", confine_rule_fields[k].name);
        }

        assert_int_equal(round_trip(c), 0);
        for (size_t i = 0; i < confine_n_spec_fields; i++)
                if (!same(&confine_spec_fields[i], &c->in, &c->out))
                        fail_msg("%s is not the same once read back", confine_spec_fields[i].name);
        for (size_t i = 0; i < confine_n_run_fields; i++)
                if (!same(&confine_run_fields[i], &c->c_in, &c->c_out))
                        fail_msg("run_confine's %s is not the same once read back", confine_run_fields[i].name);
        assert_int_equal(c->c_out.pid1_start, 42);
        /* and, spelt out, what the table's kinds could hide */
        assert_int_equal(c->out.limits[SPEC_LIMIT_AS].value, UINT64_MAX - 1);
        assert_int_equal(c->out.limits[SPEC_LIMIT_CPU].value, UINT64_MAX);
        assert_int_equal(c->out.caps_keep, c->in.caps_keep);
        assert_string_equal(c->out.net_rules[1].cidr, "fd00::/64");
        assert_null(c->out.syscall_deny[2]);
}

static void test_each_limit_is_kept_under_its_own_name(void **state)
{
        struct ctx *c = *state;

        for (int i = 0; i < SPEC_LIMIT_COUNT; i++) {
                const char *name = confine_limit_name((enum spec_limit)i);
                if (!name)
                        fail_msg("limit %d has no name in state/confine.c", i);
                for (int k = 0; k < i; k++)
                        assert_string_not_equal(name, confine_limit_name((enum spec_limit)k));
                spec_free(&c->in);
                spec_free(&c->out);
                spec_init(&c->in);
                spec_init(&c->out);
                c->in.limits[i] = (struct spec_limit_value){ .set = true, .value = 100 + (uint64_t)i };
                json_t *k = confine_to_json(&c->in, &c->c_in);
                assert_non_null(json_object_get(json_object_get(k, "limits"), name));
                json_decref(k);
                assert_int_equal(round_trip(c), 0);
                for (int j = 0; j < SPEC_LIMIT_COUNT; j++)
                        assert_int_equal(c->out.limits[j].set, j == i);
                assert_int_equal(c->out.limits[i].value, 100 + (uint64_t)i);
        }
}

/* As nook 0.x wrote it before the table: limits by position (nofile,
   nproc, cpu, fsize, core, stack, as), seccomp as true or false. */
static void test_a_state_an_earlier_nook_wrote_is_read(void **state)
{
        struct ctx *c = *state;
        const char *old =
                "{\"nook_pid\":10,\"pid1_start\":7,\"confine\":{\"image\":true,\"seccomp\":false,"
                "\"syscall_deny\":[\"ptrace\"],\"syscall_allow\":[],\"caps_set\":true,\"caps_keep\":4096,"
                "\"limits\":[null,100,null,null,0,null,-1],\"uid_set\":false,\"uid\":0,\"gid_set\":false,\"gid\":0,"
                "\"run_as_set\":true,\"run_uid\":1000,\"run_gid\":1000,\"share_net\":true,"
                "\"net_rules\":[{\"allow\":true,\"cidr\":\"127.0.0.1/32\",\"v6\":false,\"port_lo\":8080,"
                "\"port_hi\":8080,\"proto\":6}],\"nest_uid\":1000,\"nest_gid\":1000}}";

        assert_int_equal(parse(c, old), 0);
        assert_int_equal(c->out.seccomp, SPEC_SECCOMP_NONE);
        assert_string_equal(c->out.syscall_deny[0], "ptrace");
        assert_int_equal(c->out.caps_keep, 4096);
        assert_false(c->out.limits[SPEC_LIMIT_NOFILE].set);
        assert_true(c->out.limits[SPEC_LIMIT_NPROC].set);
        assert_int_equal(c->out.limits[SPEC_LIMIT_NPROC].value, 100);
        assert_true(c->out.limits[SPEC_LIMIT_CORE].set);
        assert_int_equal(c->out.limits[SPEC_LIMIT_CORE].value, 0);
        assert_int_equal(c->out.limits[SPEC_LIMIT_AS].value, UINT64_MAX);
        assert_int_equal(c->out.run_uid, 1000);
        assert_int_equal(c->out.n_net_rules, 1);
        assert_int_equal(c->out.net_rules[0].port_lo, 8080);
        assert_true(c->c_out.image);
        assert_int_equal(c->c_out.nest_uid, 1000);
        assert_int_equal(c->c_out.pid1_start, 7);
}

static void test_a_key_this_nook_does_not_know_is_refused_by_name(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(parse(c, "{\"confine\":{\"seccomp\":\"default\",\"landlock_fs\":[\"/home\"]}}"), -EPROTO);
        assert_non_null(strstr(c->err.msg, "'landlock_fs'"));
        assert_int_equal(parse(c, "{\"confine\":{\"net_rules\":[{\"cidr\":\"::/0\",\"uid\":5}]}}"), -EPROTO);
        assert_non_null(strstr(c->err.msg, "'uid'"));
        assert_int_equal(parse(c, "{\"confine\":{\"limits\":{\"memlock\":5}}}"), -EPROTO);
        assert_non_null(strstr(c->err.msg, "'memlock'"));
        assert_int_equal(parse(c, "{\"confine\":{\"seccomp\":\"strict\"}}"), -EPROTO);
        assert_non_null(strstr(c->err.msg, "'seccomp'"));
}

static void test_a_value_nook_does_not_write_is_refused(void **state)
{
        struct ctx *c = *state;
        static const char *const bad[] = {
                "{\"confine\":{\"uid\":\"root\"}}",
                "{\"confine\":{\"uid\":-1}}",
                "{\"confine\":{\"caps_set\":1}}",
                "{\"confine\":{\"caps_keep\":-5}}",
                "{\"confine\":{\"caps_keep\":\"12\"}}",
                "{\"confine\":{\"syscall_deny\":[\"ptrace\",3]}}",
                "{\"confine\":{\"limits\":{\"nofile\":-2}}}",
                "{\"confine\":{\"limits\":{\"nofile\":\"18446744073709551615\"}}}",
                "{\"confine\":{\"limits\":[1,2,3,4,5,6,7,8]}}",
                /* cut, it would be another network */
                "{\"confine\":{\"net_rules\":[{\"cidr\":\"0000000000000000000000000000000000000000000000000000000000000000/0\"}]}}",
                "{\"confine\":{\"net_rules\":[{\"port_lo\":4294967296}]}}",
                "{\"confine\":[]}",
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                spec_free(&c->out);
                spec_init(&c->out);
                if (parse(c, bad[i]) != -EPROTO)
                        fail_msg("%s was read", bad[i]);
        }
}

/* nook enter lists the sandboxes, then reads the one it enters: its run
   directory may go in between, as its command ends. */
static void test_a_state_gone_since_the_listing_says_the_sandbox_has_ended(void **state)
{
        struct run_state st = { .dir = (char *)"/tmp/nook-test-no-such-run-dir", .nook_pid = 4242 };
        struct nook_spec spec = { 0 };
        struct run_confine c = { 0 };
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(runstate_confinement(&st, &spec, &c, &e), -ESRCH);
        assert_string_equal(e.msg, "sandbox 4242 has ended");
}

static void test_a_state_without_confinement_or_not_json_is_told_apart(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(parse(c, "{\"nook_pid\":10}"), -EIO);
        assert_int_equal(parse(c, "{\"confine\""), -EINVAL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_every_confinement_field_survives_a_round_trip),
                T(test_each_limit_is_kept_under_its_own_name),
                T(test_a_state_an_earlier_nook_wrote_is_read),
                T(test_a_key_this_nook_does_not_know_is_refused_by_name),
                T(test_a_value_nook_does_not_write_is_refused),
                T(test_a_state_gone_since_the_listing_says_the_sandbox_has_ended),
                T(test_a_state_without_confinement_or_not_json_is_told_apart),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
