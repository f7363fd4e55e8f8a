/* The default seccomp filter: what it refuses, with which errno, and that
   ordinary programs still run under it.

   Two kinds of test. The first run the exported BPF program through a small
   interpreter, so every argument value and ABI can be checked, including
   ones this kernel cannot produce (it may lack x32). The second load the
   program in a forked child and make the real system calls; the child sends
   back what it saw and the parent asserts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/err.h"
#include "sandbox/seccomp.h"

#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define ALLOW SECCOMP_RET_ALLOW
#define DENY(err) (SECCOMP_RET_ERRNO | (uint32_t)(err))

static const uint32_t ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static struct seccomp_prog prog;

static int build_default(void **state)
{
        struct nook_err e = { 0 };

        (void)state;
        if (seccomp_build_default(&prog, &e) < 0) {
                print_error("seccomp_build_default: %s\n", e.msg);
                return -1;
        }
        return 0;
}

static int free_default(void **state)
{
        (void)state;
        seccomp_prog_free(&prog);
        return 0;
}

static void test_build_default_gives_a_program(void **state)
{
        (void)state;
        assert_non_null(prog.insns);
        assert_true(prog.len > 0);
        assert_true(prog.len <= BPF_MAXINSNS);
}

/* ---- the program, interpreted ---- */

static uint32_t bpf_run(const struct seccomp_prog *p, const struct seccomp_data *d)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

        for (unsigned int pc = 0; pc < p->len; pc++) {
                const struct sock_filter *f = &p->insns[pc];
                uint32_t k = f->k;

                switch (f->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        assert_true(k % 4 == 0 && k + 4 <= sizeof(*d));
                        memcpy(&a, (const char *)d + k, 4);
                        break;
                case BPF_LD | BPF_MEM:
                        assert_true(k < BPF_MEMWORDS);
                        a = mem[k];
                        break;
                case BPF_LDX | BPF_MEM:
                        assert_true(k < BPF_MEMWORDS);
                        x = mem[k];
                        break;
                case BPF_ST:
                        assert_true(k < BPF_MEMWORDS);
                        mem[k] = a;
                        break;
                case BPF_MISC | BPF_TAX: x = a; break;
                case BPF_MISC | BPF_TXA: a = x; break;
                case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
                case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
                case BPF_JMP | BPF_JA: pc += k; break;
                case BPF_JMP | BPF_JEQ | BPF_K: pc += a == k ? f->jt : f->jf; break;
                case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? f->jt : f->jf; break;
                case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? f->jt : f->jf; break;
                case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? f->jt : f->jf; break;
                case BPF_JMP | BPF_JEQ | BPF_X: pc += a == x ? f->jt : f->jf; break;
                case BPF_RET | BPF_K: return k;
                case BPF_RET | BPF_A: return a;
                default:
                        fail_msg("instruction %u: opcode 0x%04x is not known to this test's "
                                 "interpreter; teach it", pc, f->code);
                }
        }
        fail_msg("the program ran off its end without returning");
        return 0;
}

static uint32_t verdict_in(const struct seccomp_prog *p, uint32_t arch, int nr,
                           uint64_t a0, uint64_t a1)
{
        struct seccomp_data d = { .nr = nr, .arch = arch };

        d.args[0] = a0;
        d.args[1] = a1;
        return bpf_run(p, &d);
}

static uint32_t verdict(int nr, uint64_t a0, uint64_t a1)
{
        return verdict_in(&prog, seccomp_arch_native(), nr, a0, a1);
}

static uint32_t verdict_of(const struct seccomp_prog *p, const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);

        assert_true(nr >= 0);
        return verdict_in(p, seccomp_arch_native(), nr, 0, 0);
}

static uint32_t clone_verdict(uint64_t flags)
{
        uint64_t args[2] = { 0, 0 };

        args[CLONE_FLAGS_ARG] = flags;
        return verdict(SYS_clone, args[0], args[1]);
}

static void test_every_listed_call_is_denied_with_its_errno(void **state)
{
        static const struct { const char *name; int err; } denied[] = {
                { "add_key", EPERM }, { "keyctl", EPERM }, { "request_key", EPERM },
                { "unshare", EPERM }, { "setns", EPERM }, { "mount", EPERM },
                { "umount2", EPERM }, { "pivot_root", EPERM }, { "chroot", EPERM },
                { "open_tree", EPERM }, { "move_mount", EPERM }, { "fsopen", EPERM },
                { "fsconfig", EPERM }, { "fsmount", EPERM }, { "fspick", EPERM },
                { "mount_setattr", EPERM }, { "kexec_load", EPERM },
                { "kexec_file_load", EPERM }, { "init_module", EPERM },
                { "finit_module", EPERM }, { "delete_module", EPERM }, { "bpf", EPERM },
                { "perf_event_open", EPERM }, { "userfaultfd", EPERM },
                { "open_by_handle_at", EPERM }, { "syslog", EPERM }, { "acct", EPERM },
                { "quotactl", EPERM }, { "swapon", EPERM }, { "swapoff", EPERM },
                { "reboot", EPERM }, { "io_uring_setup", EPERM },
                { "io_uring_enter", EPERM }, { "io_uring_register", EPERM },
                { "clone3", ENOSYS },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
                int nr = seccomp_syscall_resolve_name(denied[i].name);

                if (nr < 0)
                        continue;       /* not on this architecture */
                if (verdict(nr, 0, 0) != DENY(denied[i].err))
                        fail_msg("%s: verdict 0x%08x, want ERRNO(%d)", denied[i].name,
                                 verdict(nr, 0, 0), denied[i].err);
        }
}

static void test_ordinary_calls_are_allowed(void **state)
{
        static const char *const names[] = {
                "read", "write", "openat", "close", "mmap", "execve", "getpid",
                "wait4", "exit_group", "ptrace", "socket", "prctl",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (verdict_of(&prog, names[i]) != ALLOW)
                        fail_msg("%s is not allowed", names[i]);
}

static void test_clone_with_any_namespace_flag_is_denied(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++) {
                assert_int_equal(clone_verdict(ns_flags[i] | SIGCHLD), DENY(EPERM));
                assert_int_equal(clone_verdict(ns_flags[i] | 1ULL << 32), DENY(EPERM));
        }
}

