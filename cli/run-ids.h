/* The ids of an image sandbox, decided before its plan and filter: the
   map (a subordinate range, or the caller's one id as root) and, from it,
   FakeIds= (spec/fake-ids.h), with what faked ids need in the image. */
#pragma once

#include "cli/run-prepare.h"

/* Fills rs->map (an image sandbox's; none for a host sandbox) and
   rs->spec.fake_ids; with fake ids and apt in the image, binds nook's apt
   configuration for them. */
int run_choose_ids(struct run_setup *rs, const char *fake_ids_default, struct nook_err *e);
