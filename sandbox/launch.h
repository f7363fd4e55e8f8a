/* Namespaces, identities and the new root: the only part of nook that
   applies a plan to the kernel. It decides nothing on its own. */
#pragma once

#include "lib/err.h"
#include "spec/host.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"
#include "spec/spec.h"
#include "cred/userns.h"

/* A squashfs image's reader, nook-squashfs: started as soon as the spec
   names the image and its ids (run_prepare), so that its start overlaps
   the rest of nook's and the sandbox's; or by launch_run. */
struct squashfs_helper {
        pid_t pid;              /* -1: not started */
        int pidfd;
        int sock;               /* its /dev/fuse goes down it, its "ready" comes up */
        struct seccomp_prog filter;
};

#define SQUASHFS_HELPER_INIT { .pid = -1, .pidfd = -1, .sock = -1 }

/* Nothing when the spec's image is not squashfs. */
int squashfs_helper_start(const struct nook_spec *s, struct squashfs_helper *q, struct nook_err *e);
/* Kills it (it serves a read-only layer: nothing is lost). */
void squashfs_helper_stop(struct squashfs_helper *q);

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
        struct squashfs_helper *squashfs;       /* started by the caller, taken over
                                                   here; NULL or not started: started here */
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
