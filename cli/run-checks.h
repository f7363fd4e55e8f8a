/* Checks of a spec against the host, made before anything starts: bind
   sources, devices, --fd, hard limits, and whether the network keys fit
   the mode (the resolv.conf and egress rules they need are made here). */
#pragma once

#include "lib/err.h"
#include "spec/host.h"
#include "spec/spec.h"

int run_check_host_inputs(const struct nook_spec *s, struct nook_err *e);
int run_check_network(struct nook_spec *s, const struct host_facts *h, struct nook_err *e);
