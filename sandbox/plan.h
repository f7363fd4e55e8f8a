/* The plan: what the kernel must be told, in order, to build the sandbox's
   root from a spec. plan_build() is pure; launch only walks the steps. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/err.h"
#include "spec/host.h"
#include "spec/spec.h"

enum step_kind {
        STEP_BIND,       /* host src onto dst */
        STEP_TMPFS,      /* fresh tmpfs at dst (size, mode) */
        STEP_PROC,       /* procfs of the sandbox's pid namespace at dst */
        STEP_DEVPTS,     /* a new devpts instance at dst */
        STEP_SYMLINK,    /* dst -> src */
        STEP_REMOUNT_RO, /* dst bound onto itself, read-only, recursively */
        STEP_PIN,        /* dst bound onto itself, recursively, as it is: a mount
                            point cannot be renamed or removed */
        STEP_MASK,       /* dst hidden under an empty read-only node */
        STEP_SEAL_RO,    /* the mount at dst made read-only, once populated */
        STEP_FILE,       /* a read-only file at dst holding the text src (/etc/hosts) */
};

enum step_flags {
        STEP_RO = 1 << 0,       /* read-only */
        STEP_TRY = 1 << 1,      /* skip quietly when the source or target is missing */
        STEP_DEV = 1 << 2,      /* a device node: keep it usable (no nodev) */
        STEP_NULL = 1 << 3,     /* MASK with /dev/null (reads as empty) instead of mode 0000 */
        STEP_OWN = 1 << 4,      /* BIND of what nook made for this very sandbox in
                                   its run directory (its D-Bus proxy's socket) */
        STEP_LINK = 1 << 5,     /* BIND of a source that is a symlink: the same
                                   symlink is made at dst instead (PrivateEtc=) */
        STEP_EXACT = 1 << 6,    /* BIND whose source was its real path when the
                                   plan was made (and checked) from it: kept as
                                   it is, and a link on it at the start fails it */
};

struct step {
        enum step_kind kind;
        char *src;
        char *dst;              /* absolute, inside the new root */
        unsigned flags;
        uint64_t size;          /* tmpfs bytes, 0 = kernel default */
        mode_t mode;            /* tmpfs root mode */
        uid_t uid;              /* tmpfs root owner; -1: the mounter */
        gid_t gid;
};

struct plan {
        struct step *steps;
        size_t n;
        /* pid 1's namespaces, set up before its root and before any
           capability is dropped, so that the command can never change them */
        char *hostname;         /* its UTS name; NULL: the host's */
        bool loopback;          /* bring lo up: a network namespace of its own */
        char *egress;           /* the nftables ruleset loaded there; NULL: none */
        /* An image's root: kernel overlayfs, fuse-overlayfs, or kernel
           overlayfs first and fuse-overlayfs when the kernel refuses it (in
           a user namespace, or on the layers' file system: a refusal is
           learned only by trying). Both false: no image, a tmpfs root. */
        bool overlay_kernel;
        bool overlay_fuse;
        /* Where the command starts: the first candidate that exists inside.
           With --chdir there is exactly one and it must exist. */
        char *chdir[3];
        size_t n_chdir;
        bool chdir_strict;
        bool cwd_is_home;       /* the current directory was left unbound: it is
                                   the home directory or above it */
};

int plan_build(const struct nook_spec *spec, const struct host_facts *host, struct plan *out,
               struct nook_err *e);
void plan_free(struct plan *p);

const char *step_kind_name(enum step_kind k);
/* One line such as "bind-ro /usr -> /usr" (no newline), never cut short:
   to free; NULL when memory runs out. */
char *step_describe(const struct step *s);
