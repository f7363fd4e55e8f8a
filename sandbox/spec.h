/* What the user asked for, as pure data. Built from the command line (and,
   later, profiles); turned into a plan by plan_build(). Nothing here touches
   the kernel. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/err.h"

enum spec_seccomp { SPEC_SECCOMP_DEFAULT = 0, SPEC_SECCOMP_NONE };

enum spec_bind_flags {
        SPEC_BIND_RO = 1 << 0,    /* read-only */
        SPEC_BIND_TRY = 1 << 1,   /* skip when the source is missing */
};

struct spec_bind {
        char *src;      /* host path, absolute */
        char *dst;      /* sandbox path, absolute, normalised */
        unsigned flags; /* spec_bind_flags */
};

struct spec_tmpfs {
        char *dst;
        uint64_t size;  /* bytes; 0 = the kernel's default (half of RAM) */
};

enum spec_env_op { SPEC_ENV_SET, SPEC_ENV_UNSET };

struct spec_env {
        enum spec_env_op op;
        char *arg;      /* "K=V" for SET, "K" for UNSET */
};

struct nook_spec {
        char **argv;            /* the command; NULL-terminated */

        struct spec_bind *binds;
        size_t n_binds;
        struct spec_tmpfs *tmpfs;
        size_t n_tmpfs;
        char **hide;
        size_t n_hide;

        struct spec_env *env;   /* applied in order, after clearenv */
        size_t n_env;
        bool clearenv;

        char *chdir;            /* NULL: the current directory, else $HOME, else / */
        char *hostname;         /* NULL: keep the host's */

        bool uid_set, gid_set;
        uid_t uid;              /* inside; default: the caller's own */
        gid_t gid;

        bool share_net;
        bool no_cwd;
        enum spec_seccomp seccomp;

        int *keep_fds;          /* --fd N: passed to the command */
        size_t n_keep_fds;

        int verbose;
};

void spec_init(struct nook_spec *s);
void spec_free(struct nook_spec *s);

/* Appenders used by the CLI (and later the profile parser); each validates
   its input and fills e with a message naming the value on error. */
int spec_add_bind(struct nook_spec *s, const char *arg, unsigned flags, struct nook_err *e);
int spec_add_tmpfs(struct nook_spec *s, const char *arg, struct nook_err *e);
int spec_add_hide(struct nook_spec *s, const char *path, struct nook_err *e);
int spec_add_env(struct nook_spec *s, enum spec_env_op op, const char *arg, struct nook_err *e);
int spec_add_fd(struct nook_spec *s, const char *arg, struct nook_err *e);
int spec_set_id(struct nook_spec *s, bool is_gid, const char *arg, struct nook_err *e);
