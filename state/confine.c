#include "state/confine.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

/* ---- the tables --------------------------------------------------------- */

#define MEMBER(S, f) (((S *)0)->f)
/* 0, or a compile error when S's field f is not of type T: a table entry
   whose kind does not fit its field cannot be built */
#define IS_A(S, f, T) (0 * sizeof(char[__builtin_types_compatible_p(__typeof__(MEMBER(S, f)), T) ? 1 : -1]))
#define FIELD(S, f, kind, T) { #f, kind, offsetof(S, f) + IS_A(S, f, T), sizeof(MEMBER(S, f)), 0 }
/* an array with its count, n_f beside it */
#define ARRAY(S, f, kind, T) \
        { #f, kind, offsetof(S, f) + IS_A(S, f, T), sizeof(MEMBER(S, f)), offsetof(S, n_##f) + IS_A(S, n_##f, size_t) }

#define SPEC(f, kind, T) FIELD(struct nook_spec, f, kind, T)
#define SPEC_ARRAY(f, kind, T) ARRAY(struct nook_spec, f, kind, T)

/* What confines the command after every profile and option: nook enter
   confines what it runs with exactly this, and reads no profile again (a
   sandbox may have written one since). exec_command() applies it. */
const struct confine_field confine_spec_fields[] = {
        SPEC(seccomp, CONFINE_SECCOMP, enum spec_seccomp),
        SPEC_ARRAY(syscall_deny, CONFINE_STRV, char **),
        SPEC_ARRAY(syscall_allow, CONFINE_STRV, char **),
        /* SocketFamilies=, MemoryDenyWriteExecute=: more of the filter */
        SPEC(socket_families_set, CONFINE_BOOL, bool),
        SPEC(socket_families, CONFINE_U64, uint64_t),
        SPEC(mdwe, CONFINE_BOOL, bool),
        SPEC(caps_set, CONFINE_BOOL, bool),
        SPEC(caps_keep, CONFINE_U64, uint64_t),
        SPEC(limits, CONFINE_LIMITS, struct spec_limit_value[SPEC_LIMIT_COUNT]),
        SPEC(uid_set, CONFINE_BOOL, bool),
        SPEC(uid, CONFINE_ID, uid_t),
        SPEC(gid_set, CONFINE_BOOL, bool),
        SPEC(gid, CONFINE_ID, gid_t),
        SPEC(run_as_set, CONFINE_BOOL, bool),
        SPEC(run_uid, CONFINE_ID, uid_t),
        SPEC(run_gid, CONFINE_ID, gid_t),
        /* FakeIds=, as it was resolved: chown and id changes in name only */
        SPEC(fake_ids, CONFINE_BOOL, bool),
        /* with net_rules: Landlock's network rules (Mode=host with Allow=) */
        SPEC(share_net, CONFINE_BOOL, bool),
        SPEC_ARRAY(net_rules, CONFINE_NET_RULES, struct net_rule *),
};
const size_t confine_n_spec_fields = ARRAY_SIZE(confine_spec_fields);

#define RULE(f, kind, T) FIELD(struct net_rule, f, kind, T)
const struct confine_field confine_rule_fields[] = {
        RULE(allow, CONFINE_BOOL, bool),
        RULE(cidr, CONFINE_CHARS, char[sizeof(MEMBER(struct net_rule, cidr))]),
        RULE(v6, CONFINE_BOOL, bool),
        RULE(port_lo, CONFINE_UINT, unsigned),
        RULE(port_hi, CONFINE_UINT, unsigned),
        RULE(proto, CONFINE_INT, int),
};
const size_t confine_n_rule_fields = ARRAY_SIZE(confine_rule_fields);

const struct confine_field confine_run_fields[] = {
        FIELD(struct run_confine, image, CONFINE_BOOL, bool),
        FIELD(struct run_confine, nest_uid, CONFINE_ID, uid_t),
        FIELD(struct run_confine, nest_gid, CONFINE_ID, gid_t),
};
const size_t confine_n_run_fields = ARRAY_SIZE(confine_run_fields);

/* A name, and a compile error when struct nook_spec has no such field. */
#define NOT(f) (&(#f)[0 * sizeof(MEMBER(struct nook_spec, f))])

/* The rest of the spec: what it shapes has been done, once, before the
   command started (its mounts, namespaces, network, helpers), or it is of
   nook run alone; an entered command takes the command's environment
   from /proc. */
const char *const confine_not_spec_fields[] = {
        /* the command and its environment */
        NOT(argv), NOT(command), NOT(env), NOT(n_env), NOT(clearenv), NOT(env_dropped), NOT(n_env_dropped),
        NOT(image_entrypoint), NOT(image_env), NOT(n_image_env), NOT(chdir), NOT(no_cwd), NOT(cwd_set),
        NOT(keep_fds), NOT(n_keep_fds), NOT(verbose), NOT(detach), NOT(tty),
        /* --audit observes nook run's command only: it loosens nothing */
        NOT(audit),
        /* the root: mounts, made once */
        NOT(binds), NOT(n_binds), NOT(tmpfs), NOT(n_tmpfs), NOT(hide), NOT(n_hide), NOT(home), NOT(home_set),
        NOT(home_source), NOT(devices), NOT(n_devices), NOT(devices_try), NOT(n_devices_try), NOT(protect),
        NOT(n_protect), NOT(nook_files), NOT(n_nook_files), NOT(runtime_dir), NOT(private_etc), NOT(n_private_etc),
        NOT(private_bin), NOT(n_private_bin), NOT(machine_id_random),
        /* namespaces and the network, joined as they are */
        NOT(hostname), NOT(slirp), NOT(pasta), NOT(host_loopback), NOT(ipv6), NOT(ports), NOT(n_ports),
        NOT(dns), NOT(n_dns), NOT(resolv_conf), NOT(egress), NOT(map_mode),
        /* images: whether the command is an image's is run_confine's image */
        NOT(image), NOT(store), NOT(shared_stores), NOT(n_shared_stores), NOT(image_lock), NOT(persist), NOT(read_only), NOT(persist_dir),
        NOT(persist_lock), NOT(overlay),
        NOT(layers), NOT(n_layers), NOT(squashfs), NOT(image_passwd), NOT(image_group), NOT(image_has_apt), NOT(single_id),
        NOT(user), NOT(fake_ids_want),
        /* names, and the desktop's sockets and proxies (bound, or not) */
        NOT(name), NOT(profile_name), NOT(description), NOT(desktop_name), NOT(icon), NOT(display),
        NOT(audio), NOT(dbus), NOT(talk), NOT(n_talk), NOT(own), NOT(n_own), NOT(gpu), NOT(dbus_socket),
        NOT(dbus_log),
};
const size_t confine_n_not_spec_fields = ARRAY_SIZE(confine_not_spec_fields);

static const char *const seccomp_names[] = {
        [SPEC_SECCOMP_DEFAULT] = "default",
        [SPEC_SECCOMP_NONE] = "none",
};

/* By name: an enum's order may change, a state file's names do not. */
static const char *const limit_names[SPEC_LIMIT_COUNT] = {
        [SPEC_LIMIT_NOFILE] = "nofile", [SPEC_LIMIT_NPROC] = "nproc", [SPEC_LIMIT_CPU] = "cpu",
        [SPEC_LIMIT_FSIZE] = "fsize", [SPEC_LIMIT_CORE] = "core", [SPEC_LIMIT_STACK] = "stack",
        [SPEC_LIMIT_AS] = "as",
};
/* Earlier nooks wrote the limits as an array in this order (never to
   change: it is theirs). */
static const char *const limit_names_v1[] = { "nofile", "nproc", "cpu", "fsize", "core", "stack", "as" };

const char *confine_limit_name(enum spec_limit l)
{
        return (unsigned)l < SPEC_LIMIT_COUNT ? limit_names[l] : NULL;
}

static int limit_by_name(const char *name)
{
        for (int i = 0; name && i < SPEC_LIMIT_COUNT; i++)
                if (limit_names[i] && strcmp(limit_names[i], name) == 0)
                        return i;
        return -1;
}

/* ---- writing -------------------------------------------------------------- */

/* A uint64_t: a JSON integer up to INT64_MAX, decimal text above. */
static json_t *u64_json(uint64_t v)
{
        char text[24];

        if (v <= INT64_MAX)
                return json_integer((json_int_t)v);
        return STR_FMT(text, "%" PRIu64, v) == 0 ? json_string(text) : NULL;
}

static json_t *limits_json(const struct spec_limit_value *l)
{
        json_t *o = json_object();

        for (int i = 0; o && i < SPEC_LIMIT_COUNT; i++) {
                if (!l[i].set)
                        continue;
                json_t *v = l[i].value == UINT64_MAX ? json_string("infinity") : u64_json(l[i].value);
                if (!limit_names[i] || json_object_set_new(o, limit_names[i], v) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

static json_t *fields_json(const struct confine_field *t, size_t n, const void *base, json_t *into);

static json_t *field_json(const struct confine_field *f, const void *base)
{
        const char *p = (const char *)base + f->offset;
        size_t count = f->count_offset ? *(const size_t *)((const char *)base + f->count_offset) : 0;
        json_t *a;

        switch (f->kind) {
        case CONFINE_BOOL:
                return json_boolean(*(const bool *)p);
        case CONFINE_ID:
                return json_integer(*(const uid_t *)p);
        case CONFINE_UINT:
                return json_integer(*(const unsigned *)p);
        case CONFINE_INT:
                return json_integer(*(const int *)p);
        case CONFINE_U64:
                return u64_json(*(const uint64_t *)p);
        case CONFINE_CHARS:
                return memchr(p, '\0', f->size) ? json_string(p) : NULL;
        case CONFINE_SECCOMP: {
                unsigned m = *(const enum spec_seccomp *)p;
                return m < ARRAY_SIZE(seccomp_names) && seccomp_names[m] ? json_string(seccomp_names[m]) : NULL;
        }
        case CONFINE_STRV:
                a = json_array();
                for (size_t i = 0; a && i < count; i++)
                        if (json_array_append_new(a, json_string((*(char **const *)p)[i])) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                return a;
        case CONFINE_LIMITS:
                return limits_json((const struct spec_limit_value *)p);
        case CONFINE_NET_RULES:
                a = json_array();
                for (size_t i = 0; a && i < count; i++) {
                        const struct net_rule *r = &(*(struct net_rule *const *)p)[i];
                        if (json_array_append_new(a, fields_json(confine_rule_fields, confine_n_rule_fields, r, NULL)) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                }
                return a;
        }
        return NULL;
}

/* The fields of t in base, added to into (a new object when NULL); NULL
   when out of memory: a field is never left out. */
static json_t *fields_json(const struct confine_field *t, size_t n, const void *base, json_t *into)
{
        json_t *o = into ? into : json_object();

        for (size_t i = 0; o && i < n; i++)
                if (json_object_set_new(o, t[i].name, field_json(&t[i], base)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

json_t *confine_to_json(const struct nook_spec *s, const struct run_confine *c)
{
        json_t *o = fields_json(confine_spec_fields, confine_n_spec_fields, s, NULL);

        return o ? fields_json(confine_run_fields, confine_n_run_fields, c, o) : NULL;
}

/* ---- reading ---------------------------------------------------------------- */

static int bad_value(const char *key, struct nook_err *e)
{
        return nook_errf(e, EPROTO, "its state holds a '%s' that nook does not write (was the file edited?)",
                         nook_val(key));
}

static bool int_in(json_t *v, json_int_t lo, json_int_t hi, json_int_t *out)
{
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return false;
        *out = json_integer_value(v);
        return true;
}

static bool u64_of(json_t *v, uint64_t *out)
{
        json_int_t i;

        if (int_in(v, 0, INT64_MAX, &i)) {
                *out = (uint64_t)i;
                return true;
        }
        /* above INT64_MAX: decimal text, all of it a number */
        const char *t = json_string_value(v);
        return t && parse_u64(t, UINT64_MAX, out) == 0 && *out > INT64_MAX;
}

static int limit_of(const char *key, json_t *v, struct spec_limit_value *l, struct nook_err *e)
{
        json_int_t i;

        if (json_is_null(v))
                return 0;
        l->set = true;
        /* infinity; -1 from earlier nooks */
        if ((json_is_string(v) && strcmp(json_string_value(v), "infinity") == 0) || (int_in(v, -1, -1, &i)))
                l->value = UINT64_MAX;
        else if (!u64_of(v, &l->value) || l->value == UINT64_MAX)
                return bad_value(key, e);
        return 0;
}

static int limits_of(const char *key, json_t *v, struct spec_limit_value *l, struct nook_err *e)
{
        const char *name;
        json_t *it;
        size_t i;
        int r = 0;

        if (json_is_array(v)) {
                /* an earlier nook's: by position */
                if (json_array_size(v) > ARRAY_SIZE(limit_names_v1))
                        return bad_value(key, e);
                json_array_foreach(v, i, it) {
                        int which = limit_by_name(limit_names_v1[i]);
                        if (r == 0)
                                r = which < 0 ? bad_value(key, e) : limit_of(key, it, &l[which], e);
                }
                return r;
        }
        if (!json_is_object(v))
                return bad_value(key, e);
        json_object_foreach(v, name, it) {
                int which = limit_by_name(name);
                if (which < 0)
                        return nook_errf(e, EPROTO, "its state records a limit '%s' that this nook does not know (was the sandbox started by a newer nook? enter it with that one)",
                                         nook_val(name));
                r = limit_of(name, it, &l[which], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int fields_of(const struct confine_field *t, size_t n, json_t *o, void *base, struct nook_err *e);

static int rules_of(const struct confine_field *f, json_t *v, char *base, struct nook_err *e)
{
        struct net_rule **rules = (struct net_rule **)(base + f->offset);
        size_t *count = (size_t *)(base + f->count_offset);
        json_t *it;
        size_t i;

        if (!json_is_array(v))
                return bad_value(f->name, e);
        json_array_foreach(v, i, it) {
                struct net_rule *nv = reallocarray(*rules, *count + 1, sizeof(**rules));
                if (!nv)
                        return nook_errf(e, ENOMEM, "out of memory");
                *rules = nv;
                memset(&nv[*count], 0, sizeof(*nv));
                int r = fields_of(confine_rule_fields, confine_n_rule_fields, it, &nv[(*count)++], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int strv_of(const struct confine_field *f, json_t *v, char *base, struct nook_err *e)
{
        json_t *it;
        size_t i;

        if (!json_is_array(v))
                return bad_value(f->name, e);
        json_array_foreach(v, i, it) {
                if (!json_is_string(it))
                        return bad_value(f->name, e);
                if (strv_push((char ***)(base + f->offset), (size_t *)(base + f->count_offset), json_string_value(it)) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        return 0;
}

static int seccomp_of(const struct confine_field *f, json_t *v, enum spec_seccomp *m, struct nook_err *e)
{
        /* earlier nooks: true for the default filter, false for none */
        if (json_is_boolean(v)) {
                *m = json_is_true(v) ? SPEC_SECCOMP_DEFAULT : SPEC_SECCOMP_NONE;
                return 0;
        }
        for (size_t i = 0; json_is_string(v) && i < ARRAY_SIZE(seccomp_names); i++)
                if (seccomp_names[i] && strcmp(seccomp_names[i], json_string_value(v)) == 0) {
                        *m = (enum spec_seccomp)i;
                        return 0;
                }
        return bad_value(f->name, e);
}

static int field_of(const struct confine_field *f, json_t *v, void *base, struct nook_err *e)
{
        char *p = (char *)base + f->offset;
        json_int_t i;

        switch (f->kind) {
        case CONFINE_BOOL:
                if (!json_is_boolean(v))
                        return bad_value(f->name, e);
                *(bool *)p = json_is_true(v);
                return 0;
        case CONFINE_ID:
                if (!int_in(v, 0, UINT32_MAX, &i))
                        return bad_value(f->name, e);
                *(uid_t *)p = (uid_t)i;
                return 0;
        case CONFINE_UINT:
                if (!int_in(v, 0, UINT_MAX, &i))
                        return bad_value(f->name, e);
                *(unsigned *)p = (unsigned)i;
                return 0;
        case CONFINE_INT:
                if (!int_in(v, INT_MIN, INT_MAX, &i))
                        return bad_value(f->name, e);
                *(int *)p = (int)i;
                return 0;
        case CONFINE_U64:
                return u64_of(v, (uint64_t *)p) ? 0 : bad_value(f->name, e);
        case CONFINE_CHARS:
                /* never cut: a shorter CIDR is another network */
                if (!json_is_string(v) || strlen(json_string_value(v)) >= f->size)
                        return bad_value(f->name, e);
                memcpy(p, json_string_value(v), strlen(json_string_value(v)) + 1);
                return 0;
        case CONFINE_SECCOMP:
                return seccomp_of(f, v, (enum spec_seccomp *)p, e);
        case CONFINE_STRV:
                return strv_of(f, v, base, e);
        case CONFINE_LIMITS:
                return limits_of(f->name, v, (struct spec_limit_value *)p, e);
        case CONFINE_NET_RULES:
                return rules_of(f, v, base, e);
        }
        return bad_value(f->name, e);
}

static const struct confine_field *field_named(const struct confine_field *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(t[i].name, name) == 0)
                        return &t[i];
        return NULL;
}

static int unknown(const char *key, struct nook_err *e)
{
        return nook_errf(e, EPROTO, "its state records '%s', which this nook does not know (was the sandbox started by a newer nook? enter it with that one)",
                         nook_val(key));
}

/* Every key of o is a field of t: one that is not may be a confinement
   this nook cannot apply. */
static int fields_of(const struct confine_field *t, size_t n, json_t *o, void *base, struct nook_err *e)
{
        const char *key;
        json_t *v;

        if (!json_is_object(o))
                return nook_errf(e, EPROTO, "its state's confinement is not what nook writes (was the file edited?)");
        json_object_foreach(o, key, v) {
                const struct confine_field *f = field_named(t, n, key);
                int r = f ? field_of(f, v, base, e) : unknown(key, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int confine_from_json(json_t *k, struct nook_spec *s, struct run_confine *c, struct nook_err *e)
{
        const char *key;
        json_t *v;

        if (!json_is_object(k))
                return nook_errf(e, EPROTO, "its state's confinement is not what nook writes (was the file edited?)");
        json_object_foreach(k, key, v) {
                const struct confine_field *f = field_named(confine_spec_fields, confine_n_spec_fields, key);
                void *base = s;
                if (!f) {
                        f = field_named(confine_run_fields, confine_n_run_fields, key);
                        base = c;
                }
                int r = f ? field_of(f, v, base, e) : unknown(key, e);
                if (r < 0)
                        return r;
        }
        return 0;
}
