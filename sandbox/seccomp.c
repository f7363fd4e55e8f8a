#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"

/* s390 swapped clone's first two arguments: the flags come second there. */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

enum deny_how {
        DENY_ALWAYS,            /* every call */
        DENY_CLONE_NS,          /* clone() asking for any new namespace */
        DENY_TTY_IOCTL,         /* ioctl() requests that act on the terminal for others */
        DENY_PERSONALITY,       /* personality() other than PER_LINUX and the query */
};

struct deny_entry {
        const char *name;
        int err;
        enum deny_how how;
};

/* Everything not listed is allowed: this filter removes kernel attack
   surface and ways out of the namespaces that launch set up; what the
   command may see is the job of the mounts, Landlock and capabilities. */
static const struct deny_entry deny_table[] = {
        /* The keyring is not namespaced: keys would be shared with the host. */
        { "add_key", EPERM, DENY_ALWAYS },
        { "keyctl", EPERM, DENY_ALWAYS },
        { "request_key", EPERM, DENY_ALWAYS },
        /* New namespaces would let the command undo Hide= and read-only
           binds, and user namespaces expose code paths meant for root. */
        { "unshare", EPERM, DENY_ALWAYS },
        { "setns", EPERM, DENY_ALWAYS },
        { "clone", EPERM, DENY_CLONE_NS },
        /* clone3 keeps its flags in memory, where seccomp cannot look; glibc
           falls back to clone, which we can check, only on ENOSYS. */
        { "clone3", ENOSYS, DENY_ALWAYS },
        { "mount", EPERM, DENY_ALWAYS },
        { "umount", EPERM, DENY_ALWAYS },       /* only on some 32-bit arches */
        { "umount2", EPERM, DENY_ALWAYS },
        { "pivot_root", EPERM, DENY_ALWAYS },
        { "chroot", EPERM, DENY_ALWAYS },
        { "open_tree", EPERM, DENY_ALWAYS },
        { "move_mount", EPERM, DENY_ALWAYS },
        { "fsopen", EPERM, DENY_ALWAYS },
        { "fsconfig", EPERM, DENY_ALWAYS },
        { "fsmount", EPERM, DENY_ALWAYS },
        { "fspick", EPERM, DENY_ALWAYS },
        { "mount_setattr", EPERM, DENY_ALWAYS },
        /* TIOCSTI types into a terminal the sandbox may share with the host's
           shell (CVE-2017-5226); TIOCLINUX can do the same on a console. */
        { "ioctl", EPERM, DENY_TTY_IOCTL },
        { "kexec_load", EPERM, DENY_ALWAYS },
        { "kexec_file_load", EPERM, DENY_ALWAYS },
        { "init_module", EPERM, DENY_ALWAYS },
        { "finit_module", EPERM, DENY_ALWAYS },
        { "delete_module", EPERM, DENY_ALWAYS },
        /* Large, often-exploited kernel surface with little use in a sandbox. */
        { "bpf", EPERM, DENY_ALWAYS },
        { "perf_event_open", EPERM, DENY_ALWAYS },
        { "userfaultfd", EPERM, DENY_ALWAYS },
        /* Opens files by handle, around every mount (the "shocker" escape). */
        { "open_by_handle_at", EPERM, DENY_ALWAYS },
        { "syslog", EPERM, DENY_ALWAYS },
        { "acct", EPERM, DENY_ALWAYS },
        { "quotactl", EPERM, DENY_ALWAYS },
        { "swapon", EPERM, DENY_ALWAYS },
        { "swapoff", EPERM, DENY_ALWAYS },
        { "reboot", EPERM, DENY_ALWAYS },
        /* io_uring runs operations that never pass through this filter. */
        { "io_uring_setup", EPERM, DENY_ALWAYS },
        { "io_uring_enter", EPERM, DENY_ALWAYS },
        { "io_uring_register", EPERM, DENY_ALWAYS },
        /* Personality flags turn off ASLR (ADDR_NO_RANDOMIZE) or make page
           zero mappable (MMAP_PAGE_ZERO), helping kernel exploits. */
        { "personality", EPERM, DENY_PERSONALITY },
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

struct refusals {
        struct seccomp_refusal *list;
        size_t n;
};

/* Where the rules go: into libseccomp's ctx (NULL: nowhere), and, when
   list is set, each audited one into it too. One path makes both, so the
   supervisor's list is the filter's rules, not a copy of them. audit:
   refusals go to the supervisor (SCMP_ACT_NOTIFY) instead of the kernel
   answering them; name and kind say whose rule comes next. */
struct emit {
        scmp_filter_ctx ctx;
        const struct seccomp_opts *o;
        bool audit;
        struct refusals *list;
        const char *name;
        enum seccomp_refusal_kind kind;
        struct nook_err *e;
};

/* One rule: refuse nr with err when the n comparisons of c all hold.
   Audited unless refused with ENOSYS (clone3: programs take it for an
   older kernel and fall back on every thread they start) or 0 (a fake
   success is no refusal). */
static int emit_rule(struct emit *em, int nr, int err, unsigned n, const struct scmp_arg_cmp *c)
{
        bool audited = em->audit && err != ENOSYS && err != 0;

        if (audited && em->list) {
                struct seccomp_refusal *l = reallocarray(em->list->list, em->list->n + 1, sizeof(*l));
                if (!l)
                        return -ENOMEM;
                em->list->list = l;
                struct seccomp_refusal *rf = &l[em->list->n++];
                *rf = (struct seccomp_refusal){ .nr = nr, .err = err, .kind = em->kind, .n_conds = n };
                snprintf(rf->name, sizeof(rf->name), "%s", em->name);
                for (unsigned i = 0; i < n && i < ARRAY_SIZE(rf->conds); i++)
                        rf->conds[i] = (struct seccomp_cond){ c[i].arg, (int)c[i].op, c[i].datum_a, c[i].datum_b };
        }
        if (!em->ctx)
                return 0;
        return seccomp_rule_add_array(em->ctx, audited ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(err), nr, n, c);
}

bool seccomp_refusal_matches(const struct seccomp_refusal *rf, const struct seccomp_data *d)
{
        for (unsigned i = 0; i < rf->n_conds && i < ARRAY_SIZE(rf->conds); i++) {
                const struct seccomp_cond *c = &rf->conds[i];
                /* libseccomp keeps a MASKED_EQ's mask first, its value second;
                   every other comparison's value first */
                uint64_t v = c->arg < 6 ? d->args[c->arg] : 0, a = c->mask, b = c->datum;
                bool hold;
                switch (c->op) {
                case SCMP_CMP_NE: hold = v != a; break;
                case SCMP_CMP_LT: hold = v < a; break;
                case SCMP_CMP_LE: hold = v <= a; break;
                case SCMP_CMP_EQ: hold = v == a; break;
                case SCMP_CMP_GE: hold = v >= a; break;
                case SCMP_CMP_GT: hold = v > a; break;
                case SCMP_CMP_MASKED_EQ: hold = (v & a) == b; break;
                default: hold = false; break;
                }
                if (!hold)
                        return false;
        }
        return true;
}

static int deny_clone_ns(struct emit *em, int nr, int err)
{
        /* One rule per flag: any one of them set is enough to refuse. The
           kernel reads only the low 32 bits, and so do these masks. */
        static const scmp_datum_t ns_flags[] = {
                CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
        };

        for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++) {
                struct scmp_arg_cmp c = SCMP_CMP(CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ,
                                                 ns_flags[i], ns_flags[i]);
                int r = emit_rule(em, nr, err, 1, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int deny_tty_ioctl(struct emit *em, int nr, int err)
{
        /* The kernel takes the request as an unsigned int: compare the low
           32 bits only, or TIOCSTI | 1 << 32 would pass the filter and
           still reach the kernel as TIOCSTI. */
        static const scmp_datum_t requests[] = { TIOCSTI, TIOCLINUX };

        for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, requests[i]);
                int r = emit_rule(em, nr, err, 1, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int deny_personality(struct emit *em, int nr, int err)
{
        /* Allowed: 0 (PER_LINUX) and 0xffffffff (the query). libseccomp 2.5
           refuses two comparisons on one argument in a rule, so "neither" is
           a union of one-comparison rules. Any bit above 31 is refused, as
           the kernel truncates to 32 bits and would see some other value.
           Below that, a value that is neither all zeros nor all ones has a
           bit k that differs from bit 0, which one of the pairs catches. */
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_GE, 1ULL << 32, 0);
        int r = emit_rule(em, nr, err, 1, &c);

        for (unsigned int k = 1; r >= 0 && k < 32; k++) {
                scmp_datum_t bit = 1ULL << k, mask = 1 | bit;

                c = SCMP_A0(SCMP_CMP_MASKED_EQ, mask, 1);
                r = emit_rule(em, nr, err, 1, &c);
                if (r < 0)
                        break;
                c = SCMP_A0(SCMP_CMP_MASKED_EQ, mask, bit);
                r = emit_rule(em, nr, err, 1, &c);
        }
        return r < 0 ? r : 0;
}

/* Mode=host with Allow= (seccomp_opts.tcp_only): what Landlock's TCP port
   rules cannot see must not be made. Allowed: AF_UNIX (1), AF_INET (2),
   AF_INET6 (10), AF_NETLINK (16); an inet socket only of type SOCK_STREAM
   (the low four bits of the type; SOCK_NONBLOCK and SOCK_CLOEXEC lie above)
   with protocol 0 or IPPROTO_TCP. Everything else is refused by a union of
   one-comparison-per-argument rules (libseccomp 2.5 takes no more), which
   compare all 64 bits: a value with any high bit set is above every
   allowed one and refused, so what passes is what the kernel reads. */
/* A rule that may come after one of SocketFamilies= on the same family,
   which then stays (libseccomp: -EEXIST): that family is refused already. */
static int emit_unless_refused(struct emit *em, int nr, int err, unsigned n, const struct scmp_arg_cmp *c)
{
        int r = emit_rule(em, nr, err, n, c);

        return r == -EEXIST ? 0 : r;
}

static int deny_socket_kinds(struct emit *em, int nr)
{
        static const scmp_datum_t other_families[] = { 0, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15 };
        static const scmp_datum_t inet[] = { AF_INET, AF_INET6 };
        const int err = EACCES;
        struct scmp_arg_cmp c[2] = { SCMP_A0(SCMP_CMP_GT, AF_NETLINK) };
        int r = emit_unless_refused(em, nr, err, 1, c);

        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(other_families); i++) {
                c[0] = SCMP_A0(SCMP_CMP_EQ, other_families[i]);
                r = emit_unless_refused(em, nr, err, 1, c);
        }
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(inet); i++) {
                c[0] = SCMP_A0(SCMP_CMP_EQ, inet[i]);
                /* a type whose low four bits are not 0001 */
                c[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, 1, 0);
                r = emit_unless_refused(em, nr, err, 2, c);
                for (unsigned bit = 2; r >= 0 && bit <= 8; bit <<= 1) {
                        c[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, bit, bit);
                        r = emit_unless_refused(em, nr, err, 2, c);
                }
                /* a protocol other than 0 and IPPROTO_TCP (6): MPTCP is 262 */
                c[1] = SCMP_A2(SCMP_CMP_GT, IPPROTO_TCP);
                if (r >= 0)
                        r = emit_unless_refused(em, nr, err, 2, c);
                for (scmp_datum_t proto = 1; r >= 0 && proto < IPPROTO_TCP; proto++) {
                        c[1] = SCMP_A2(SCMP_CMP_EQ, proto);
                        r = emit_unless_refused(em, nr, err, 2, c);
                }
        }
        return r;
}

static bool in_table(const struct deny_entry *d)
{
        return d >= deny_table && d < deny_table + ARRAY_SIZE(deny_table);
}

static int add_entry(const struct deny_entry *d, void *arg)
{
        struct emit *em = arg;
        int nr = seccomp_syscall_resolve_name(d->name);
        int r;

        /* Negative: unknown to this libseccomp, or a pseudo number for a
           call this architecture does not have. Nothing to deny then. */
        if (nr < 0)
                return 0;

        em->name = d->name;
        switch (d->how) {
        case DENY_CLONE_NS:
                em->kind = REFUSED_CLONE_NS;
                r = deny_clone_ns(em, nr, d->err);
                break;
        case DENY_TTY_IOCTL:
                em->kind = REFUSED_TTY_IOCTL;
                r = deny_tty_ioctl(em, nr, d->err);
                break;
        case DENY_PERSONALITY:
                em->kind = REFUSED_PERSONALITY;
                r = deny_personality(em, nr, d->err);
                break;
        default:
                em->kind = in_table(d) ? REFUSED_WHOLE : REFUSED_DENIED;
                r = emit_rule(em, nr, d->err, 0, NULL);
                break;
        }
        /* -EDOM: libseccomp knows the call but cannot filter it here. */
        if (r == -EDOM)
                return 0;
        if (r < 0)
                return nook_errf(em->e, -r, "cannot add the seccomp rule for %s: %m", d->name);
        return 0;
}

static bool in_list(const char *const *list, const char *name)
{
        for (; list && *list; list++)
                if (strcmp(*list, name) == 0)
                        return true;
        return false;
}

static const struct deny_entry *table_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(deny_table); i++)
                if (strcmp(deny_table[i].name, name) == 0)
                        return &deny_table[i];
        return NULL;
}

