#include "cli/cmd-ps.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "cli/cmd-run.h"
#include "state/runlog.h"
#include "state/runstate.h"

static void ps_usage(FILE *out)
{
        fputs("Usage: nook ps [--json]\n"
              "\n"
              "List your running sandboxes, oldest first: ID (nook's process id, which\n"
              "nook stop and nook enter also take), NAME (--name), how long it has run,\n"
              "its network and published ports, its image or profile, and its command.\n"
              "\n"
              "      --json    one JSON array of objects instead of the table\n"
              "  -h, --help    show this help\n"
              "See nook(1).\n",
              out);
}

static void stop_usage(FILE *out)
{
        fputs("Usage: nook stop [-t SECONDS] [-s SIGNAL] NAME|ID...\n"
              "\n"
              "Stop running sandboxes: SIGNAL (default TERM) goes to the sandbox's\n"
              "command; whatever still runs after SECONDS (default 10; 0: at once) is\n"
              "killed. Returns once each sandbox is gone, with everything it started:\n"
              "its command, its network helper, its mounts.\n"
              "\n"
              "  -t, --time SECONDS    how long to wait before killing (0 to 3600)\n"
              "  -s, --signal SIGNAL   the first signal: TERM, INT, HUP, QUIT, USR1, USR2\n"
              "                        (by name, with or without SIG, or number), or\n"
              "                        KILL, which ends the whole sandbox at once\n"
              "  -h, --help            show this help\n"
              "See nook(1).\n",
              out);
}

/* "42s", "3m", "5h", "2d" (a long long's digits and a letter fit). */
static const char *format_age(long long secs, char buf[static 24])
{
        long long v = secs < 0 ? 0 : secs;
        char unit = 's';

        if (v >= 172800)
                v /= 86400, unit = 'd';
        else if (v >= 7200)
                v /= 3600, unit = 'h';
        else if (v >= 120)
                v /= 60, unit = 'm';
        return str_fmt(buf, 24, "%lld%c", v, unit) == 0 ? buf : "?";
}

/* The words of v joined by sep, whole, appended to b. */
static int join_words(struct buf *b, char *const *v, const char *sep)
{
        int r = 0;

        for (size_t i = 0; r == 0 && v && v[i]; i++)
                r = buf_appendf(b, "%s%s", i ? sep : "", v[i]);
        return r;
}

/* One line of the table; every column whole (a long command is not cut). */
static int print_row(const struct run_state *st, time_t now)
{
        _cleanup_(buf_free) struct buf net = { 0 }, cmd = { 0 };
        char age[24];

        int r = buf_appendf(&net, "%s", st->net);
        if (r == 0 && st->ports && st->ports[0])
                r = buf_appendf(&net, " ");
        if (r == 0)
                r = join_words(&net, st->ports, ",");
        if (r == 0)
                r = join_words(&cmd, st->command, " ");
        if (r < 0)
                return r;
        printf("%-8d %-16s %-7s %-30s %-20s %s\n", (int)st->nook_pid, st->name ? st->name : "-",
               format_age(now - st->started, age), buf_str(&net),
               st->image ? st->image : st->profile ? st->profile : "-", buf_str(&cmd));
        return 0;
}

static json_t *state_json(const struct run_state *st)
{
        json_t *ports = json_array(), *cmd = json_array();

        for (size_t i = 0; st->ports[i]; i++)
                json_array_append_new(ports, json_string(st->ports[i]));
        for (size_t i = 0; st->command[i]; i++)
                json_array_append_new(cmd, json_string(st->command[i]));
        char started[64];
        /* JSON gives times as RFC 3339 UTC strings */
        format_rfc3339((int64_t)st->started, started, sizeof(started));
        return json_pack("{s:i,s:s?,s:s,s:s,s:o,s:s?,s:s?,s:o,s:i,s:s,s:s?}", "id", (int)st->nook_pid, "name", st->name,
                         "started", started, "net", st->net, "ports", ports, "image", st->image,
                         "profile", st->profile, "command", cmd, "pid", (int)st->pid1, "run_dir", st->dir, "log",
                         st->log);
}

