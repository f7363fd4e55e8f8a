/* The logs of nook run -d: ID.log in the logs directory (runstate_logs_dir),
   written by a relay that caps and rotates them, shown safely on a
   terminal, and pruned once their sandboxes have ended. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A log is rotated when it would grow past RUNLOG_CAP bytes: ID.log goes to
   ID.log.1 (replacing the older copy), and a new ID.log is begun. */
#define RUNLOG_CAP (10 * 1024 * 1024)
/* Kept of ended sandboxes: the RUNLOG_KEEP newest logs, none older than
   RUNLOG_DAYS days, none empty. */
#define RUNLOG_KEEP 50
#define RUNLOG_DAYS 14

/* In the detached nook, with log_fd open on path (a new ID.log): forks the
   relay, which writes what comes through a pipe to the log, rotating it,
   until every writer has closed the pipe. The relay holds keep_fd open
   until it is done (whoever waits for EOF on it knows the log is
   complete), and an flock on the current ID.log (how a log being written
   is told apart from an ended one). Returns the pipe's write end (for the
   sandbox's output), or log_fd itself when no relay could be made. */
int runlog_relay(int log_fd, const char *path, int keep_fd);

/* Removes the logs of ended sandboxes beyond what is kept (see above), and
   NAME.log links to what is gone. Never the log of a running sandbox. */
void runlog_prune(const char *dir);

/* Copies text to out with every control character but newline and tab
   made visible (ESC as ^[, C1 controls and bytes that are not UTF-8 as
   \xHH): nothing a sandbox wrote can drive the terminal. f carries an
   unfinished UTF-8 sequence from one call to the next; flush at the end. */
struct runlog_filter {
        unsigned char pend[4];
        size_t n_pend;
};
void runlog_filter_write(struct runlog_filter *f, const char *buf, size_t n, FILE *out);
void runlog_filter_flush(struct runlog_filter *f, FILE *out);
