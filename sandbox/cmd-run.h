/* `nook run`: options to a spec, then plan and launch. */
#pragma once

#include "sandbox/err.h"
#include <stdio.h>

#include "sandbox/spec.h"

enum { NOOK_EXIT_FAILURE = 125, NOOK_EXIT_CANNOT_RUN = 126, NOOK_EXIT_NOT_FOUND = 127 };

/* Parses `nook run` options (argv[0] is "run") into spec. Returns 0, or 1
   when --help was printed, or a negative errno with e filled. */
int run_parse_args(int argc, char **argv, struct nook_spec *spec, struct nook_err *e);

/* The whole subcommand; returns the process exit status. */
int cmd_run(int argc, char **argv);

void run_usage(FILE *out);
