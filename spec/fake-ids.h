/* FakeIds=: root in an image sandbox with one id mapped has the chown
   family and the id-changing calls answered with success and no effect
   (the seccomp filter's fake_ids), so that package managers run; what
   yes, no and auto mean, decided once before the filter is built. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "spec/spec.h"

/* yes (true, on, 1), no (false, off, 0) or auto. */
int spec_fake_ids_parse(const char *v, enum spec_fake_ids *out, struct nook_err *e);

/* Sets s->fake_ids from s->fake_ids_want. yes and no are what they say;
   auto takes dflt (nook.conf's [Defaults] FakeIds=, SPEC_FAKE_IDS_AUTO when
   it sets none), and auto then means on for an image sandbox whose ids
   are one (one_id: no subordinate range, or --map single). A host sandbox
   keeps the caller's own ids and never fakes them, nor does a sandbox
   without the seccomp filter: FakeIds=yes asked of either is an error, a
   default of yes leaves them off. */
int spec_fake_ids_resolve(struct nook_spec *s, bool one_id, enum spec_fake_ids dflt, struct nook_err *e);