static void test_clone_for_fork_and_threads_is_allowed(void **state)
{
        uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                          CLONE_CHILD_CLEARTID;

        (void)state;
        assert_int_equal(clone_verdict(SIGCHLD), ALLOW);
        assert_int_equal(clone_verdict(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD), ALLOW);
        assert_int_equal(clone_verdict(thread), ALLOW);
}

static void test_tty_injection_ioctls_are_denied_whatever_the_high_bits(void **state)
{
        (void)state;
        assert_int_equal(verdict(SYS_ioctl, 0, TIOCSTI), DENY(EPERM));
        assert_int_equal(verdict(SYS_ioctl, 0, TIOCSTI | 1ULL << 32), DENY(EPERM));
        assert_int_equal(verdict(SYS_ioctl, 0, TIOCSTI | 0xFFFFFFFF00000000ULL), DENY(EPERM));
        assert_int_equal(verdict(SYS_ioctl, 0, TIOCLINUX), DENY(EPERM));
        assert_int_equal(verdict(SYS_ioctl, 0, TIOCLINUX | 1ULL << 40), DENY(EPERM));
        assert_int_equal(verdict(SYS_ioctl, 0, TCGETS), ALLOW);
        assert_int_equal(verdict(SYS_ioctl, 0, FIONREAD), ALLOW);
        assert_int_equal(verdict(SYS_ioctl, 0, 1ULL << 32), ALLOW);
}

static uint32_t personality_verdict(uint64_t persona)
{
        return verdict(SYS_personality, persona, 0);
}

static void test_personality_allows_only_linux_and_the_query(void **state)
{
        uint64_t v = 0x9E3779B97F4A7C15ULL;

        (void)state;
        assert_int_equal(personality_verdict(PER_LINUX), ALLOW);
        assert_int_equal(personality_verdict(0xffffffff), ALLOW);
        assert_int_equal(personality_verdict(ADDR_NO_RANDOMIZE), DENY(EPERM));
        assert_int_equal(personality_verdict(PER_LINUX32), DENY(EPERM));
        assert_int_equal(personality_verdict(UINT64_MAX), DENY(EPERM));
        for (unsigned int k = 0; k < 32; k++) {
                assert_int_equal(personality_verdict(1ULL << k), DENY(EPERM));
                assert_int_equal(personality_verdict(0xffffffffULL ^ 1ULL << k), DENY(EPERM));
        }
        /* The kernel would read these as 0 and 0xffffffff: still refused. */
        for (unsigned int k = 32; k < 64; k++) {
                assert_int_equal(personality_verdict(1ULL << k), DENY(EPERM));
                assert_int_equal(personality_verdict(0xffffffffULL | 1ULL << k), DENY(EPERM));
        }
        for (int i = 0; i < 200000; i++) {
                uint64_t p;

                v ^= v << 13, v ^= v >> 7, v ^= v << 17;
                p = i % 2 ? v : (uint32_t)v;
                if (personality_verdict(p) != (p == 0 || p == 0xffffffff ? ALLOW : DENY(EPERM)))
                        fail_msg("personality(0x%llx): wrong verdict", (unsigned long long)p);
        }
}

static void test_foreign_architectures_get_enosys(void **state)
{
        (void)state;
        /* No real architecture has token 0, so this is never the native one. */
        assert_int_equal(verdict_in(&prog, 0, 20, 0, 0), DENY(ENOSYS));
#ifdef __x86_64__
        assert_int_equal(verdict_in(&prog, AUDIT_ARCH_I386, 20, 0, 0), DENY(ENOSYS));
        assert_int_equal(verdict_in(&prog, AUDIT_ARCH_I386, 0, 0, 0), DENY(ENOSYS));
#endif
}

#ifdef __x86_64__
/* x32 calls come with the x86_64 arch token and nr | 0x40000000; libseccomp
   refuses them in the BPF, although seccomp_export_pfc does not show it. */
static void test_x32_calls_get_enosys(void **state)
{
        (void)state;
        assert_int_equal(verdict(X32_SYSCALL_BIT | SYS_getpid, 0, 0), DENY(ENOSYS));
        assert_int_equal(verdict(X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER, 0), DENY(ENOSYS));
        assert_int_equal(verdict(X32_SYSCALL_BIT | 512, 0, 0), DENY(ENOSYS));   /* x32 rt_sigaction */
        assert_int_equal(verdict(0x7fffffff, 0, 0), DENY(ENOSYS));
}
#endif

/* ---- building with additions ---- */

static void build_with(const char *const *deny, const char *const *allow, struct seccomp_prog *out)
{
        struct seccomp_opts opts = { .deny = deny, .allow = allow };
        struct nook_err e = { 0 };

        if (seccomp_build(&opts, out, &e) < 0)
                fail_msg("seccomp_build: %s", e.msg);
}

