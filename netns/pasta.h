/* Mode=pasta: the same way out through pasta (Debian's passt package),
   addressed like slirp4netns (10.0.2.100/24, gateway 10.0.2.2, DNS
   10.0.2.3) so that profiles and rules read the same for both. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"
#include "netns/net.h"

/* Starts pasta in the foreground for child's network namespace (dying with
   nook), with the published ports of net, and waits until the namespace has its
   route out. Returns pasta's pid (for the run state), with *pidfd, through
   which every later signal and wait goes. */
pid_t pasta_start(pid_t child, const struct net_config *net, const char *rundir, int *pidfd, struct nook_err *e);

/* Ends it, without waiting for it to be gone; closes and clears *pidfd. */
void pasta_stop(int *pidfd);
