/* Mode=slirp: slirp4netns gives the sandbox's network namespace a way out,
   and publishes its ports through its API socket. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"
#include "netns/net.h"

struct slirp {
        pid_t pid;              /* for the run state; signals go through pidfd */
        int pidfd;
        int exit_fd;            /* closing it ends slirp4netns */
        char *api;              /* the API socket */
        char *log;              /* its stderr */
};

/* Starts slirp4netns for the network namespace of child (whose ids are
   mapped already), inside the child's user namespace and sandboxed there
   (--enable-sandbox --enable-seccomp), and waits until the tap is up. */
int slirp_start(pid_t child, const struct net_config *net, const char *rundir, struct slirp *s, struct nook_err *e);

/* Publishes one port through the API socket. */
int slirp_publish(const struct slirp *s, const struct net_port *p, struct nook_err *e);

/* Asks slirp4netns which ports it forwards (list_hostfwd) and checks that
   every one of ports is among them: nothing starts on a promise. */
int slirp_verify_published(const struct slirp *s, const struct net_port *ports, size_t n, struct nook_err *e);

/* The check itself, on the text of a list_hostfwd reply; either shape is
   understood (entries under "return", or at the top). */
int slirp_check_listed(const char *reply_text, const struct net_port *ports, size_t n, struct nook_err *e);

/* Ends slirp4netns without waiting for it: it exits on its own once its
   exit fd is closed (15-65 ms), and nook's subreaper reaps it; one that
   does not is killed with nook (PR_SET_PDEATHSIG). */
void slirp_stop(struct slirp *s);