static void test_extra_deny_refuses_a_call_with_eperm(void **state)
{
        static const char *const deny[] = { "ptrace", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_with(deny, NULL, &p);
        assert_int_equal(verdict_of(&p, "ptrace"), DENY(EPERM));
        assert_int_equal(verdict_of(&p, "keyctl"), DENY(EPERM));
        assert_int_equal(verdict_of(&p, "getpid"), ALLOW);
}

/* nook run --audit: what is refused whole goes to the supervisor, which
   is told the same errno; what is allowed stays allowed. */
static void test_audit_sends_what_is_refused_whole_to_the_supervisor_with_its_errno(void **state)
{
        static const char *const deny[] = { "ptrace", "mkdirat", NULL };
        static const char *const allow[] = { "keyctl", NULL };
        const struct seccomp_opts o = { .deny = deny, .allow = allow, .notify = true, .audit_denies = true };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };
        _cleanup_free_ struct seccomp_refusal *list = NULL;
        struct nook_err e = { 0 };
        size_t n = 0;
        bool unshare = false, ptrace = false, mkdirat = false;

        (void)state;
        assert_int_equal(seccomp_build(&o, &p, &e), 0);
        assert_int_equal(seccomp_audited_refusals(&o, &list, &n), 0);
        for (size_t i = 0; i < n; i++) {
                if (list[i].n_conds == 0)
                        assert_int_equal(verdict_of(&p, list[i].name), SECCOMP_RET_USER_NOTIF);
                assert_int_equal(list[i].nr, seccomp_syscall_resolve_name(list[i].name));
                assert_string_not_equal(list[i].name, "clone3");
                assert_string_not_equal(list[i].name, "keyctl");
                unshare |= strcmp(list[i].name, "unshare") == 0 && list[i].err == EPERM;
                ptrace |= strcmp(list[i].name, "ptrace") == 0 && list[i].err == EPERM;
                mkdirat |= strcmp(list[i].name, "mkdirat") == 0 && list[i].err == EPERM;
        }
        assert_true(unshare && ptrace && mkdirat);
        /* ENOSYS stays the kernel's; what the arguments decide goes to
           the supervisor too, only when they decide it */
        assert_int_equal(verdict_of(&p, "clone3"), DENY(ENOSYS));
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_clone, CLONE_NEWUSER, 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_clone, SIGCHLD, 0), ALLOW);
        assert_int_equal(verdict_of(&p, "keyctl"), ALLOW);
        assert_int_equal(verdict_of(&p, "getpid"), ALLOW);
        assert_int_equal(verdict_of(&p, "openat"), SECCOMP_RET_USER_NOTIF);
}

static uint32_t socket_verdict(const struct seccomp_prog *p, uint64_t family, uint64_t type, uint64_t proto);
/* SocketFamilies= with Mode=host and Allow= (tcp_only): a family left out
   is refused whatever the socket's type. Before, libseccomp kept the
   socket kinds' rules on inet6 and dropped SocketFamilies='s as -EEXIST:
   a TCP socket of inet6 went through. */
static void test_socket_families_hold_beside_the_tcp_only_rules(void **state)
{
        const struct seccomp_opts o = { .tcp_only = true, .families_set = true,
                                        .families = 1u << AF_UNIX | 1u << AF_INET };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(seccomp_build(&o, &p, &e), 0);
        assert_int_equal(socket_verdict(&p, AF_INET6, SOCK_STREAM, 0), DENY(EAFNOSUPPORT));
        assert_int_equal(socket_verdict(&p, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP), DENY(EAFNOSUPPORT));
        assert_int_equal(socket_verdict(&p, AF_NETLINK, SOCK_RAW, 0), DENY(EAFNOSUPPORT));
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_STREAM, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_DGRAM, 0), DENY(EACCES));
        assert_int_equal(socket_verdict(&p, AF_UNIX, SOCK_DGRAM, 0), ALLOW);
}

/* The first refusal of list (the supervisor's) that d meets, as the
   observer looks it up. */
static const struct seccomp_refusal *first_refusal(const struct seccomp_refusal *list, size_t n,
                                                   const struct seccomp_data *d)
{
        for (size_t i = 0; i < n; i++)
                if (list[i].nr == d->nr && seccomp_refusal_matches(&list[i], d))
                        return &list[i];
        return NULL;
}

/* One call under the plain filter and under --audit's: what the plain one
   refuses (but with ENOSYS) goes to the supervisor, whose list names the
   same errno; what it lets through the list does not refuse. */
