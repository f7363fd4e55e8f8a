/* A network namespace made beside pid 1's other work: pid 1 starts it
   before it builds the sandbox's root and joins it after. Making one costs
   the kernel about as much as half of the root's mounts (its sysctl tables,
   lo and its addresses), and on a machine of two cores or more a thread of
   pid 1 makes it while pid 1 mounts. Only for a namespace nothing outside
   joins while pid 1 sets up: lo alone, no egress rules, no slirp4netns or
   pasta (those join pid 1's namespace as soon as nook starts them). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "lib/err.h"

struct netns_early {
        pthread_t thread;
        bool started;           /* the thread runs; false: joining makes it */
        int proc;               /* the host's /proc, where the thread finds its namespace */
        int ns;                 /* the thread's namespace, once it is made */
        int rc;
        struct nook_err e;
};

/* Starts the thread; it cannot fail: what does not start here is done by
   netns_early_join itself. */
void netns_early_start(struct netns_early *n);

/* The thread's namespace, lo up, made pid 1's own (setns). Done in the
   caller when the thread did not start. */
int netns_early_join(struct netns_early *n, struct nook_err *e);
