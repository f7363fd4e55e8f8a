/* `nook run`: options to a spec, then plan and launch. The exit statuses
   every command shares. */
#pragma once

enum { NOOK_EXIT_FAILURE = 125, NOOK_EXIT_CANNOT_RUN = 126, NOOK_EXIT_NOT_FOUND = 127 };

/* The whole subcommand; returns the process exit status. */
int cmd_run(int argc, char **argv);
