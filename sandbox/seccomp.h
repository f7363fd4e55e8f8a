/* The seccomp filter of a sandbox: compiled once in the parent with
   libseccomp, loaded in the child as plain BPF. */
#pragma once

#include <linux/filter.h>       /* struct sock_filter */
#include <linux/seccomp.h>      /* struct seccomp_data */
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

/* A compiled filter, ready for the kernel. A zeroed struct is empty; it can
   be declared `_cleanup_(seccomp_prog_free) struct seccomp_prog p = {0};`. */
struct seccomp_prog {
        struct sock_filter *insns;
        unsigned short len;
};

/* Additions to the default filter, from SyscallDeny= and SyscallAllow=.
   Both lists are NULL-terminated system call names; NULL means none.
   `allow` exempts a call from the built-in deny list (the whole entry: for
   clone, ioctl and personality that lifts the argument checks too); a name
   in `deny` is refused with EPERM whatever its arguments, even if it is
   also in `allow`. A name libseccomp does not know is an error (a typo must
   not weaken or silently skip a rule); a name it knows that does not exist
   on this architecture is skipped. */
/* Every field is part of the cache key: seccomp-cache.c key_rules(). */
struct seccomp_opts {
        const char *const *deny;
        const char *const *allow;
        /* Mode=host with Allow=: Landlock limits TCP ports only, so every
           other socket that could leave the host is refused with EACCES
           (socket() of a family but AF_UNIX, AF_NETLINK, AF_INET and
           AF_INET6, and of an inet socket but a plain TCP stream: no UDP,
           raw, SCTP or MPTCP), and io_uring, which makes sockets around
           this filter, stays refused whatever `allow` says. */
        bool tcp_only;
        /* FakeIds=: the chown family and the calls that change ids (setuid,
           setgroups, ...) return 0 and do nothing, so that root in an image
           mapped to one id can run package managers, as enroot does. A
           name also in `deny` stays refused (EPERM). */
        bool fake_ids;
        /* SocketFamilies=: socket(2) of a family whose bit is not set in
           families fails with EAFNOSUPPORT (families_set false: no rule). */
        bool families_set;
        uint64_t families;
        /* MemoryDenyWriteExecute=, as systemd's: mmap of memory both
           writable and executable, mprotect and pkey_mprotect adding
           PROT_EXEC, and shmat with SHM_EXEC fail with EPERM. */
        bool mdwe;
        /* nook learn: the calls of seccomp_observed_calls go to a
           supervisor (SCMP_ACT_NOTIFY), which lets each continue. Added
           to the same filter, after every deny rule, so that nothing is
           refused less; a call the deny rules already name is left to them. */
        bool notify;
        /* nook run --audit, with notify: each call the filter refuses (the
           default list's, SyscallDeny='s and those its arguments refuse:
           clone of a namespace, SocketFamilies=, ...; but not those
           refused with ENOSYS) goes to the supervisor instead, which
           refuses it with the same errno (seccomp_audited_refusals()) once
           noted. A supervisor gone, the kernel refuses it (ENOSYS):
           nothing is let through. */
        bool audit_denies;
};

/* Why the filter refuses a call: what --audit says, with the line of a
   profile that would let it through. */
enum seccomp_refusal_kind {
        REFUSED_WHOLE,          /* the default list refuses every call: SyscallAllow= */
        REFUSED_DENIED,         /* SyscallDeny= names it */
        REFUSED_CLONE_NS,       /* clone() asking for a new namespace */
        REFUSED_TTY_IOCTL,      /* ioctl() TIOCSTI or TIOCLINUX */
        REFUSED_PERSONALITY,    /* personality() with a flag */
        REFUSED_SOCKET_KIND,    /* Mode=host with Allow=: a socket Landlock cannot limit */
        REFUSED_FAMILY,         /* SocketFamilies= leaves the family (argument 0) out */
        REFUSED_MDWE,           /* MemoryDenyWriteExecute=: memory made writable and executable */
};

/* One comparison of a rule: (args[arg] & mask) == datum for
   SCMP_CMP_MASKED_EQ, else args[arg] OP datum, on all 64 bits, as
   libseccomp's (op is its enum scmp_compare). */
struct seccomp_cond {
        unsigned arg;
        int op;
        uint64_t mask, datum;
};

/* A rule audit_denies sends to the supervisor: the call, the errno to
   refuse it with, and the comparisons that must all hold (none: every
   call). A call may have several, one for each way it is refused. */
struct seccomp_refusal {
        int nr;
        int err;
        enum seccomp_refusal_kind kind;
        char name[32];
        unsigned n_conds;
        struct seccomp_cond conds[2];
};

/* The rules audit_denies sends to the supervisor under o (as if
   audit_denies were set), in the filter's order, into a malloc'd *out of
   *n. -ENOMEM. Each is the filter's own rule, made by the same code. */
int seccomp_audited_refusals(const struct seccomp_opts *o, struct seccomp_refusal **out, size_t *n);

/* Whether d, a call of rf's, has the arguments rf refuses. */
bool seccomp_refusal_matches(const struct seccomp_refusal *rf, const struct seccomp_data *d);

/* The calls nook learn observes (NULL-terminated names). */
extern const char *const seccomp_observed_calls[];

/* Builds the default deny-list filter (everything allowed except calls that
   reach kernel attack surface or escape the sandbox's namespaces, and every
   non-native ABI), changed by opts (may be NULL), into *out. Runs in the
   parent before clone, so the sandbox only has to load it. */
int seccomp_build(const struct seccomp_opts *opts, struct seccomp_prog *out, struct nook_err *e);

/* seccomp_build() with no additions. */
int seccomp_build_default(struct seccomp_prog *out, struct nook_err *e);

/* Loads p into the calling thread. The caller has set PR_SET_NO_NEW_PRIVS.
   Does not allocate, so it is safe in a child forked from a threaded
   process. (Not named seccomp_load: libseccomp owns that name.) */
int seccomp_prog_load(const struct seccomp_prog *p, struct nook_err *e);

/* seccomp_prog_load() for a program with notify rules: loads it with
   SECCOMP_FILTER_FLAG_NEW_LISTENER and returns the listener fd in
   *listener (close-on-exec). */
int seccomp_prog_load_listener(const struct seccomp_prog *p, int *listener, struct nook_err *e);

void seccomp_prog_free(struct seccomp_prog *p);
