/* An OCI runtime bundle (a directory with config.json and a root
   filesystem) read into what `nook oci run` needs of it: the root, the
   process (args, env, cwd, user), the bind and tmpfs mounts, the hostname,
   and whether it has a network namespace of its own. Pure: nothing is made
   or started. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct oci_mount {
        bool tmpfs;             /* else a bind */
        bool ro;                /* a bind's "ro" */
        char *src;              /* a bind's source, absolute */
        char *dst;              /* absolute inside the container */
        char *tmpfs_opts;       /* "size=N,mode=0NNN" (those two only), or NULL */
};

struct oci_bundle {
        char *dir;              /* the bundle's real path */
        char *rootfs;           /* root.path's real path */
        char **args;            /* process.args, NULL-terminated, at least one */
        size_t n_args;
        char **env;             /* process.env, each NAME=VALUE */
        size_t n_env;
        char *cwd;              /* process.cwd, absolute ("/" when absent) */
        uint32_t uid, gid;      /* process.user */
        char *hostname;         /* NULL when absent */
        struct oci_mount *mounts;
        size_t n_mounts;
        bool private_net;       /* linux.namespaces names "network" */
        bool terminal;          /* process.terminal */
};

/* Reads dir/config.json. root.path, when relative, must stay inside the
   bundle (symlinks included: openat2 RESOLVE_BENEATH); an absolute one
   (Slurm's rewritten config.json names the user's bundle from its spool
   directory) may not be a symbolic link itself. A mount of a kind nook does not honour, a
   missing field, bad JSON: one line in e, -EINVAL (or the errno). */
int oci_bundle_read(const char *dir, struct oci_bundle *b, struct nook_err *e);
void oci_bundle_free(struct oci_bundle *b);
