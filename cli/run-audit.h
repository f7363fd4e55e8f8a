/* nook run --audit: the run with nook's observer asking, of every path
   named, whether the sandbox shows what the host has; at the end, what the
   command tried that the sandbox refused or did not show, each with the
   profile line that would allow it. */
#pragma once

#include <stdio.h>

#include "cli/run-detach.h"
#include "cli/run-prepare.h"
#include "lib/err.h"
#include "sandbox/observe.h"

/* The report, from what an audited run's observer saw. */
void run_audit_write(FILE *f, const struct observed *o, const struct nook_spec *s, const char *home);

/* The launch (run_observed, audit on), then the report on stderr: the
   terminal, or with -d the log, which nook logs shows. */
int run_audited(struct run_setup *rs, const struct detached *bg, int *status, struct nook_err *e);