static void audit_agrees(const struct seccomp_prog *plain, const struct seccomp_prog *audit,
                         const struct seccomp_refusal *list, size_t n, const struct seccomp_data *d)
{
        uint32_t want = bpf_run(plain, d), got = bpf_run(audit, d);
        const struct seccomp_refusal *rf = first_refusal(list, n, d);

        if ((want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO && (want & SECCOMP_RET_DATA) != ENOSYS &&
            (want & SECCOMP_RET_DATA) != 0) {
                if (got != SECCOMP_RET_USER_NOTIF || !rf || DENY(rf->err) != want)
                        fail_msg("call %d (%#llx, %#llx, %#llx): refused with %u, but under --audit %#x and the list says %d",
                                 d->nr, (unsigned long long)d->args[0], (unsigned long long)d->args[1],
                                 (unsigned long long)d->args[2], want & SECCOMP_RET_DATA, got, rf ? rf->err : -1);
        } else if (rf || (got != want && got != SECCOMP_RET_USER_NOTIF)) {
                fail_msg("call %d (%#llx, %#llx, %#llx): %#x, but under --audit %#x and the list refuses it: %s", d->nr,
                         (unsigned long long)d->args[0], (unsigned long long)d->args[1],
                         (unsigned long long)d->args[2], want, got, rf ? rf->name : "no");
        }
}

/* nook run --audit: the supervisor refuses exactly what the filter would,
   with the same errno, argument-checked rules included (clone of a
   namespace, TIOCSTI, personality, Allow='s socket kinds, SocketFamilies=,
   MemoryDenyWriteExecute=), and socket() is still observed beside them. */
static void test_audit_refuses_what_the_filter_refuses_with_its_errno(void **state)
{
        static const uint64_t families[] = { 0, 1, 2, 3, 10, 16, 17, 38, 44, 45, 46, 63, 64, 1ULL << 32 | 2, ~0ULL };
        static const uint64_t types[] = { 1, 2, 3, 5, 1 | 02000000, 2 | 04000, 1ULL << 32 | 1 };
        static const uint64_t protos[] = { 0, 1, 6, 17, 132, 262, 1ULL << 32 };
        static const uint64_t values[] = { 0, 1, 2, 3, 4, 7, 0x20000, 0x10000000, 0x0008000, 0x5412, 0x541C,
                                           1ULL << 32 | 0x5412, 0xffffffff, 1ULL << 32, CLONE_NEWUSER | SIGCHLD,
                                           CLONE_NEWNET, CLONE_THREAD | CLONE_VM | CLONE_SIGHAND, ~0ULL };
        static const char *const calls[] = { "clone", "ioctl", "personality", "mmap", "mprotect", "pkey_mprotect",
                                             "shmat", "socketpair", "unshare", "keyctl", "clone3", "getpid" };
        (void)state;
        for (unsigned m = 0; m < 8; m++) {
                struct seccomp_opts plain_o = { .tcp_only = m & 1, .families_set = m & 2,
                                                .families = 1u << AF_UNIX | 1u << AF_INET | 1u << AF_NETLINK,
                                                .mdwe = m & 4 };
                struct seccomp_opts audit_o = plain_o;
                _cleanup_(seccomp_prog_free) struct seccomp_prog plain = { 0 };
                _cleanup_(seccomp_prog_free) struct seccomp_prog audit = { 0 };
                _cleanup_free_ struct seccomp_refusal *list = NULL;
                struct nook_err e = { 0 };
                size_t n = 0;

                audit_o.notify = audit_o.audit_denies = true;
                assert_int_equal(seccomp_build(&plain_o, &plain, &e), 0);
                assert_int_equal(seccomp_build(&audit_o, &audit, &e), 0);
                assert_int_equal(seccomp_audited_refusals(&audit_o, &list, &n), 0);
                struct seccomp_data d = { .nr = SYS_socket, .arch = seccomp_arch_native() };
                for (size_t f = 0; f < ARRAY_SIZE(families); f++)
                        for (size_t t = 0; t < ARRAY_SIZE(types); t++)
                                for (size_t p = 0; p < ARRAY_SIZE(protos); p++) {
                                        d.args[0] = families[f];
                                        d.args[1] = types[t];
                                        d.args[2] = protos[p];
                                        audit_agrees(&plain, &audit, list, n, &d);
                                }
                for (size_t c = 0; c < ARRAY_SIZE(calls); c++) {
                        int nr = seccomp_syscall_resolve_name(calls[c]);
                        if (nr < 0)
                                continue;
                        for (size_t i = 0; i < ARRAY_SIZE(values); i++)
                                for (size_t j = 0; j < ARRAY_SIZE(values); j++) {
                                        d = (struct seccomp_data){ .nr = nr, .arch = seccomp_arch_native() };
                                        d.args[0] = values[i];
                                        d.args[1] = values[j];
                                        d.args[2] = values[(i + j) % ARRAY_SIZE(values)];
                                        audit_agrees(&plain, &audit, list, n, &d);
                                }
                }
        }
}


/* nook learn's notify rules beside the argument-checked refusals of
   socket(): those still refuse, an allowed socket goes on as it would. */
static void test_notify_leaves_the_socket_refusals_as_they_are(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog tcp = { 0 }, fam = { 0 }, plain = { 0 };
        const struct seccomp_opts t = { .tcp_only = true, .notify = true };
        const struct seccomp_opts f = { .families_set = true, .families = UINT64_C(1) << AF_UNIX, .notify = true };
        const struct seccomp_opts n = { .notify = true };
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(seccomp_build(&t, &tcp, &e), 0);
        assert_int_equal(seccomp_build(&f, &fam, &e), 0);
        assert_int_equal(seccomp_build(&n, &plain, &e), 0);
        assert_int_equal(socket_verdict(&tcp, AF_INET, SOCK_DGRAM, 0), DENY(EACCES));
        assert_int_equal(socket_verdict(&tcp, AF_INET, SOCK_STREAM, 0), ALLOW);
        assert_int_equal(socket_verdict(&fam, AF_INET, SOCK_STREAM, 0), DENY(EAFNOSUPPORT));
        assert_int_equal(socket_verdict(&fam, AF_UNIX, SOCK_STREAM, 0), ALLOW);
        assert_int_equal(socket_verdict(&plain, AF_INET, SOCK_DGRAM, 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(verdict_of(&plain, "bind"), SECCOMP_RET_USER_NOTIF);
}

static void test_allow_lifts_a_default_deny(void **state)
{
        static const char *const allow[] = { "io_uring_setup", "personality", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_with(NULL, allow, &p);
        assert_int_equal(verdict_of(&p, "io_uring_setup"), ALLOW);
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_personality,
                                    ADDR_NO_RANDOMIZE, 0), ALLOW);
        assert_int_equal(verdict_of(&p, "io_uring_enter"), DENY(EPERM));
}

static void test_extra_deny_of_a_checked_call_refuses_every_call(void **state)
{
        static const char *const deny[] = { "personality", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_with(deny, NULL, &p);
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_personality, 0, 0),
                         DENY(EPERM));
}

static void test_extra_deny_of_clone3_keeps_enosys(void **state)
{
        static const char *const deny[] = { "clone3", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_with(deny, NULL, &p);
        assert_int_equal(verdict_of(&p, "clone3"), DENY(ENOSYS));
}

/* ---- Mode=host with Allow=: only the sockets Landlock sees ---- */

static void build_tcp_only(const char *const *deny, const char *const *allow, struct seccomp_prog *out)
{
        struct seccomp_opts opts = { .deny = deny, .allow = allow, .tcp_only = true };
        struct nook_err e = { 0 };

        if (seccomp_build(&opts, out, &e) < 0)
                fail_msg("seccomp_build: %s", e.msg);
}

static uint32_t socket_verdict(const struct seccomp_prog *p, uint64_t family, uint64_t type, uint64_t proto)
{
        struct seccomp_data d = { .nr = SYS_socket, .arch = seccomp_arch_native() };

        d.args[0] = family;
        d.args[1] = type;
        d.args[2] = proto;
        return bpf_run(p, &d);
}

/* What the kernel would make of it, read as it reads them (ints): Unix or
   netlink of any kind, or a plain TCP stream. Values with high bits set may
   be refused although the kernel would ignore those bits. */
static bool tcp_only_allows(uint64_t family, uint64_t type, uint64_t proto)
{
        if (family == AF_UNIX || family == AF_NETLINK)
                return true;
        return (family == AF_INET || family == AF_INET6) && (type & 0xf) == SOCK_STREAM &&
               (proto == 0 || proto == IPPROTO_TCP);
}

static void test_the_default_filter_allows_every_socket(void **state)
{
        (void)state;
        assert_int_equal(socket_verdict(&prog, AF_INET, SOCK_DGRAM, 0), ALLOW);
        assert_int_equal(socket_verdict(&prog, AF_INET, SOCK_STREAM, 262), ALLOW);
        assert_int_equal(socket_verdict(&prog, AF_PACKET, SOCK_RAW, 0), ALLOW);
}

static void test_tcp_only_allows_tcp_unix_and_netlink(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_tcp_only(NULL, NULL, &p);
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_STREAM, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_STREAM, IPPROTO_TCP), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_UNIX, SOCK_SEQPACKET, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_NETLINK, SOCK_DGRAM, 0), ALLOW);
        assert_int_equal(verdict_of(&p, "getpid"), ALLOW);
        assert_int_equal(verdict_of(&p, "keyctl"), DENY(EPERM));
}