static int check_names(const char *const *list, const char *what, struct nook_err *e)
{
        for (; list && *list; list++)
                if (seccomp_syscall_resolve_name(*list) == __NR_SCMP_ERROR)
                        return nook_errf(e, EINVAL, "unknown system call '%s' in %s", *list, what);
        return 0;
}

/* The table's entries and SyscallDeny='s, as opts changes them: f(d, arg)
   for each rule the filter gets, in order. */
static int each_deny(const struct seccomp_opts *o, int (*f)(const struct deny_entry *d, void *arg), void *arg)
{
        for (size_t i = 0; i < ARRAY_SIZE(deny_table); i++) {
                const struct deny_entry *d = &deny_table[i];

                /* io_uring makes sockets no filter sees (IORING_OP_SOCKET) */
                if (in_list(o->allow, d->name) && !(o->tcp_only && strncmp(d->name, "io_uring_", 9) == 0))
                        continue;
                /* An explicit deny of a conditional entry refuses every call:
                   libseccomp would otherwise mix both rules. */
                if (d->how != DENY_ALWAYS && in_list(o->deny, d->name))
                        continue;
                int r = f(d, arg);
                if (r < 0)
                        return r;
        }
        for (const char *const *n = o->deny; n && *n; n++) {
                const struct deny_entry *d = table_find(*n);
                struct deny_entry extra = { *n, EPERM, DENY_ALWAYS };

                /* Already refused outright by the table: keep its errno, as
                   clone3 must stay ENOSYS for glibc to fall back to clone. */
                if (d && d->how == DENY_ALWAYS && !in_list(o->allow, *n))
                        continue;
                int r = f(&extra, arg);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_socket_rules(struct emit *em)
{
        /* SyscallDeny=socket refuses every call already: no mixing */
        if (in_list(em->o->deny, "socket"))
                return 0;
        int nr = seccomp_syscall_resolve_name("socket");
        em->name = "socket";
        em->kind = REFUSED_SOCKET_KIND;
        int r = nr < 0 ? 0 : deny_socket_kinds(em, nr);
        if (r < 0)
                return nook_errf(em->e, -r, "cannot add the seccomp rules for socket: %m");
        /* socketcall (32-bit ABIs) hides its arguments in memory; libc
           uses socket() where the kernel has it. Never audited. */
        struct deny_entry sc = { "socketcall", EACCES, DENY_ALWAYS };
        struct emit plain = *em;
        plain.audit = false;
        return in_list(em->o->deny, "socketcall") ? 0 : add_entry(&sc, &plain);
}

/* SocketFamilies=: one rule a family not allowed (AF_UNSPEC up to
   AF_MAX), and one for every number above (a value with a high bit set
   included: the comparisons take all 64 bits). */
static int add_families(struct emit *em)
{
        static const char *const calls[] = { "socket", "socketpair" };
        const int err = EAFNOSUPPORT;

        em->kind = REFUSED_FAMILY;
        for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
                int nr = seccomp_syscall_resolve_name(calls[i]), r = 0;
                if (nr < 0 || in_list(em->o->deny, calls[i]))
                        continue;
                em->name = calls[i];
                /* a family Allow= refuses already (tcp_only) keeps that
                   rule: -EEXIST */
                struct scmp_arg_cmp c;
                for (scmp_datum_t af = 0; (r >= 0 || r == -EEXIST) && af < AF_MAX; af++)
                        if (af >= 64 || !(em->o->families & (UINT64_C(1) << af))) {
                                c = SCMP_A0(SCMP_CMP_EQ, af);
                                r = emit_rule(em, nr, err, 1, &c);
                        }
                c = SCMP_A0(SCMP_CMP_GE, AF_MAX);
                if (r >= 0 || r == -EEXIST)
                        r = emit_rule(em, nr, err, 1, &c);
                if (r < 0 && r != -EEXIST)
                        return nook_errf(em->e, -r, "cannot add the seccomp rules for SocketFamilies=: %m");
        }
        return 0;
}

/* MemoryDenyWriteExecute=: what systemd's does. A program loaded with
   execute permission keeps it; what it cannot do is make memory that is
   (or was) writable executable, which is how injected code would run. */
static int add_mdwe(struct emit *em)
{
        static const struct {
                const char *name;
                unsigned arg;
                scmp_datum_t mask, value;
        } rules[] = {
                { "mmap", 2, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC },
                { "mmap2", 2, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC },
                { "mprotect", 2, PROT_EXEC, PROT_EXEC },
                { "pkey_mprotect", 2, PROT_EXEC, PROT_EXEC },
                { "shmat", 2, SHM_EXEC, SHM_EXEC },
        };

        em->kind = REFUSED_MDWE;
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
                int nr = seccomp_syscall_resolve_name(rules[i].name);
                if (nr < 0 || in_list(em->o->deny, rules[i].name))
                        continue;
                em->name = rules[i].name;
                struct scmp_arg_cmp c = { rules[i].arg, SCMP_CMP_MASKED_EQ, rules[i].mask, rules[i].value };
                int r = emit_rule(em, nr, EPERM, 1, &c);
                if (r < 0 && r != -EDOM)
                        return nook_errf(em->e, -r, "cannot add the seccomp rule for %s: %m", rules[i].name);
        }
        return 0;
}

