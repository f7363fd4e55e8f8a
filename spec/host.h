/* The few facts about the host that the plan depends on, read once before the
   plan is built so plan_build() stays pure and testable with made-up hosts. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

enum host_node { HOST_ABSENT = 0, HOST_DIR, HOST_SYMLINK, HOST_FILE };

/* A top-level directory that may be a merged-/usr symlink (/bin -> usr/bin). */
struct host_top {
        const char *name;               /* "/bin" */
        enum host_node kind;
        char target[PATH_MAX];          /* for HOST_SYMLINK */
};

struct host_facts {
        uid_t uid;
        gid_t gid;
        char *home;                     /* absolute, normalised */
        char *home_real;                /* the same without symlinks, or NULL */
        char *cwd;                      /* absolute, or NULL when unreachable */
        /* read by host_facts_read_dns(), only for a sandbox that shows them */
        bool dns_read;
        char *resolv_conf;              /* the host's /etc/resolv.conf, for images */
        char *resolved_upstream;        /* systemd-resolved's upstream servers, or NULL */
        char hostname[65];
        char *nook_config;              /* $XDG_CONFIG_HOME/nook: never writable inside */
        char *nook_run[3];              /* nook's run directories, without symlinks:
                                           hidden wherever a bind shows them */
        size_t n_nook_run;
        bool has_opt;
        struct host_top top[6];
        size_t n_top;
};

int host_facts_read(struct host_facts *h, struct nook_err *e);
/* Reads resolv_conf and resolved_upstream, once: what an image sandbox
   or one with a network of its own (slirp, pasta) shows as its
   /etc/resolv.conf. A host sandbox otherwise sees the host's /etc and
   needs neither. */
void host_facts_read_dns(struct host_facts *h);
void host_facts_free(struct host_facts *h);
