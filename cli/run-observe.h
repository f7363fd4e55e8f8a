/* The launch with nook's observer (sandbox/observe.c): nook learn's, and
   nook run --audit's. */
#pragma once

#include <stdbool.h>

#include "cli/run-detach.h"
#include "cli/run-prepare.h"
#include "lib/err.h"
#include "sandbox/observe.h"

/* Launches rs (prepared) with the run's usual filter plus notify rules on
   the observed calls, nothing refused less, and the observer on nook's
   end (audit: see observe_start); what it saw goes to seen. Seccomp=none
   is refused: there is no filter to observe through. */
int run_observed(struct run_setup *rs, const struct detached *bg, bool audit, struct observed *seen, int *status,
                 struct nook_err *e);
