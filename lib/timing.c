#include "lib/timing.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

int64_t *timing_page;

/* Slot TIMING_N: CPU time used before main() (fork, execve, the dynamic
   loader), which no CLOCK_MONOTONIC mark of ours can see. */
#define PRE_MAIN TIMING_N

static int64_t ns_of(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void timing_mark_now(enum timing_mark m)
{
        timing_page[m] = ns_of(CLOCK_MONOTONIC);
}

void timing_start(void)
{
        const char *v = getenv("NOOK_TIMINGS");

        if (!v || !*v)
                return;
        void *p = mmap(NULL, sizeof(int64_t) * (TIMING_N + 1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return;
        timing_page = p;
        timing_page[PRE_MAIN] = ns_of(CLOCK_PROCESS_CPUTIME_ID);
        timing_mark_now(TIMING_MAIN);
}

static const struct {
        const char *name;
        enum timing_mark from, to;
} phases[] = {
        { "prepare", TIMING_MAIN, TIMING_FILTER_START },
        { "filter", TIMING_FILTER_START, TIMING_FILTER_END },
        { "exec-clone", TIMING_MAIN, TIMING_CLONE },
        { "clone-pivot", TIMING_CLONE, TIMING_PIVOT },
        { "pivot-exec", TIMING_PIVOT, TIMING_EXEC },
        { "command", TIMING_EXEC, TIMING_CMD_EXIT },
        { "teardown", TIMING_CMD_EXIT, TIMING_END },
};

void timing_report(void)
{
        _cleanup_(buf_free) struct buf line = { 0 };

        if (!timing_page)
                return;
        /* exec-clone counts from exec: the CPU time before main is added */
        int r = buf_appendf(&line, "nook: timings (ms): pre-main=%.3f", (double)timing_page[PRE_MAIN] / 1e6);
        for (size_t i = 0; r == 0 && i < sizeof(phases) / sizeof(phases[0]); i++) {
                int64_t a = timing_page[phases[i].from], b = timing_page[phases[i].to];
                if (!a || !b)
                        continue;
                if (phases[i].from == TIMING_MAIN && phases[i].to == TIMING_CLONE)
                        b += timing_page[PRE_MAIN];
                r = buf_appendf(&line, " %s=%.3f", phases[i].name, (double)(b - a) / 1e6);
        }
        if (r == 0)
                r = buf_appendf(&line, "\n");
        const char *v = getenv("NOOK_TIMINGS");
        int fd = v && v[0] == '/' ? open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : 2;
        bool ok = r == 0 && fd >= 0 && write(fd, line.p, line.len) == (ssize_t)line.len;

        if (fd > 2)
                close(fd);
        (void)ok;       /* a line lost is only a line lost */
}
