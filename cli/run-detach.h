/* nook run -d: the sandbox goes on in a child of its own session, its
   output through a relay into a log; the caller waits until it has started
   (or failed), says which, and returns. */
#pragma once

/* Where this process stands after run_detach. */
enum detach_side {
        DETACH_NOT_ASKED,       /* no -d: the sandbox's nook, in the foreground */
        DETACH_CALLER,          /* -d, the caller's side: done, with its exit status */
        DETACH_SANDBOX,         /* -d, the child: the sandbox's nook, in the background */
};

/* What the sandbox's nook in the background is given. */
struct detached {
        int ready_fd;           /* the launch writes a byte here once the command runs; -1 */
        char *log;              /* the log its output goes to, or NULL: free() it */
};

/* Looks for -d in argv (a quick parse: any error is the full parse's to
   report, in the foreground) and, when it is there, forks: the caller
   waits, prints the sandbox's ID or what it said before it failed, and
   gets DETACH_CALLER with *status set; the child gets DETACH_SANDBOX with
   bg set. bg is always initialised. */
enum detach_side run_detach(int argc, char **argv, struct detached *bg, int *status);