/* Every rule that refuses something, in the filter's order: the table's
   and SyscallDeny='s, then what Allow= (tcp_only), SocketFamilies= and
   MemoryDenyWriteExecute= add. */
static int add_refusals(struct emit *em)
{
        int r = each_deny(em->o, add_entry, em);

        /* SocketFamilies= before Allow='s socket kinds: libseccomp keeps
           the first of two rules on one family (the second is -EEXIST),
           and the kinds' rules on inet and inet6 look at the type too: put
           first, they once let a TCP socket of a family SocketFamilies=
           leaves out through. */
        if (r == 0 && em->o->families_set)
                r = add_families(em);
        if (r == 0 && em->o->tcp_only)
                r = add_socket_rules(em);
        if (r == 0 && em->o->mdwe)
                r = add_mdwe(em);
        return r;
}

int seccomp_audited_refusals(const struct seccomp_opts *o, struct seccomp_refusal **out, size_t *n)
{
        struct refusals rf = { NULL, 0 };
        struct nook_err e = { 0 };
        struct emit em = { .o = o, .audit = true, .list = &rf, .e = &e };
        int r = add_refusals(&em);

        if (r < 0) {
                free(rf.list);
                return r;
        }
        *out = rf.list;
        *n = rf.n;
        return 0;
}