static void test_tcp_only_refuses_udp_raw_sctp_mptcp_and_other_families_eacces(void **state)
{
        static const uint64_t refused[][3] = {
                { AF_INET, SOCK_DGRAM, 0 },
                { AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP },
                { AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 },
                { AF_INET, SOCK_DGRAM, IPPROTO_ICMP },          /* ping */
                { AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE },
                { AF_INET, SOCK_RAW, IPPROTO_RAW },
                { AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6 },
                { AF_INET, SOCK_STREAM, 262 },                  /* IPPROTO_MPTCP */
                { AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 262 },
                { AF_INET, SOCK_STREAM, IPPROTO_SCTP },
                { AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP },
                { AF_INET, SOCK_STREAM, 256 },                  /* IPPROTO_SMC */
                { AF_INET, SOCK_DCCP, IPPROTO_DCCP },
                { AF_INET, SOCK_PACKET, 0 },
                { AF_INET, SOCK_STREAM, IPPROTO_UDP },
                { AF_PACKET, SOCK_RAW, 0x0300 },                /* htons(ETH_P_ALL) */
                { AF_PACKET, SOCK_DGRAM, 0 },
                { AF_VSOCK, SOCK_STREAM, 0 },
                { AF_TIPC, SOCK_RDM, 0 },
                { AF_BLUETOOTH, SOCK_STREAM, 0 },
                { AF_UNSPEC, SOCK_STREAM, 0 },
                { AF_AX25, SOCK_DGRAM, 0 },
                /* high bits the kernel would drop, which must not hide a call */
                { AF_INET | 1ULL << 32, SOCK_DGRAM, 0 },
                { AF_PACKET | 1ULL << 32, SOCK_RAW, 0 },
                { AF_INET, SOCK_STREAM, 262 | 1ULL << 32 },
                { AF_INET, SOCK_DGRAM | 0xFFFFFFFF00000000ULL, 0 },
                { AF_INET, SOCK_STREAM, UINT64_MAX },
        };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_tcp_only(NULL, NULL, &p);
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
                if (socket_verdict(&p, refused[i][0], refused[i][1], refused[i][2]) != DENY(EACCES))
                        fail_msg("socket(0x%llx, 0x%llx, 0x%llx) is not refused with EACCES",
                                 (unsigned long long)refused[i][0], (unsigned long long)refused[i][1],
                                 (unsigned long long)refused[i][2]);
}

static void test_tcp_only_refuses_exactly_what_landlock_cannot_see(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };
        uint64_t v = 0x9E3779B97F4A7C15ULL;

        (void)state;
        build_tcp_only(NULL, NULL, &p);
        for (uint64_t fam = 0; fam < 64; fam++)
                for (uint64_t type = 0; type < 16; type++)
                        for (uint64_t proto = 0; proto < 300; proto += proto < 10 ? 1 : 37)
                                if (socket_verdict(&p, fam, type, proto) !=
                                    (tcp_only_allows(fam, type, proto) ? ALLOW : DENY(EACCES)))
                                        fail_msg("socket(%llu, %llu, %llu): wrong verdict", (unsigned long long)fam,
                                                 (unsigned long long)type, (unsigned long long)proto);
        for (int i = 0; i < 200000; i++) {
                uint64_t a[3];

                for (int k = 0; k < 3; k++) {
                        v ^= v << 13, v ^= v >> 7, v ^= v << 17;
                        a[k] = v;
                }
                /* mostly small values, where the allowed ones are */
                if (i % 4) {
                        a[0] = i % 4 == 1 ? AF_INET : a[0] % 20;
                        a[1] = (a[1] & 0x80800) | (a[1] % 4);
                        a[2] = i % 2 ? a[2] % 8 : a[2] % 300;
                }
                if (socket_verdict(&p, a[0], a[1], a[2]) != (tcp_only_allows(a[0], a[1], a[2]) ? ALLOW : DENY(EACCES)))
                        fail_msg("socket(0x%llx, 0x%llx, 0x%llx): wrong verdict", (unsigned long long)a[0],
                                 (unsigned long long)a[1], (unsigned long long)a[2]);
        }
}

static void test_tcp_only_keeps_io_uring_and_sockets_refused_whatever_allow_says(void **state)
{
        static const char *const allow[] = { "io_uring_setup", "io_uring_enter", "personality", "socket", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_tcp_only(NULL, allow, &p);
        assert_int_equal(verdict_of(&p, "io_uring_setup"), DENY(EPERM));
        assert_int_equal(verdict_of(&p, "io_uring_enter"), DENY(EPERM));
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_personality, ADDR_NO_RANDOMIZE, 0), ALLOW);
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_DGRAM, 0), DENY(EACCES));
}

