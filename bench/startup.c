/* bench/startup — how long a command takes from fork to reaped exit.
 *
 *   startup [-n RUNS] [-r A/B]... [--] NAME [VAR=VALUE]... CMD [ARG...] [::: ...]...
 *
 * VAR=VALUE words before a command are set in its environment alone, as a
 * shell would, without a program (env) between the fork and the command.
 *
 * Each command gets one untimed warm-up run, then RUNS timed runs, taken
 * round-robin (A, B, C, A, B, C, ...) so that a slow spell of the machine is
 * shared by every command instead of landing on one of them.  A run is
 * fork + execvp + waitpid, timed with CLOCK_MONOTONIC, with stdin, stdout and
 * stderr on /dev/null.  Any failed run makes the exit status 1.
 *
 * It also prints each command's peak RSS: the median over its runs of
 * wait4's ru_maxrss, the largest resident set of the command's process
 * or of any of its descendants it reaped (nook's pid 1, bwrap's child).
 * The forked child's own, before its exec, counts too: built static
 * (Makefile.am), startup's is about 100 kB, below any command's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEPARATOR ":::"
#define MAX_RUNS 100000
#define MAX_RATIOS 16

struct bench_cmd {
        const char *name;
        char **argv;            /* NULL-terminated, points into main's argv */
        double *ms;             /* one per successful timed run */
        double *kb;             /* its peak RSS, one per successful timed run */
        int ok;
        int failed;
        int skipped;            /* its warm-up failed: not measured */
};

struct ratio {
        const char *spec;       /* "A/B" as given */
        int a, b;               /* indexes into the command list */
};

struct stats {
        double median, p90, min;
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: startup [-n RUNS] [-r A/B]... [--] NAME [VAR=VALUE]... CMD [ARG...]\n"
                "               [::: NAME [VAR=VALUE]... CMD [ARG...]]...\n"
                "\n"
                "Time each command from fork to reaped exit, RUNS times (default 30),\n"
                "interleaved round-robin, and print median, 90th percentile and minimum,\n"
                "and the median of the peak RSS of the largest process of each run.\n"
                "VAR=VALUE before a command is set in that command's environment only.\n"
                "\n"
                "  -n, --runs RUNS   timed runs per command (1..%d)\n"
                "  -r, --ratio A/B   also print median(A) / median(B); repeatable\n"
                "  -h, --help        show this help\n",
                MAX_RUNS);
}

static double elapsed_ms(const struct timespec *t0, const struct timespec *t1)
{
        return (double)(t1->tv_sec - t0->tv_sec) * 1e3 +
               (double)(t1->tv_nsec - t0->tv_nsec) / 1e6;
}

/* VAR=VALUE, VAR a shell variable's name. */
static int is_assignment(const char *w)
{
        size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789");

        return n > 0 && w[n] == '=' && !(w[0] >= '0' && w[0] <= '9');
}

/* Returns 0 with *status and *ms filled, or a negative errno if fork or
 * waitpid themselves failed. */
static int run_once(char **argv, int devnull, int show_stderr, int *status, double *ms, double *kb)
{
        struct timespec t0, t1;
        struct rusage ru;
        pid_t pid;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int err;

                dup2(devnull, STDIN_FILENO);
                dup2(devnull, STDOUT_FILENO);
                if (!show_stderr)
                        dup2(devnull, STDERR_FILENO);
                while (argv[0] && is_assignment(argv[0]))
                        putenv(*argv++);
                execvp(argv[0], argv);
                err = errno;
                if (show_stderr)
                        fprintf(stderr, "startup: cannot run %s: %s\n", argv[0], strerror(err));
                _exit(err == ENOENT ? 127 : 126);
        }
        while (wait4(pid, status, 0, &ru) < 0)
                if (errno != EINTR)
                        return -errno;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *ms = elapsed_ms(&t0, &t1);
        *kb = (double)ru.ru_maxrss;
        return 0;
}