/* With one id mapped, every chown to another owner and every change to
   another id fails (EINVAL: the id has no mapping), and dpkg, adduser and
   apt's privilege drop stop there. These calls then succeed and do
   nothing: files keep the one owner, a process keeps its ids. The 32-bit
   names are the native calls of some architectures (arm); elsewhere they
   do not resolve and are skipped. */
static const char *const fake_id_calls[] = {
        "chown", "fchown", "lchown", "fchownat",
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
        "setgroups", "setfsuid", "setfsgid",
        "chown32", "fchown32", "lchown32",
        "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32",
        "setgroups32", "setfsuid32", "setfsgid32",
};

static int add_fake_ids(scmp_filter_ctx ctx, const struct seccomp_opts *o, struct nook_err *e)
{
        for (size_t i = 0; i < ARRAY_SIZE(fake_id_calls); i++) {
                const char *name = fake_id_calls[i];
                int nr = seccomp_syscall_resolve_name(name);

                /* SyscallDeny= of one of them keeps it refused: no mixing */
                if (nr < 0 || in_list(o->deny, name))
                        continue;
                /* errno 0: the kernel returns -0, a success */
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), nr, 0);
                if (r < 0 && r != -EDOM)
                        return nook_errf(e, -r, "cannot add the seccomp rule for %s: %m", name);
        }
        return 0;
}