static void test_tcp_only_with_a_deny_of_socket_refuses_every_socket(void **state)
{
        static const char *const deny[] = { "socket", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_tcp_only(deny, NULL, &p);
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_STREAM, 0), DENY(EPERM));
        assert_int_equal(socket_verdict(&p, AF_INET, SOCK_DGRAM, 0), DENY(EPERM));
}

/* ---- FakeIds=: chown and id changes succeed and do nothing ---- */

static const char *const fake_id_names[] = {
        "chown", "fchown", "lchown", "fchownat", "setuid", "setgid", "setreuid", "setregid",
        "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
};

static void build_fake_ids(const char *const *deny, struct seccomp_prog *out)
{
        struct seccomp_opts opts = { .deny = deny, .fake_ids = true };
        struct nook_err e = { 0 };

        if (seccomp_build(&opts, out, &e) < 0)
                fail_msg("seccomp_build: %s", e.msg);
}

static void test_the_default_filter_lets_chown_and_id_changes_through(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(fake_id_names); i++)
                if (verdict_of(&prog, fake_id_names[i]) != ALLOW)
                        fail_msg("%s is not allowed by the default filter", fake_id_names[i]);
}

static void test_fake_ids_answers_chown_and_id_changes_with_success(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_fake_ids(NULL, &p);
        for (size_t i = 0; i < ARRAY_SIZE(fake_id_names); i++)
                if (verdict_of(&p, fake_id_names[i]) != DENY(0))
                        fail_msg("%s: verdict 0x%08x, want ERRNO(0)", fake_id_names[i], verdict_of(&p, fake_id_names[i]));
        /* the rest of the filter is as it was */
        assert_int_equal(verdict_of(&p, "getuid"), ALLOW);
        assert_int_equal(verdict_of(&p, "getgroups"), ALLOW);
        assert_int_equal(verdict_of(&p, "capset"), ALLOW);
        assert_int_equal(verdict_of(&p, "keyctl"), DENY(EPERM));
        assert_int_equal(verdict_in(&p, seccomp_arch_native(), SYS_clone, CLONE_NEWUSER, 0), DENY(EPERM));
}

static void test_fake_ids_with_a_deny_keeps_that_call_refused(void **state)
{
        static const char *const deny[] = { "chown", "setgroups", NULL };
        _cleanup_(seccomp_prog_free) struct seccomp_prog p = { 0 };

        (void)state;
        build_fake_ids(deny, &p);
        assert_int_equal(verdict_of(&p, "chown"), DENY(EPERM));
        assert_int_equal(verdict_of(&p, "setgroups"), DENY(EPERM));
        assert_int_equal(verdict_of(&p, "fchown"), DENY(0));
        assert_int_equal(verdict_of(&p, "setuid"), DENY(0));
}

static void test_an_unknown_call_name_is_an_error(void **state)
{
        static const char *const deny[] = { "ptrace", "no_such_call", NULL };
        struct seccomp_opts opts = { .deny = deny };
        struct seccomp_prog p = { 0 };
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(seccomp_build(&opts, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "no_such_call"));
        assert_null(p.insns);
}

/* Why deny_personality() is a union of rules: if this starts failing,
   libseccomp accepts two comparisons on one argument and the rule can be
   written directly. */
static void test_libseccomp_refuses_two_comparisons_on_one_argument(void **state)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        (void)state;
        assert_non_null(ctx);
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 2,
                             SCMP_A0(SCMP_CMP_NE, 0, 0), SCMP_A0(SCMP_CMP_NE, 0xffffffff, 0));
        seccomp_release(ctx);
        assert_int_equal(r, -EINVAL);
}

/* ---- the program, loaded ---- */

struct probe {
        long ret;
        int err;
};

#define PROBE(call) ({ errno = 0; long _r = (call); (struct probe){ _r, _r < 0 ? errno : 0 }; })

/* Runs fn in a child, under filter when it is not NULL, and returns what
   fn saw, or { LONG_MIN, -signal } if the child was killed; *child gets
   the child's pid. */
static struct probe run_probe(struct probe (*fn)(void), const struct seccomp_prog *filter, pid_t *child)
{
        struct probe p = { 0, 0 };
        int fds[2], status;
        ssize_t n;
        pid_t pid;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static const int fatal[] = { SIGSEGV, SIGILL, SIGBUS, SIGFPE, SIGSYS };
                struct nook_err e = { 0 };

                /* cmocka's handlers would longjmp the child back into the
                   test runner; a crash must end the child instead. */
                for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
                        signal(fatal[i], SIG_DFL);
                close(fds[0]);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(10);
                if (filter && seccomp_prog_load(filter, &e) < 0) {
                        dprintf(2, "seccomp_prog_load: %s\n", e.msg);
                        _exit(11);
                }
                p = fn();
                _exit(write(fds[1], &p, sizeof(p)) == sizeof(p) ? 0 : 12);
        }
        close(fds[1]);
        n = read(fds[0], &p, sizeof(p));
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (child)
                *child = pid;
        if (WIFSIGNALED(status))
                return (struct probe){ LONG_MIN, -WTERMSIG(status) };
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(n, sizeof(p));
        return p;
}

static struct probe confined(struct probe (*fn)(void))
{
        return run_probe(fn, &prog, NULL);
}

static void assert_fails(struct probe p, int err)
{
        if (p.ret == LONG_MIN)
                fail_msg("the probe child died of signal %d", -p.err);
        if (p.ret != -1 || p.err != err)
                fail_msg("got %ld (errno %d: %s), want -1 with errno %d (%s)",
                         p.ret, p.err, strerror(p.err), err, strerror(err));
}

static struct probe unshare_newuser(void)
{
        return PROBE(syscall(SYS_unshare, CLONE_NEWUSER));
}

static void test_unshare_of_a_user_namespace_fails_eperm(void **state)
{
        (void)state;
        assert_fails(confined(unshare_newuser), EPERM);
}