int cmd_ps(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        struct nook_err e = { 0 };
        bool json = false;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'j') {
                        json = true;
                } else if (c == 'h') {
                        ps_usage(stdout);
                        return 0;
                } else {
                        fprintf(stderr, "nook: ps: unknown option '%s' (see nook ps --help)\n", nook_val(argv[optind - 1]));
                        return NOOK_EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "nook: ps takes no arguments, got '%s' (see nook ps --help)\n", nook_val(argv[optind]));
                return NOOK_EXIT_FAILURE;
        }
        struct run_state *all;
        size_t n;
        if (runstate_list(&all, &n, &e) < 0) {
                nook_err_print(&e);
                return NOOK_EXIT_FAILURE;
        }
        if (json) {
                json_t *a = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(a, state_json(&all[i]));
                json_dumpf(a, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
                json_decref(a);
        } else {
                printf("%-8s %-16s %-7s %-30s %-20s %s\n", "ID", "NAME", "UP", "NET", "IMAGE/PROFILE", "COMMAND");
                time_t now = time(NULL);
                for (size_t i = 0; i < n; i++)
                        if (print_row(&all[i], now) < 0)
                                fprintf(stderr, "nook: ps: out of memory\n");
        }
        for (size_t i = 0; i < n; i++)
                run_state_free(&all[i]);
        free(all);
        return 0;
}

static int parse_signal(const char *v)
{
        static const struct {
                const char *name;
                int sig;
        } sigs[] = { { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "QUIT", SIGQUIT },
                     { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "KILL", SIGKILL } };
        const char *name = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
        char *end;
        long num = strtol(v, &end, 10);

        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                if (strcasecmp(name, sigs[i].name) == 0 || (!*end && num == sigs[i].sig))
                        return sigs[i].sig;
        return -EINVAL;
}

/* A pidfd of the sandbox's nook, checked to be the very process the state
   names (not a later one that got its pid). */
static int open_nook(const struct run_state *st, struct nook_err *e)
{
        int fd = (int)syscall(SYS_pidfd_open, st->nook_pid, 0);

        if (fd < 0 && errno == ESRCH)
                return -ESRCH;
        if (fd < 0)
                return nook_errf(e, errno, "cannot reach the sandbox %d: %m", (int)st->nook_pid);
        if (runstate_proc_start(st->nook_pid) != st->nook_start) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

/* Waits for the process of pidfd to end, for at most ms (-1: for ever). */
static bool wait_gone(int pidfd, int ms)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
}

/* nook forwards the signal to pid 1, which passes it to the command; when
   nook dies, everything of the sandbox dies with it. */
static int stop_one(const char *what, int sig, int seconds, struct nook_err *e)
{
        struct run_state st;
        int r = runstate_find(what, &st, e);

        if (r < 0)
                return r;
        int fd = open_nook(&st, e);
        if (fd == -ESRCH) {
                run_state_free(&st);
                return 0;       /* it ended by itself meanwhile */
        }
        if (fd < 0) {
                run_state_free(&st);
                return fd;
        }
        /* its helpers end by themselves once nook is gone: wait for them
           too (those the state names, checked as nook is) */
        int helper_fd[ARRAY_SIZE(st.helpers) + 1];
        size_t nh = 0;
        /* pid 1 too: it holds the mounts and a persistent layer's lock
           until its last moment */
        int p1 = (int)syscall(SYS_pidfd_open, st.pid1, 0);
        pid_t ppid;
        unsigned long long start;
        if (p1 >= 0 && runstate_proc_stat(st.pid1, &ppid, &start) == 0 && ppid == st.nook_pid &&
            start == st.pid1_start)
                helper_fd[nh++] = p1;
        else if (p1 >= 0)
                close(p1);
        for (size_t i = 0; i < st.n_helpers; i++) {
                int h = (int)syscall(SYS_pidfd_open, st.helpers[i], 0);
                if (h >= 0 && runstate_proc_start(st.helpers[i]) == st.helper_start[i])
                        helper_fd[nh++] = h;
                else if (h >= 0)
                        close(h);
        }
        r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
        if (r < 0 && errno != ESRCH)
                r = nook_errf(e, errno, "cannot signal the sandbox %s: %m", what);
        else if (!wait_gone(fd, sig == SIGKILL ? -1 : seconds * 1000)) {
                (void)syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
                wait_gone(fd, -1);
                r = 0;
        } else {
                r = 0;
        }
        close(fd);
        for (size_t i = 0; i < nh; i++) {
                if (!wait_gone(helper_fd[i], 5000))
                        (void)syscall(SYS_pidfd_send_signal, helper_fd[i], SIGKILL, NULL, 0);
                close(helper_fd[i]);
        }
        /* a nook killed outright leaves its run directory: cleared here */
        if (r == 0)
                runstate_clear_stale();
        run_state_free(&st);
        return r;
}

