#include "state/runlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "state/runstate.h"

/* The relay's loop: what comes in goes to name in dfd, which is rotated
   before it would pass RUNLOG_CAP. A log that cannot be written drops what
   comes (the sandbox must neither block nor get SIGPIPE for it). */
static void relay_loop(int in, int dfd, const char *name, const char *old, int log)
{
        static char buf[65536];
        off_t size = 0;

        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                if (log >= 0 && size > 0 && size + n > RUNLOG_CAP) {
                        int next = -1;
                        if (renameat(dfd, name, dfd, old) == 0)
                                next = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (next >= 0) {
                                /* the new one is locked before the old one's lock goes */
                                flock(next, LOCK_EX);
                                close(log);
                                log = next;
                        } else if (ftruncate(log, 0) < 0) {
                                /* neither rotated nor emptied: nothing more is written */
                                close(log);
                                log = -1;
                        }
                        size = 0;
                }
                for (ssize_t done = 0; log >= 0 && done < n;) {
                        ssize_t w = write(log, buf + done, (size_t)(n - done));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                break;  /* a full disk: this chunk is lost, not the next */
                        done += w;
                }
                size += n;
        }
}

static bool is_kept(int fd, const int *keep, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (keep[i] == fd)
                        return true;
        return false;
}

int runlog_relay(int log_fd, const char *path, int keep_fd)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
        _cleanup_free_ char *old = NULL;
        int p[2];

        /* whatever happens below, the log counts as written from now on */
        flock(log_fd, LOCK_EX);
        if (slash && asprintf(&old, "%s.1", slash + 1) < 0)
                old = NULL;
        int dfd = dir && old ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (dfd < 0)
                return log_fd;
        if (pipe2(p, O_CLOEXEC) < 0) {
                close(dfd);
                return log_fd;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                close(dfd);
                return log_fd;
        }
        if (pid == 0) {
                /* the sandbox's session: its signals are not the relay's,
                   which ends when the last writer is gone */
                static const int ignore[] = { SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2 };
                for (size_t i = 0; i < ARRAY_SIZE(ignore); i++)
                        signal(ignore[i], SIG_IGN);
                prctl(PR_SET_NAME, "nook-log");
                /* holds no directory of the caller's busy (where it is
                   otherwise: the relay must run whatever happens) */
                int cwd_moved = chdir("/");
                (void)cwd_moved;
                /* nothing of the caller's: a pipe held here would keep its
                   reader waiting after the sandbox ended */
                const int keep[] = { p[0], dfd, log_fd, keep_fd };
                int top = 0;
                for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
                        top = keep[i] > top ? keep[i] : top;
                for (int fd = 0; fd < top; fd++)
                        if (!is_kept(fd, keep, ARRAY_SIZE(keep)))
                                close(fd);
                syscall(SYS_close_range, (unsigned)top + 1, ~0U, 0);
                relay_loop(p[0], dfd, slash + 1, old, log_fd);
                _exit(0);
        }
        close(p[0]);
        close(dfd);
        close(log_fd);
        return p[1];
}

/* ---- pruning ---------------------------------------------------------- */

struct ended {
        long id;
        time_t mtime;
        bool empty;
};

static int newest_first(const void *a, const void *b)
{
        const struct ended *x = a, *y = b;
        return x->mtime > y->mtime ? -1 : x->mtime < y->mtime;
}

/* Someone writes it: the relay's lock (or, without a relay, the lock the
   sandbox's output fd carries). */
static bool log_locked(int dfd, const char *name)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
                flock(fd, LOCK_UN);
                return false;
        }
        return errno == EWOULDBLOCK;
}

/* The logs the run states of running sandboxes name. */
static bool named_by_running(const struct run_state *all, size_t n, const char *dir, const char *name)
{
        size_t dl = strlen(dir);

        for (size_t i = 0; i < n; i++) {
                const char *l = all[i].log;
                if (l && strncmp(l, dir, dl) == 0 && l[dl] == '/' && strcmp(l + dl + 1, name) == 0)
                        return true;
        }
        return false;
}

static void remove_log(int dfd, long id)
{
        char name[64];

        if (STR_FMT(name, "%ld.log", id) == 0)
                unlinkat(dfd, name, 0);
        if (STR_FMT(name, "%ld.log.1", id) == 0)
                unlinkat(dfd, name, 0);
}

/* ID.log, or an ID.log.1 left without its ID.log: the id, 0 for anything else */
static long log_id(const char *name, bool *rotated)
{
        char *end;
        long id = strtol(name, &end, 10);

        if (id <= 0 || name[0] < '0' || name[0] > '9')
                return 0;
        *rotated = strcmp(end, ".log.1") == 0;
        return strcmp(end, ".log") == 0 || *rotated ? id : 0;
}

/* The logs of ended sandboxes in dp (dfd), into *v: running: written to,
   named by a run state (all), or so young that its nook (alive) may not
   have locked it yet. */
static size_t collect_ended(DIR *dp, int dfd, const char *dir, const struct run_state *all, size_t n_all,
                            struct ended **v)
{
        size_t n = 0, cap = 0;
        time_t now = time(NULL);
        struct dirent *de;