static struct probe clone_newuser(void)
{
        struct probe p = PROBE(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));

        /* Should the filter let it through, do no more than report it. */
        if (p.ret == 0)
                _exit(0);
        if (p.ret > 0)
                waitpid(p.ret, NULL, 0);
        return p;
}

static void test_clone_of_a_user_namespace_fails_eperm(void **state)
{
        (void)state;
        assert_fails(confined(clone_newuser), EPERM);
}

static struct probe clone3_any(void)
{
        /* size 0 is invalid, so without the filter this is EINVAL, never a child. */
        return PROBE(syscall(SYS_clone3, NULL, 0));
}

static void test_clone3_fails_enosys(void **state)
{
        (void)state;
        assert_fails(confined(clone3_any), ENOSYS);
}

static void *thread_main(void *arg)
{
        return arg;
}

static struct probe threads_and_fork(void)
{
        pthread_t t;
        void *res = NULL;
        int status = -1;
        pid_t pid;

        /* glibc tries clone3 first and must fall back to clone. */
        errno = pthread_create(&t, NULL, thread_main, (void *)42);
        if (errno || pthread_join(t, &res) != 0 || res != (void *)42)
                return (struct probe){ -1, errno };
        pid = fork();
        if (pid == 0)
                _exit(7);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return (struct probe){ -1, errno };
        return (struct probe){ WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0 };
}

static void test_threads_and_fork_still_work(void **state)
{
        struct probe p;

        (void)state;
        p = confined(threads_and_fork);
        assert_int_equal(p.err, 0);
        assert_int_equal(p.ret, 7);
}

static struct probe personality_no_aslr(void)
{
        return PROBE(personality(ADDR_NO_RANDOMIZE));
}

static struct probe personality_query(void)
{
        return PROBE(personality(0xffffffff));
}

static struct probe personality_high_bits(void)
{
        return PROBE(syscall(SYS_personality, 1UL << 32));
}

static void test_personality_flags_fail_eperm(void **state)
{
        (void)state;
        assert_fails(confined(personality_no_aslr), EPERM);
        assert_fails(confined(personality_high_bits), EPERM);
}

static void test_personality_query_succeeds(void **state)
{
        struct probe p;

        (void)state;
        p = confined(personality_query);
        assert_int_equal(p.err, 0);
        assert_true(p.ret >= 0);
}

static struct probe tiocsti_high_bits(void)
{
        /* /dev/null is no terminal: should the filter fail, this is ENOTTY,
           never a keystroke injected anywhere. */
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        char c = 'x';

        return PROBE(syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI | 1UL << 32, &c));
}

static void test_tiocsti_with_high_bits_fails_eperm(void **state)
{
        (void)state;
        assert_fails(confined(tiocsti_high_bits), EPERM);
}

static struct probe keyctl_session(void)
{
        /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, no creation */
        return PROBE(syscall(SYS_keyctl, 0, -3, 0));
}

static void test_keyctl_fails_eperm(void **state)
{
        (void)state;
        assert_fails(confined(keyctl_session), EPERM);
}

static struct probe getpid_raw(void)
{
        return PROBE(syscall(SYS_getpid));
}

static void test_getpid_still_works(void **state)
{
        struct probe p;
        pid_t child;

        (void)state;
        p = run_probe(getpid_raw, &prog, &child);
        assert_int_equal(p.ret, child);
}

#ifdef __x86_64__
static struct probe int80_getpid(void)
{
        long ret = 20;  /* i386 __NR_getpid */

        /* The compat entry may clear r8-r11 on the way back. */
        __asm__ volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory", "cc");
        return (struct probe){ ret, 0 };
}

static void test_i386_calls_get_enosys(void **state)
{
        struct probe p;
        pid_t child;

        (void)state;
        p = run_probe(int80_getpid, NULL, &child);
        if (p.ret != child)
                skip();         /* this kernel runs no i386 code at all */
        p = confined(int80_getpid);
        assert_int_equal(p.ret, -ENOSYS);
}

static struct probe x32_getpid(void)
{
        return PROBE(syscall(X32_SYSCALL_BIT | SYS_getpid));
}

/* Only proves something on a kernel with CONFIG_X86_X32_ABI (elsewhere the
   kernel says ENOSYS itself); test_x32_calls_get_enosys covers the rest. */
static void test_x32_getpid_fails_enosys(void **state)
{
        (void)state;
        assert_fails(confined(x32_getpid), ENOSYS);
}
#endif

static char fake_file[] = "/tmp/nook-test-seccomp.XXXXXX";

/* Another id than every one the test may run as. */
#define OTHER_ID 4242

static struct probe drop_to_other_ids(void)
{
        gid_t groups[] = { OTHER_ID };
        uid_t ruid = getuid();
        gid_t rgid = getgid();
        struct probe p = PROBE(setgroups(1, groups));

        if (p.ret == 0)
                p = PROBE(setresgid(OTHER_ID, OTHER_ID, OTHER_ID));
        if (p.ret == 0)
                p = PROBE(setresuid(OTHER_ID, OTHER_ID, OTHER_ID));
        if (p.ret == 0)
                p = PROBE(setuid(OTHER_ID));
        /* success without effect: still the ids it had */
        if (p.ret == 0 && (getuid() != ruid || geteuid() != ruid || getgid() != rgid))
                return (struct probe){ -2, 0 };
        return p;
}

static void test_fake_ids_id_changes_succeed_and_keep_the_ids(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog fake = { 0 };
        struct probe p;

        (void)state;
        build_fake_ids(NULL, &fake);
        p = run_probe(drop_to_other_ids, &fake, NULL);
        if (p.ret != 0)
                fail_msg("got %ld (errno %d: %s), want 0 and the ids unchanged (-2: they changed)", p.ret, p.err,
                         strerror(p.err));
}

static struct probe chown_to_other_ids(void)
{
        int fd = open(fake_file, O_RDONLY | O_CLOEXEC);
        struct probe p = PROBE(chown(fake_file, OTHER_ID, OTHER_ID));