int cmd_stop(int argc, char **argv)
{
        static const struct option opts[] = {
                { "time", required_argument, NULL, 't' },
                { "signal", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        struct nook_err e = { 0 };
        int sig = SIGTERM, seconds = 10, c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:s:h", opts, NULL)) != -1) {
                char *end;
                long v;
                switch (c) {
                case 't':
                        v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 0 || v > 3600) {
                                fprintf(stderr, "nook: stop: --time '%s' is not a number of seconds from 0 to 3600\n", nook_val(optarg));
                                return NOOK_EXIT_FAILURE;
                        }
                        seconds = (int)v;
                        break;
                case 's':
                        sig = parse_signal(optarg);
                        if (sig < 0) {
                                fprintf(stderr, "nook: stop: --signal '%s' is not one of TERM, INT, HUP, QUIT, USR1, USR2, KILL\n", nook_val(optarg));
                                return NOOK_EXIT_FAILURE;
                        }
                        break;
                case 'h':
                        stop_usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "nook: stop: unknown or incomplete option '%s' (see nook stop --help)\n",
                                nook_val(argv[optind - 1]));
                        return NOOK_EXIT_FAILURE;
                }
        }
        if (optind == argc) {
                fprintf(stderr, "nook: stop: name the sandbox to stop (nook ps lists them)\n");
                return NOOK_EXIT_FAILURE;
        }
        int status = 0;
        for (int i = optind; i < argc; i++) {
                memset(&e, 0, sizeof(e));
                if (stop_one(argv[i], sig, seconds, &e) < 0) {
                        nook_err_print(&e);
                        status = NOOK_EXIT_FAILURE;
                }
        }
        return status;
}

static void logs_usage(FILE *out)
{
        fputs("Usage: nook logs [-f] [--raw] NAME|ID\n"
              "\n"
              "Print the output of a sandbox started with nook run -d, by its name or\n"
              "ID, while it runs and after (the file stays, in\n"
              "$XDG_STATE_HOME/nook/logs/ID.log; NAME.log names the latest run of NAME).\n"
              "A log is rotated at 10 MiB (the older part in ID.log.1, printed first);\n"
              "the logs of ended sandboxes are pruned: the 50 newest are kept, none\n"
              "older than 14 days, none empty. On a terminal, control characters are\n"
              "shown as ^[ or \\xHH instead of being sent to it.\n"
              "\n"
              "  -f, --follow  go on printing what it writes, until it ends (a part\n"
              "                rotated twice within 0.2 s is skipped)\n"
              "      --raw     send the output as it is, control characters included\n"
              "  -h, --help    show this help\n"
              "See nook(1).\n",
              out);
}

/* Copies what fd has from its current offset to stdout, through the
   filter unless it is NULL. */
static void pump(int fd, struct runlog_filter *filter)
{
        char buf[65536];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                if (filter)
                        runlog_filter_write(filter, buf, (size_t)n, stdout);
                else
                        fwrite(buf, 1, (size_t)n, stdout);
        }
        fflush(stdout);
}

/* The older part of a rotated log, ID.log.1, first (unless it is the file
   of cur, rotated since it was opened). */