const char *const seccomp_observed_calls[] = {
        "open", "openat", "openat2", "creat", "execve", "execveat", "connect",
        "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
        "sendto", "bind", "socket",
        NULL,
};

/* nook learn: observation only. A call with a rule of its own already
   (SyscallDeny=) keeps that rule; libseccomp refuses a second action for
   the same call (-EEXIST), which is then no error either. */
static int add_notify(scmp_filter_ctx ctx, const struct seccomp_opts *o, struct nook_err *e)
{
        for (const char *const *n = seccomp_observed_calls; *n; n++) {
                int nr = seccomp_syscall_resolve_name(*n);
                if (nr < 0 || in_list(o->deny, *n))
                        continue;
                /* socket() has argument-checked refusals with these: an
                   unconditional notify rule beside them would take the
                   place of their ERRNO action. Under --audit they notify
                   too, and the supervisor refuses what they refuse. */
                if (strcmp(*n, "socket") == 0 && (o->tcp_only || o->families_set) && !o->audit_denies)
                        continue;
                /* sendto only with a destination: on a connected socket
                   (every write of a stream) it names none */
                int r = strcmp(*n, "sendto") == 0 ? seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, SCMP_A4(SCMP_CMP_NE, 0))
                                                 : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
                if (r < 0 && r != -EDOM && r != -EEXIST)
                        return nook_errf(e, -r, "cannot add the seccomp notify rule for %s: %m", *n);
        }
        return 0;
}