        while ((de = readdir(dp))) {
                bool rotated;
                long id = log_id(de->d_name, &rotated);
                char name[64], older[64];
                struct stat st;
                if (!id || STR_FMT(name, "%ld.log", id) < 0 || STR_FMT(older, "%ld.log.1", id) < 0)
                        continue;
                /* ID.log.1 goes with its ID.log, when there is one */
                if (rotated && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (log_locked(dfd, de->d_name) || named_by_running(all, n_all, dir, name) ||
                    (runstate_proc_start((pid_t)id) && now - st.st_mtime < 60))
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 64;
                        struct ended *nv = realloc(*v, cap * sizeof(**v));
                        if (!nv)
                                break;
                        *v = nv;
                }
                (*v)[n++] = (struct ended){ .id = id, .mtime = st.st_mtime,
                                            .empty = st.st_size == 0 && !rotated &&
                                                     faccessat(dfd, older, F_OK, AT_SYMLINK_NOFOLLOW) != 0 };
        }
        return n;
}

/* NAME.log links to what is gone */
static void remove_dangling_links(DIR *dp, int dfd)
{
        struct dirent *de;

        rewinddir(dp);
        while ((de = readdir(dp))) {
                char target[64];
                struct stat st;
                size_t l = strlen(de->d_name);
                if (l < 5 || strcmp(de->d_name + l - 4, ".log") != 0 ||
                    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        continue;
                ssize_t tl = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
                if (tl <= 0)
                        continue;
                target[tl] = '\0';
                if (!strchr(target, '/') && fstatat(dfd, target, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
                        unlinkat(dfd, de->d_name, 0);
        }
}

void runlog_prune(const char *dir)
{
        struct nook_err e = { 0 };
        struct run_state *all = NULL;
        size_t n_all = 0;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dp = dfd >= 0 ? fdopendir(dfd) : NULL;
        _cleanup_free_ struct ended *v = NULL;
        time_t now = time(NULL);

        if (!dp) {
                if (dfd >= 0)
                        close(dfd);
                return;
        }
        if (runstate_list(&all, &n_all, &e) < 0) {
                /* not knowing what runs, nothing goes */
                closedir(dp);
                return;
        }
        size_t n = collect_ended(dp, dfd, dir, all, n_all, &v);
        if (n)
                qsort(v, n, sizeof(*v), newest_first);
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                /* empty: a run that never started (killed before it could
                   clean up), or one that said nothing */
                if (v[i].empty || kept >= RUNLOG_KEEP || now - v[i].mtime > RUNLOG_DAYS * 86400L)
                        remove_log(dfd, v[i].id);
                else
                        kept++;
        }
        remove_dangling_links(dp, dfd);
        closedir(dp);
        for (size_t i = 0; i < n_all; i++)
                run_state_free(&all[i]);
        free(all);
}

/* ---- showing a log on a terminal ---------------------------------------- */

static void put_hex(FILE *out, unsigned char c)
{
        fprintf(out, "\\x%02x", c);
}

/* The length of the UTF-8 sequence a byte starts, 0 when it starts none. */
static size_t utf8_len(unsigned char c)
{
        return c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

/* The second byte of a sequence, where the first narrows it: no overlong
   forms, no surrogates, nothing past U+10FFFF. */
static bool second_ok(unsigned char first, unsigned char c)
{
        if (c < 0x80 || c > 0xbf)
                return false;
        return !((first == 0xe0 && c < 0xa0) || (first == 0xed && c > 0x9f) || (first == 0xf0 && c < 0x90) ||
                 (first == 0xf4 && c > 0x8f));
}

void runlog_filter_flush(struct runlog_filter *f, FILE *out)
{
        for (size_t i = 0; i < f->n_pend; i++)
                put_hex(out, f->pend[i]);
        f->n_pend = 0;
}

static void put_ascii(FILE *out, unsigned char c)
{
        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
                fputc(c, out);
        else if (c == 0x7f)
                fputs("^?", out);
        else
                fprintf(out, "^%c", c + 0x40);
}

void runlog_filter_write(struct runlog_filter *f, const char *buf, size_t n, FILE *out)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)buf[i];
                if (f->n_pend) {
                        size_t need = utf8_len(f->pend[0]);
                        bool ok = f->n_pend == 1 ? second_ok(f->pend[0], c) : c >= 0x80 && c <= 0xbf;
                        if (ok) {
                                f->pend[f->n_pend++] = c;
                                if (f->n_pend < need)
                                        continue;
                                /* U+0080-U+009F: the C1 controls (0x9b is CSI) */
                                if (f->pend[0] == 0xc2 && f->pend[1] < 0xa0)
                                        put_hex(out, f->pend[1]);
                                else
                                        fwrite(f->pend, 1, f->n_pend, out);
                                f->n_pend = 0;
                                continue;
                        }
                        runlog_filter_flush(f, out);
                }
                if (c < 0x80)
                        put_ascii(out, c);
                else if (utf8_len(c))
                        f->pend[f->n_pend++] = c;
                else
                        put_hex(out, c);
        }
}