static void pump_rotated(const char *path, int cur, struct runlog_filter *filter)
{
        _cleanup_free_ char *old = NULL;
        struct stat a, b;

        if (asprintf(&old, "%s.1", path) < 0) {
                old = NULL;
                return;
        }
        _cleanup_close_ int fd = open(old, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && fstat(fd, &a) == 0 && fstat(cur, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
                pump(fd, filter);
}

/* -f: the relay has rotated the log under us: the rest of the old file,
   then on with the new one. */
static void follow_rotation(int *fd, const char *path, struct runlog_filter *filter)
{
        struct stat a, b;

        if (fstat(*fd, &a) < 0 || stat(path, &b) < 0 || (a.st_ino == b.st_ino && a.st_dev == b.st_dev))
                return;
        int next = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (next < 0)
                return;
        pump(*fd, filter);
        close(*fd);
        *fd = next;
}

/* -f, once the sandbox's nook is gone: the relay may still be writing what
   was in its pipe; done when it lets go of the log's lock (5 s at most). */
static void wait_relay(const char *path)
{
        for (int i = 0; i < 100; i++) {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
                        return;
                usleep(50000);
        }
}

/* The log of a running sandbox, by name or ID: its path, and with -f a
   pidfd of its nook (checked to be the very process the state names).
   1 when no running sandbox is named so, -1 when one is but has no log. */
static int running_log(const char *what, bool follow, char **path, int *pidfd)
{
        struct nook_err e = { 0 };
        struct run_state st;

        if (runstate_find(what, &st, &e) < 0)
                return 1;
        if (!st.log) {
                fprintf(stderr, "nook: sandbox %s was not started with -d: its output went where its nook run's did\n",
                        nook_val(what));
                run_state_free(&st);
                return -EINVAL;
        }
        *path = strdup(st.log);
        if (follow) {
                *pidfd = (int)syscall(SYS_pidfd_open, st.nook_pid, 0);
                if (*pidfd >= 0 && runstate_proc_start(st.nook_pid) != st.nook_start) {
                        close(*pidfd);
                        *pidfd = -1;
                }
        }
        run_state_free(&st);
        if (*path)
                return 0;
        fprintf(stderr, "nook: logs: out of memory\n");
        return -ENOMEM;
}

/* An ended sandbox's log in dir: ID.log, or NAME.log (a link to its
   latest run's, by a plain file name); NULL when there is none. */
static char *ended_log(const char *dir, const char *what)
{
        bool plain = strspn(what, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(what) &&
                     what[0] != '.' && strlen(what) <= 64;
        char *path = NULL, target[64];

        if (!plain || asprintf(&path, "%s/%s.log", dir, what) < 0)
                return NULL;
        ssize_t tl = readlink(path, target, sizeof(target) - 1);
        /* nook's own links name a file beside them, in fewer bytes */
        if (tl > 0 && (size_t)tl < sizeof(target) - 1) {
                target[tl] = '\0';
                if (!strchr(target, '/')) {
                        free(path);
                        if (asprintf(&path, "%s/%s", dir, target) < 0)
                                return NULL;
                }
        }
        if (access(path, R_OK) == 0)
                return path;
        free(path);
        return NULL;
}

/* Prints the log (the rotated part first); with pidfd, goes on every 0.2 s
   until the sandbox's nook is gone, then prints the rest. */
static void print_log(int *fd, const char *path, int pidfd, struct runlog_filter *fl)
{
        pump_rotated(path, *fd, fl);
        pump(*fd, fl);
        while (pidfd >= 0 && !wait_gone(pidfd, 200)) {
                pump(*fd, fl);
                follow_rotation(fd, path, fl);
                pump(*fd, fl);
        }
        if (pidfd >= 0) {
                wait_relay(path);
                pump(*fd, fl);
                follow_rotation(fd, path, fl);
                pump(*fd, fl);
        }
        if (fl) {
                runlog_filter_flush(fl, stdout);
                fflush(stdout);
        }
}

/* argv of nook logs: 0 and the sandbox's name in *what, 1 when help was
   printed, -1 on a usage error (said). */
static int logs_args(int argc, char **argv, bool *follow, bool *raw, const char **what)
{
        static const struct option opts[] = {
                { "follow", no_argument, NULL, 'f' },
                { "raw", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
                if (c == 'f') {
                        *follow = true;
                } else if (c == 'r') {
                        *raw = true;
                } else if (c == 'h') {
                        logs_usage(stdout);
                        return 1;
                } else {
                        fprintf(stderr, "nook: logs: unknown option '%s' (see nook logs --help)\n", nook_val(argv[optind - 1]));
                        return -EINVAL;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "nook: logs: name one sandbox (nook logs [-f] [--raw] NAME|ID)\n");
                return -EINVAL;
        }
        *what = argv[optind];
        return 0;
}

int cmd_logs(int argc, char **argv)
{
        bool follow = false, raw = false;
        const char *what = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int pidfd = -1;
        char dir[4096];

        int r = logs_args(argc, argv, &follow, &raw, &what);
        if (r != 0)
                return r > 0 ? 0 : NOOK_EXIT_FAILURE;
        runstate_logs_dir(dir, sizeof(dir));
        r = running_log(what, follow, &path, &pidfd);
        if (r < 0)
                return NOOK_EXIT_FAILURE;
        if (r > 0 && !(path = ended_log(dir, what))) {
                fprintf(stderr, "nook: no running sandbox is named or numbered '%s', and %s has no log of that name or ID\n",
                        nook_val(what), dir);
                return NOOK_EXIT_FAILURE;
        }
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                fprintf(stderr, "nook: cannot read %s: %s\n", path, strerror(errno));
                return NOOK_EXIT_FAILURE;
        }
        /* what a sandbox wrote must not drive the terminal */
        struct runlog_filter filter = { 0 };
        print_log(&fd, path, pidfd, !raw && isatty(STDOUT_FILENO) ? &filter : NULL);
        /* the logs of ended sandboxes beyond what is kept */
        runlog_prune(dir);
        return 0;
}