static void print_status(FILE *out, int status)
{
        if (WIFEXITED(status))
                fprintf(out, "exit status %d\n", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                fprintf(out, "killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
                fprintf(out, "wait status 0x%x\n", (unsigned)status);
}

static int succeeded(int status)
{
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The first failure of a command is run again with stderr visible, so the
 * report carries the command's own reason and not only a number. run is
 * 0 for the warm-up run, else 1 to runs. */
static void report_failure(struct bench_cmd *c, int devnull, int run, int runs, int status)
{
        double ms, kb;

        if (run)
                fprintf(stderr, "startup: %s: run %d of %d failed: ", c->name, run, runs);
        else
                fprintf(stderr, "startup: %s: the warm-up run failed: ", c->name);
        print_status(stderr, status);
        if (c->failed > 1)
                return;
        fprintf(stderr, "startup: %s: running it once more with its stderr shown:\n", c->name);
        if (run_once(c->argv, devnull, 1, &status, &ms, &kb) < 0)
                fprintf(stderr, "startup: %s: cannot run it again: %m\n", c->name);
        else {
                fprintf(stderr, "startup: %s: that run ended with ", c->name);
                print_status(stderr, status);
        }
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Sorts ms in place.  p90 is the nearest-rank percentile. */
static struct stats compute_stats(double *ms, int n)
{
        struct stats s;
        int rank = (9 * n + 9) / 10;    /* ceil(0.9 n) */

        qsort(ms, n, sizeof(*ms), cmp_double);
        s.min = ms[0];
        s.median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
        s.p90 = ms[rank - 1];
        return s;
}

static int parse_runs(const char *arg, int *runs)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < 1 || v > MAX_RUNS)
                return -1;
        *runs = (int)v;
        return 0;
}

/* Splits argv (from the first command on) at each ":::" into commands. */
static int split_commands(char **argv, int argc, struct bench_cmd **out, int *count)
{
        struct bench_cmd *cmds = calloc((size_t)argc, sizeof(*cmds));
        int n = 0, i = 0;

        if (!cmds)
                return -ENOMEM;
        while (i < argc) {
                int start = i;

                while (i < argc && strcmp(argv[i], SEPARATOR) != 0)
                        i++;
                int cmd = start + 1;
                while (cmd < i && is_assignment(argv[cmd]))
                        cmd++;
                if (i - start < 2 || cmd == i) {
                        fprintf(stderr, "startup: each command needs a NAME and a CMD (near argument %d)\n",
                                start + 1);
                        free(cmds);
                        return -EINVAL;
                }
                cmds[n].name = argv[start];
                cmds[n].argv = &argv[start + 1];
                n++;
                if (i < argc)
                        argv[i++] = NULL;       /* terminates the previous argv */
        }
        *out = cmds;
        *count = n;
        return 0;
}

static int find_cmd(const struct bench_cmd *cmds, int n, const char *name, size_t len)
{
        for (int i = 0; i < n; i++)
                if (strlen(cmds[i].name) == len && strncmp(cmds[i].name, name, len) == 0)
                        return i;
        return -1;
}

static int resolve_ratio(struct ratio *r, const struct bench_cmd *cmds, int n)
{
        const char *slash = strchr(r->spec, '/');
        int alen;

        if (!slash) {
                fprintf(stderr, "startup: --ratio %s: expected A/B\n", r->spec);
                return -EINVAL;
        }
        alen = (int)(slash - r->spec);
        r->a = find_cmd(cmds, n, r->spec, (size_t)alen);
        r->b = find_cmd(cmds, n, slash + 1, strlen(slash + 1));
        if (r->a < 0) {
                fprintf(stderr, "startup: --ratio %s: no command named '%.*s'\n", r->spec, alen,
                        r->spec);
                return -EINVAL;
        }
        if (r->b < 0) {
                fprintf(stderr, "startup: --ratio %s: no command named '%s'\n", r->spec, slash + 1);
                return -EINVAL;
        }
        return 0;
}

static void print_cmdline(const struct bench_cmd *c, int width)
{
        printf("  %-*s ", width, c->name);
        for (char **a = c->argv; *a; a++)
                printf(" %s", *a);
        putchar('\n');
}

static void print_results(struct bench_cmd *cmds, int n, const struct ratio *ratios, int nratios)
{
        struct stats *st = calloc((size_t)n, sizeof(*st));
        int width = (int)strlen("command");

        if (!st) {
                fprintf(stderr, "startup: out of memory\n");
                return;
        }
        for (int i = 0; i < n; i++)
                if ((int)strlen(cmds[i].name) > width)
                        width = (int)strlen(cmds[i].name);

        printf("\n%-*s  %10s  %10s  %10s  %12s\n", width, "command", "median ms", "p90 ms", "min ms", "peak RSS kB");
        for (int i = 0; i < n; i++) {
                struct bench_cmd *c = &cmds[i];

                if (c->ok == 0) {
                        printf("%-*s  %10s  %10s  %10s  %12s   (%s)\n", width, c->name, "-", "-", "-", "-",
                               c->skipped ? "not measured: warm-up failed" : "every run failed");
                        continue;
                }
                st[i] = compute_stats(c->ms, c->ok);
                printf("%-*s  %10.2f  %10.2f  %10.2f  %12.0f", width, c->name, st[i].median, st[i].p90,
                       st[i].min, compute_stats(c->kb, c->ok).median);
                if (c->failed)
                        printf("   (%d of %d runs failed)", c->failed, c->ok + c->failed);
                putchar('\n');
        }
        if (nratios)
                putchar('\n');
        for (int i = 0; i < nratios; i++) {
                const struct ratio *r = &ratios[i];

                if (cmds[r->a].ok == 0 || cmds[r->b].ok == 0 || st[r->b].median <= 0)
                        printf("%-*s  n/a\n", width + 4, r->spec);
                else
                        printf("%-*s  %.2fx  (medians)\n", width + 4, r->spec,
                               st[r->a].median / st[r->b].median);
        }
        free(st);
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "runs", required_argument, NULL, 'n' },
                { "ratio", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct ratio ratios[MAX_RATIOS];
        struct bench_cmd *cmds;
        int runs = 30, nratios = 0, ncmds, devnull, opt, width = 0, failed = 0;

        while ((opt = getopt_long(argc, argv, "+n:r:h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'n':
                        if (parse_runs(optarg, &runs) < 0) {
                                fprintf(stderr, "startup: --runs %s: expected a number from 1 to %d\n",
                                        optarg, MAX_RUNS);
                                return 2;
                        }
                        break;
                case 'r':
                        if (nratios == MAX_RATIOS) {
                                fprintf(stderr, "startup: at most %d --ratio options\n", MAX_RATIOS);
                                return 2;
                        }
                        ratios[nratios++].spec = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind == argc) {
                usage(stderr);
                return 2;
        }
        if (split_commands(&argv[optind], argc - optind, &cmds, &ncmds) < 0)
                return 2;
        for (int i = 0; i < nratios; i++)
                if (resolve_ratio(&ratios[i], cmds, ncmds) < 0)
                        return 2;

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                fprintf(stderr, "startup: cannot open /dev/null: %m\n");
                return 1;
        }
        for (int i = 0; i < ncmds; i++) {
                cmds[i].ms = calloc((size_t)runs, sizeof(double));
                cmds[i].kb = calloc((size_t)runs, sizeof(double));
                if (!cmds[i].ms || !cmds[i].kb) {
                        fprintf(stderr, "startup: out of memory\n");
                        return 1;
                }
                if ((int)strlen(cmds[i].name) > width)
                        width = (int)strlen(cmds[i].name);
        }

        printf("startup: %d runs each, round-robin, fork to reaped exit, after one warm-up run\n",
               runs);
        for (int i = 0; i < ncmds; i++)
                print_cmdline(&cmds[i], width);
        fflush(stdout);         /* the children must not inherit unwritten output */

        for (int i = 0; i < ncmds; i++) {
                struct bench_cmd *c = &cmds[i];
                int status;
                double ms, kb;

                if (run_once(c->argv, devnull, 0, &status, &ms, &kb) < 0) {
                        fprintf(stderr, "startup: %s: cannot fork or wait: %m\n", c->name);
                        return 1;
                }
                if (!succeeded(status)) {
                        c->failed++;
                        c->skipped = 1;
                        report_failure(c, devnull, 0, runs, status);
                }
        }

        for (int r = 0; r < runs; r++) {
                for (int i = 0; i < ncmds; i++) {
                        struct bench_cmd *c = &cmds[i];
                        int status;
                        double ms, kb;

                        if (c->skipped)
                                continue;
                        if (run_once(c->argv, devnull, 0, &status, &ms, &kb) < 0) {
                                fprintf(stderr, "startup: %s: cannot fork or wait: %m\n", c->name);
                                return 1;
                        }
                        if (succeeded(status)) {
                                c->kb[c->ok] = kb;
                                c->ms[c->ok++] = ms;
                                continue;
                        }
                        c->failed++;
                        report_failure(c, devnull, r + 1, runs, status);
                }
        }

        print_results(cmds, ncmds, ratios, nratios);
        for (int i = 0; i < ncmds; i++) {
                failed += cmds[i].failed;
                free(cmds[i].ms);
                free(cmds[i].kb);
        }
        free(cmds);
        close(devnull);
        if (failed) {
                fprintf(stderr, "startup: %d run%s failed\n", failed, failed == 1 ? "" : "s");
                return 1;
        }
        return 0;
}
