/* Mode=slirp: slirp4netns gives the sandbox's network namespace a way out,
   and publishes its ports through its API socket. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/err.h"
#include "sandbox/spec.h"

struct slirp {
        pid_t pid;
        int exit_fd;            /* closing it ends slirp4netns */
        char *api;              /* the API socket */
        char *log;              /* its stderr */
};

/* Starts slirp4netns for the network namespace of child (whose ids are
   mapped already) and waits until the tap device is up. root_inside: the
   user is root of the child's user namespace (an image sandbox). */
int slirp_start(pid_t child, const struct nook_spec *spec, bool root_inside, const char *rundir, struct slirp *s,
                struct nook_err *e);

/* Publishes one port through the API socket. */
int slirp_publish(const struct slirp *s, const struct spec_port *p, struct nook_err *e);

/* Ends slirp4netns without waiting for it: it exits on its own once its
   exit fd is closed (15-65 ms), and nook's subreaper reaps it. */
void slirp_stop(struct slirp *s);
