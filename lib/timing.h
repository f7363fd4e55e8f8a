/* Start-up timings for `NOOK_TIMINGS=1 nook run` (bench/run reads them):
   CLOCK_MONOTONIC marks taken by nook, pid 1 and the command in one shared
   page, printed as phases when nook ends. Off (NOOK_TIMINGS unset), a mark
   costs one load and a branch. */
#pragma once

#include <stdint.h>

enum timing_mark {
        TIMING_MAIN,            /* nook's main() */
        TIMING_FILTER_START,    /* the spec, checks and plan done */
        TIMING_FILTER_END,      /* the seccomp filter made */
        TIMING_CLONE,           /* nook, just before clone */
        TIMING_PIVOT,           /* pid 1, pivoted into the new root */
        TIMING_EXEC,            /* the command, just before execve */
        TIMING_CMD_EXIT,        /* pid 1 reaped the command */
        TIMING_END,             /* nook, helpers stopped, run directory gone */
        TIMING_N
};

/* NULL when off. MAP_SHARED: a child's marks (pid 1, the command before its
   exec) reach nook across clone and fork. */
extern int64_t *timing_page;

void timing_mark_now(enum timing_mark m);

static inline void timing_mark(enum timing_mark m)
{
        if (timing_page)
                timing_mark_now(m);
}

/* NOOK_TIMINGS set (1: to stderr; an absolute path: one line appended to
   that file): maps the page, marks TIMING_MAIN. */
void timing_start(void);

/* One line of phases in milliseconds; a phase whose marks are missing (a
   failed start) is left out. */
void timing_report(void);