        if (p.ret == 0)
                p = PROBE(lchown(fake_file, OTHER_ID, -1));
        if (p.ret == 0)
                p = PROBE(fchown(fd, -1, OTHER_ID));
        if (p.ret == 0)
                p = PROBE(fchownat(AT_FDCWD, fake_file, OTHER_ID, OTHER_ID, 0));
        return p;
}

static void test_fake_ids_chown_succeeds_and_keeps_the_owner(void **state)
{
        _cleanup_(seccomp_prog_free) struct seccomp_prog fake = { 0 };
        _cleanup_close_ int fd = mkstemp(fake_file);
        struct stat st;
        struct probe p;

        (void)state;
        assert_true(fd >= 0);
        build_fake_ids(NULL, &fake);
        p = run_probe(chown_to_other_ids, &fake, NULL);
        assert_int_equal(stat(fake_file, &st), 0);
        unlink(fake_file);
        if (p.ret != 0)
                fail_msg("got %ld (errno %d: %s), want 0", p.ret, p.err, strerror(p.err));
        assert_int_equal(st.st_uid, getuid());
        assert_int_equal(st.st_gid, getgid());
}

static struct probe load_without_nnp(void)
{
        struct nook_err e = { 0 };
        int r = seccomp_prog_load(&prog, &e);

        return (struct probe){ r, r < 0 && strstr(e.msg, "no_new_privs") ? 0 : -r };
}

static void test_loading_without_no_new_privs_says_so(void **state)
{
        int fds[2], status;
        struct probe p = { 0, 0 };
        pid_t pid;

        (void)state;
        if (geteuid() == 0)
                skip();         /* CAP_SYS_ADMIN may load without no_new_privs */
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                p = load_without_nnp();
                _exit(write(fds[1], &p, sizeof(p)) == sizeof(p) ? 0 : 12);
        }
        close(fds[1]);
        assert_int_equal(read(fds[0], &p, sizeof(p)), sizeof(p));
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(p.ret, -EACCES);
        assert_int_equal(p.err, 0);
}

static void test_loading_an_empty_program_is_einval(void **state)
{
        struct seccomp_prog empty = { 0 };
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(seccomp_prog_load(&empty, &e), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_default_gives_a_program),
                cmocka_unit_test(test_every_listed_call_is_denied_with_its_errno),
                cmocka_unit_test(test_ordinary_calls_are_allowed),
                cmocka_unit_test(test_clone_with_any_namespace_flag_is_denied),
                cmocka_unit_test(test_clone_for_fork_and_threads_is_allowed),
                cmocka_unit_test(test_tty_injection_ioctls_are_denied_whatever_the_high_bits),
                cmocka_unit_test(test_personality_allows_only_linux_and_the_query),
                cmocka_unit_test(test_foreign_architectures_get_enosys),
#ifdef __x86_64__
                cmocka_unit_test(test_x32_calls_get_enosys),
#endif
                cmocka_unit_test(test_extra_deny_refuses_a_call_with_eperm),
                cmocka_unit_test(test_allow_lifts_a_default_deny),
                cmocka_unit_test(test_notify_leaves_the_socket_refusals_as_they_are),
                cmocka_unit_test(test_audit_sends_what_is_refused_whole_to_the_supervisor_with_its_errno),
                cmocka_unit_test(test_audit_refuses_what_the_filter_refuses_with_its_errno),
                cmocka_unit_test(test_socket_families_hold_beside_the_tcp_only_rules),
                cmocka_unit_test(test_extra_deny_of_a_checked_call_refuses_every_call),
                cmocka_unit_test(test_extra_deny_of_clone3_keeps_enosys),
                cmocka_unit_test(test_the_default_filter_allows_every_socket),
                cmocka_unit_test(test_tcp_only_allows_tcp_unix_and_netlink),
                cmocka_unit_test(test_tcp_only_refuses_udp_raw_sctp_mptcp_and_other_families_eacces),
                cmocka_unit_test(test_tcp_only_refuses_exactly_what_landlock_cannot_see),
                cmocka_unit_test(test_tcp_only_keeps_io_uring_and_sockets_refused_whatever_allow_says),
                cmocka_unit_test(test_tcp_only_with_a_deny_of_socket_refuses_every_socket),
                cmocka_unit_test(test_the_default_filter_lets_chown_and_id_changes_through),
                cmocka_unit_test(test_fake_ids_answers_chown_and_id_changes_with_success),
                cmocka_unit_test(test_fake_ids_with_a_deny_keeps_that_call_refused),
                cmocka_unit_test(test_an_unknown_call_name_is_an_error),
                cmocka_unit_test(test_libseccomp_refuses_two_comparisons_on_one_argument),
                cmocka_unit_test(test_unshare_of_a_user_namespace_fails_eperm),
                cmocka_unit_test(test_clone_of_a_user_namespace_fails_eperm),
                cmocka_unit_test(test_clone3_fails_enosys),
                cmocka_unit_test(test_threads_and_fork_still_work),
                cmocka_unit_test(test_personality_flags_fail_eperm),
                cmocka_unit_test(test_personality_query_succeeds),
                cmocka_unit_test(test_tiocsti_with_high_bits_fails_eperm),
                cmocka_unit_test(test_keyctl_fails_eperm),
                cmocka_unit_test(test_getpid_still_works),
#ifdef __x86_64__
                cmocka_unit_test(test_i386_calls_get_enosys),
                cmocka_unit_test(test_x32_getpid_fails_enosys),
#endif
                cmocka_unit_test(test_fake_ids_id_changes_succeed_and_keep_the_ids),
                cmocka_unit_test(test_fake_ids_chown_succeeds_and_keeps_the_owner),
                cmocka_unit_test(test_loading_without_no_new_privs_says_so),
                cmocka_unit_test(test_loading_an_empty_program_is_einval),
        };

        return cmocka_run_group_tests(tests, build_default, free_default);
}