/* libseccomp 2.5 exports only to a file descriptor; a memfd keeps the
   program off the file system. */
static int export_prog(scmp_filter_ctx ctx, struct seccomp_prog *out, struct nook_err *e)
{
        _cleanup_close_ int fd = memfd_create("nook-seccomp", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        size_t size;
        ssize_t n;
        int r;

        if (fd < 0)
                return nook_errf(e, errno, "cannot create a memfd for the seccomp filter: %m");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return nook_errf(e, -r, "cannot export the seccomp filter: %m");
        if (fstat(fd, &st) < 0)
                return nook_errf(e, errno, "cannot stat the exported seccomp filter: %m");
        size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(*insns) != 0)
                return nook_errf(e, EINVAL, "libseccomp exported a seccomp filter of %zu bytes, "
                                 "not a whole number of instructions", size);
        if (size / sizeof(*insns) > BPF_MAXINSNS)
                return nook_errf(e, E2BIG, "the seccomp filter has %zu instructions, the kernel takes at most %d",
                                 size / sizeof(*insns), BPF_MAXINSNS);
        insns = malloc(size);
        if (!insns)
                return nook_errf(e, ENOMEM, "cannot read back the seccomp filter: %m");
        n = pread(fd, insns, size, 0);
        if (n < 0)
                return nook_errf(e, errno, "cannot read back the seccomp filter: %m");
        if ((size_t)n != size)
                return nook_errf(e, EIO, "cannot read back the seccomp filter: short read");

        out->len = (unsigned short)(size / sizeof(*insns));
        out->insns = steal_ptr(&insns);
        return 0;
}

