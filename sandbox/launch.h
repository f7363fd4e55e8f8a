/* Namespaces, identities and the new root: the only part of nook that
   applies a plan to the kernel. It decides nothing on its own. */
#pragma once

#include "lib/err.h"
#include "spec/host.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"
#include "spec/spec.h"
#include "cred/userns.h"

struct launch_ctx {
        const struct nook_spec *spec;
        const struct host_facts *host;
        const struct plan *plan;
        const struct seccomp_prog *seccomp;     /* NULL: no filter */
        const struct userns_map *map;           /* images: the id mapping; NULL: the
                                                   caller's own ids, single */
        int ready_fd;                           /* -d: "1" written there once the
                                                   sandbox runs; -1: none */
        const char *log;                        /* -d: where its output goes, or NULL */
        int notify_sock;                        /* nook learn: where the command sends
                                                   its seccomp listener; 0 or -1: none */
};

/* Whether the sandbox's user namespace maps root to the caller and the
   command moves into a namespace of its own below it, with the ids it would
   have had: a host sandbox (the caller keeps their uid inside) with
   Mode=slirp, where slirp4netns must be root in a namespace that owns the
   sandbox's network to sandbox itself (--enable-sandbox). */
bool launch_nests_userns(const struct nook_spec *spec, const struct host_facts *host, bool mapped);

/* Runs the sandbox to its end. On success *status is the exit status for
   `nook run` (the command's, 128+N, or 125/126/127 reported by the sandbox
   itself, which then has printed its own message). */
int launch_run(const struct launch_ctx *c, int *status, struct nook_err *e);
