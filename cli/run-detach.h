/* nook run -d: the sandbox goes on in a child of its own session, its
   output through a relay into a log; the caller waits until it has started
   (or failed), says which, and returns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What -d needs to know before anything else: whether it is asked for (a
   quick parse; any error is the full parse's to report, in the foreground),
   and the --fd it must pass on. */
struct detach {
        int *keep;
        size_t n_keep;
        int max_fd;     /* the highest of them, or 2 */
};

bool run_wants_detach(int argc, char **argv, struct detach *d);
/* Returns the caller's exit status, or -1 in the child, which goes on as
   the sandbox's nook with *ready_fd and log set. */
int run_detached(const struct detach *d, char *log, size_t log_size, int *ready_fd);