int seccomp_build(const struct seccomp_opts *opts, struct seccomp_prog *out, struct nook_err *e)
{
        static const struct seccomp_opts none = { 0 };
        const struct seccomp_opts *o = opts ? opts : &none;
        _cleanup_(ctx_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        *out = (struct seccomp_prog){ NULL, 0 };
        r = check_names(o->deny, "the system calls to deny", e);
        if (r < 0)
                return r;
        r = check_names(o->allow, "the system calls to allow", e);
        if (r < 0)
                return r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return nook_errf(e, ENOMEM, "cannot create a seccomp filter: %m");
        /* Other ABIs (i386 through int 0x80, x32 on x86_64) have their own
           numbers, which the rules below do not cover: refuse them all. On
           x86_64 libseccomp sends x32 numbers (nr | 0x40000000) here too,
           although seccomp_export_pfc does not show that check. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
        if (r < 0)
                return nook_errf(e, -r, "cannot set the seccomp bad-architecture action: %m");
        /* launch sets no_new_privs itself, before loading the program. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return nook_errf(e, -r, "cannot clear the seccomp no_new_privs attribute: %m");

        /* A binary tree over the system call numbers, not a row of tests:
           the kernel emulates the program for every number when it loads
           it (its action cache), and that took 75 µs of each start with
           the row against 46 with the tree. The filter always has rules
           (libseccomp before 2.5.4 dropped the default action of a tree
           without any). */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                return nook_errf(e, -r, "cannot ask libseccomp for a binary tree filter: %m");
        struct emit em = { .ctx = ctx, .o = o, .audit = o->notify && o->audit_denies, .e = e };
        r = add_refusals(&em);
        if (r < 0)
                return r;
        if (o->fake_ids) {
                r = add_fake_ids(ctx, o, e);
                if (r < 0)
                        return r;
        }
        if (o->notify) {
                r = add_notify(ctx, o, e);
                if (r < 0)
                        return r;
        }
        return export_prog(ctx, out, e);
}

int seccomp_build_default(struct seccomp_prog *out, struct nook_err *e)
{
        return seccomp_build(NULL, out, e);
}

int seccomp_prog_load(const struct seccomp_prog *p, struct nook_err *e)
{
        struct sock_fprog fprog = { .len = p->len, .filter = p->insns };

        if (!p->insns || p->len == 0)
                return nook_errf(e, EINVAL, "cannot load an empty seccomp filter");
        /* No TSYNC: this runs in a single-threaded child before exec. */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
                if (errno == EACCES)
                        return nook_errf(e, errno, "cannot load the seccomp filter: "
                                         "no_new_privs is not set");
                return nook_errf(e, errno, "cannot load the seccomp filter: %m");
        }
        return 0;
}

int seccomp_prog_load_listener(const struct seccomp_prog *p, int *listener, struct nook_err *e)
{
        struct sock_fprog fprog = { .len = p->len, .filter = p->insns };

        if (!p->insns || p->len == 0)
                return nook_errf(e, EINVAL, "cannot load an empty seccomp filter");
        /* prctl() takes no flags: the listener needs seccomp(2) */
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
        if (fd < 0 && errno == EBUSY)
                return nook_errf(e, errno, "cannot observe the command: a supervisor above nook already watches "
                                 "this process through seccomp (one notifier per process: run nook learn "
                                 "outside that container or sandbox)");
        if (fd < 0)
                return nook_errf(e, errno, "cannot load the seccomp filter with a listener: %m "
                                 "(nook learn needs seccomp user notification, Linux 5.5 or later)");
        *listener = (int)fd;
        return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
        free(p->insns);
        p->insns = NULL;
        p->len = 0;
}
