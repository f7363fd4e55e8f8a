/* Checks of a spec against the host, made before anything starts: bind
   sources, devices, --fd, hard limits, and whether the network keys fit
   the mode (the resolv.conf and egress rules they need are made here). */
#pragma once

#include "lib/err.h"
#include "spec/host.h"
#include "spec/spec.h"

/* 0, or a negative errno with e filled: the first problem found. */
int run_check(struct nook_spec *s, const struct host_facts *h, struct nook_err *e);
