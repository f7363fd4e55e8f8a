/* `nook run`: options to a spec, then plan and launch. The exit statuses
   every command shares. */
#pragma once

enum { NOOK_EXIT_FAILURE = 125, NOOK_EXIT_CANNOT_RUN = 126, NOOK_EXIT_NOT_FOUND = 127 };

struct detached;
struct nook_err;
struct run_setup;

/* The whole subcommand; returns the process exit status. */
int cmd_run(int argc, char **argv);
/* Its last step, for a prepared run (run_prepare): the name claimed, the
   sandbox launched and waited for; *status the command's exit status.
   nook oci run uses it between its checks and its state. */
int cmd_run_launch(struct run_setup *rs, const struct detached *bg, int *status, struct nook_err *e);
