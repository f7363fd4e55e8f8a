#include "state/runstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cred/users.h"
#include "state/rundir.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

void run_state_free(struct run_state *st)
{
        free(st->name);
        free(st->image);
        free(st->profile);
        free(st->net);
        strv_free(st->ports);
        strv_free(st->command);
        free(st->dir);
        free(st->log);
        memset(st, 0, sizeof(*st));
}

int runstate_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
        char path[64], buf[1024];
        char state;
        int pp;

        if (STR_FMT(path, "/proc/%d/stat", (int)pid) < 0)
                return -ESRCH;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (n <= 0)
                return -ESRCH;
        buf[n] = '\0';
        /* after the command's name, which may hold anything: field 3 on */
        char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &state, &pp, start) != 3)
                return -EIO;
        /* a zombie has ended: it only waits for a parent (maybe one that
           never reaps) to collect its status */
        if (state == 'Z' || state == 'X')
                return -ESRCH;
        if (ppid)
                *ppid = (pid_t)pp;
        return 0;
}

unsigned long long runstate_proc_start(pid_t pid)
{
        unsigned long long start = 0;

        return runstate_proc_stat(pid, NULL, &start) == 0 ? start : 0;
}

static const char *net_mode(const struct nook_spec *s)
{
        if (s->share_net)
                return "host";
        return s->slirp ? "slirp" : s->pasta ? "pasta" : "none";
}

static json_t *strv_json(char *const *v, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; a && v && (n == (size_t)-1 ? v[i] != NULL : i < n); i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static char **json_strv(json_t *a)
{
        size_t i, n = json_array_size(a);
        char **v = calloc(n + 1, sizeof(*v));
        json_t *it;

        if (!v)
                return NULL;
        json_array_foreach(a, i, it) {
                const char *t = json_string_value(it);
                v[i] = strdup(t ? t : "");
                if (!v[i]) {
                        strv_free(v);
                        return NULL;
                }
        }
        return v;
}

/* "name-NAME" in the base directory, pointing at "<pid>:<start time>" of
   the nook that holds the name: a claim whose nook is gone (or whose pid a
   later process got) is stale. Claims and the clearing of stale ones
   happen under an flock of the base directory, so that two nooks never
   both take a name. */
#define CLAIM_MAX 64
static int claim_target(pid_t pid, char buf[CLAIM_MAX])
{
        return str_fmt(buf, CLAIM_MAX, "%d:%llu", (int)pid, runstate_proc_start(pid));
}

/* "name-NAME"; -ENAMETOOLONG for a name longer than nook takes */
#define LINK_MAX 96
static int claim_link(const char *name, char buf[LINK_MAX])
{
        return str_fmt(buf, LINK_MAX, "name-%s", name);
}

static bool claim_alive(int base, const char *link)
{
        char target[CLAIM_MAX], now[CLAIM_MAX];
        ssize_t n = readlinkat(base, link, target, sizeof(target) - 1);
        char *end;

        if (n <= 0)
                return false;
        target[n] = '\0';
        long pid = strtol(target, &end, 10);
        if (pid <= 0 || *end != ':')
                return false;
        return claim_target((pid_t)pid, now) == 0 && strcmp(now, target) == 0 && runstate_proc_start((pid_t)pid) != 0;
}

/* The base directory's lock, never waited on for long: any process that
   can open the directory (a sandbox with it bound in, read-only) can take
   it, and must not be able to stall nook. */
static bool lock_base(int base, int tenths)
{
        for (int i = 0; i <= tenths; i++) {
                if (flock(base, LOCK_EX | LOCK_NB) == 0)
                        return true;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return false;
                if (i < tenths)
                        usleep(100000);
        }
        return false;
}

static int claim_name(int base, const char *name, struct nook_err *e)
{
        char link[LINK_MAX], me[CLAIM_MAX];
        int r = 0;

        if (claim_link(name, link) < 0 || claim_target(getpid(), me) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot claim the name %s: it is too long", nook_val(name));
        if (!lock_base(base, 20))
                return nook_errf(e, EWOULDBLOCK, "cannot claim the name %s: the run directories stay locked (by a process that has them in view?)", name);
        if (symlinkat(me, base, link) < 0) {
                int err = errno;
                if (err == EEXIST && !claim_alive(base, link)) {
                        unlinkat(base, link, 0);
                        err = symlinkat(me, base, link) == 0 ? 0 : errno;
                }
                if (err == EEXIST)
                        r = nook_errf(e, EEXIST, "a sandbox named %s is running already (nook ps; nook stop %s)", name, name);
                else if (err)
                        r = nook_errf(e, err, "cannot record the sandbox's name %s: %s", name, strerror(err));
        }
        flock(base, LOCK_UN);
        return r;
}

int runstate_claim_name(const struct nook_spec *s, struct nook_err *e)
{
        if (!s->name)
                return 0;
        _cleanup_close_ int base = rundir_open_base(e);
        return base < 0 ? base : claim_name(base, s->name, e);
}

/* The "confine" of the state: state/confine.c's table, with what the
   command's ids are. */
static json_t *confine_json(const struct nook_spec *s)
{
        struct run_confine c = {
                .image = s->n_layers > 0,
                .nest_uid = spec_command_uid(s, getuid()),
                .nest_gid = spec_command_gid(s, getgid()),
        };
        return confine_to_json(s, &c);
}

void runstate_logs_dir(char *buf, size_t size)
{
        const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        struct user_entry pw;

        /* each candidate too long to name is passed over, as one unset */
        if (state && state[0] == '/' && str_fmt(buf, size, "%s/nook/logs", state) == 0)
                return;
        /* never a shared place such as /tmp/.local: the home the password
           database gives, else the user's private run directories */
        if (!home || home[0] != '/') {
                home = users_by_uid(getuid(), &pw) && pw.home[0] == '/' && strcmp(pw.home, "/") != 0 ? pw.home : NULL;
        }
        if (home && str_fmt(buf, size, "%s/.local/state/nook/logs", home) == 0)
                return;
        char base[PATH_MAX];
        rundir_base(base, sizeof(base));
        if (str_fmt(buf, size, "%s/logs", base) < 0)
                buf[0] = '\0';
}

/* "state" in dir, replaced at once (state.tmp renamed over it): 0 or -1. */
static int write_state(const char *dir, json_t *o)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (dfd < 0)
                return -1;
        /* the user's alone, as the directory: the command line may hold
           what only they should read */
        unlinkat(dfd, "state.tmp", 0);
        /* one write: json_dumpfd writes each token with a write(2) of its
           own, some 240 of them, on every start */
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        if (!text)
                return -1;
        size_t len = strlen(text);
        int fd = openat(dfd, "state.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = fd < 0 || write(fd, text, len) != (ssize_t)len ? -1 : 0;
        if (fd >= 0 && close(fd) < 0)
                r = -1;
        if (r < 0 || renameat(dfd, "state.tmp", dfd, "state") < 0) {
                unlinkat(dfd, "state.tmp", 0);
                return -1;
        }
        return 0;
}

/* A named sandbox's log is found by its name too, once it has ended:
   NAME.log -> ID.log beside it, the latest run of that name. */
static void link_log_name(const char *log, const char *name)
{
        const char *slash = strrchr(log, '/');
        _cleanup_free_ char *dir = slash ? strndup(log, (size_t)(slash - log)) : NULL;
        _cleanup_free_ char *link = NULL, *tmp = NULL;

        /* asprintf leaves its pointer undefined when it fails */
        if (!dir || asprintf(&link, "%s.log", name) < 0) {
                link = NULL;
                return;
        }
        if (asprintf(&tmp, "%s.log.%d", name, (int)getpid()) < 0) {
                tmp = NULL;
                return;
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd >= 0 && symlinkat(slash + 1, dfd, tmp) == 0 && renameat(dfd, tmp, dfd, link) < 0)
                unlinkat(dfd, tmp, 0);
}

int runstate_record(const char *dir, const struct nook_spec *s, pid_t pid1, const pid_t *helpers, size_t n_helpers,
                    const char *log, struct nook_err *e)
{
        json_t *hs = json_array();
        for (size_t i = 0; hs && i < n_helpers; i++)
                json_array_append_new(hs, json_pack("{s:i,s:I}", "pid", (int)helpers[i], "start",
                                                    (json_int_t)runstate_proc_start(helpers[i])));
        char **ports = calloc(s->n_ports + 1, sizeof(*ports));

        if (!ports)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_ports; i++)
                if (asprintf(&ports[i], "%s:%u:%u/%s", s->ports[i].host_ip, s->ports[i].host_port,
                             s->ports[i].guest_port, s->ports[i].udp ? "udp" : "tcp") < 0)
                        ports[i] = NULL;
        json_t *o = json_pack("{s:i,s:I,s:i,s:I,s:I,s:s?,s:s?,s:s?,s:s,s:o,s:o,s:o,s:o,s:s?}", "nook_pid", (int)getpid(),
                              "nook_start", (json_int_t)runstate_proc_start(getpid()), "pid1", (int)pid1,
                              "pid1_start", (json_int_t)runstate_proc_start(pid1), "started",
                              (json_int_t)time(NULL), "name", s->name, "image", s->image, "profile",
                              s->profile_name, "net", net_mode(s), "ports", strv_json(ports, s->n_ports),
                              "command", strv_json(s->argv, (size_t)-1),
                              "confine", confine_json(s), "helpers", hs, "log", log);
        strv_free(ports);
        if (!o)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = write_state(dir, o);
        json_decref(o);
        if (r < 0)
                return nook_errf(e, EIO, "cannot write the run state in %s", dir);
        if (log && s->name)
                link_log_name(log, s->name);
        return 0;
}

void runstate_release_name(const struct nook_spec *s)
{
        char link[LINK_MAX], target[CLAIM_MAX], me[CLAIM_MAX];
        struct nook_err e = { 0 };

        if (!s->name || claim_link(s->name, link) < 0 || claim_target(getpid(), me) < 0)
                return;
        _cleanup_close_ int base = rundir_open_base(&e);
        if (base < 0)
                return;
        /* no lock: while we live no one takes our claim for stale */
        ssize_t n = readlinkat(base, link, target, sizeof(target) - 1);
        /* ours only: never another sandbox's claim */
        if (n > 0 && (target[n] = '\0', strcmp(target, me) == 0))
                unlinkat(base, link, 0);
}

/* The fields of a state file's JSON; -ENOMEM (st freed) when out of
   memory. */
static int state_from_json(json_t *o, struct run_state *st)
{
        st->nook_pid = (pid_t)json_integer_value(json_object_get(o, "nook_pid"));
        st->nook_start = (unsigned long long)json_integer_value(json_object_get(o, "nook_start"));
        st->pid1 = (pid_t)json_integer_value(json_object_get(o, "pid1"));
        st->pid1_start = (unsigned long long)json_integer_value(json_object_get(o, "pid1_start"));
        st->started = json_integer_value(json_object_get(o, "started"));
        const char *v;
        if ((v = json_string_value(json_object_get(o, "name"))))
                st->name = strdup(v);
        if ((v = json_string_value(json_object_get(o, "image"))))
                st->image = strdup(v);
        if ((v = json_string_value(json_object_get(o, "profile"))))
                st->profile = strdup(v);
        if ((v = json_string_value(json_object_get(o, "log"))))
                st->log = strdup(v);
        v = json_string_value(json_object_get(o, "net"));
        st->net = strdup(v ? v : "none");
        st->ports = json_strv(json_object_get(o, "ports"));
        st->command = json_strv(json_object_get(o, "command"));
        json_t *h;
        size_t hi;
        json_array_foreach(json_object_get(o, "helpers"), hi, h)
                if (st->n_helpers < ARRAY_SIZE(st->helpers)) {
                        st->helpers[st->n_helpers] = (pid_t)json_integer_value(json_object_get(h, "pid"));
                        st->helper_start[st->n_helpers++] = (unsigned long long)json_integer_value(json_object_get(h, "start"));
                }
        if (!st->net || !st->ports || !st->command) {
                run_state_free(st);
                return -ENOMEM;
        }
        return 0;
}

int runstate_parse(const char *buf, size_t len, struct run_state *st)
{
        json_error_t je;

        memset(st, 0, sizeof(*st));
        json_t *o = json_loadb(buf, len, 0, &je);
        if (!o)
                return -EINVAL;
        int r = state_from_json(o, st);
        json_decref(o);
        return r;
}

/* Reads one run directory's state; -ESRCH when its nook is gone (the
   directory is then removed), -ENOENT while it has no state yet. */
static int read_state(int base, const char *entry, struct run_state *st)
{
        char path[PATH_MAX];
        json_error_t je;

        memset(st, 0, sizeof(*st));
        _cleanup_close_ int fd = openat(base, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int sfd = fd >= 0 ? openat(fd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        FILE *f = sfd >= 0 ? fdopen(sfd, "re") : NULL;
        json_t *o = f ? json_loadf(f, 0, &je) : NULL;
        if (f)
                fclose(f);
        else if (sfd >= 0)
                close(sfd);
        char *end;
        long pid = strtol(entry, &end, 10);
        unsigned long long now = runstate_proc_start((pid_t)pid);
        if (!o && now)
                return -ENOENT;
        if (o) {
                st->nook_pid = (pid_t)json_integer_value(json_object_get(o, "nook_pid"));
                st->nook_start = (unsigned long long)json_integer_value(json_object_get(o, "nook_start"));
        }
        if (!o || st->nook_pid != pid || !now || now != st->nook_start) {
                /* its nook is gone */
                json_decref(o);
                rundir_remove_at(base, entry);
                return -ESRCH;
        }
        int r = state_from_json(o, st);
        json_decref(o);
        if (r < 0)
                return r;
        rundir_base(path, sizeof(path));
        if (asprintf(&st->dir, "%s/%s", path, entry) < 0) {
                st->dir = NULL;
                run_state_free(st);
                return -ENOMEM;
        }
        return 0;
}

static int by_start(const void *a, const void *b)
{
        const struct run_state *x = a, *y = b;
        return x->nook_start < y->nook_start ? -1 : x->nook_start > y->nook_start;
}

int runstate_list(struct run_state **out, size_t *n, struct nook_err *e)
{
        *out = NULL;
        *n = 0;
        int base = rundir_open_base(e);
        if (base < 0)
                return base;
        DIR *dp = fdopendir(base);
        if (!dp) {
                close(base);
                return nook_errf(e, errno, "cannot read the run directories: %m");
        }
        struct dirent *de;
        size_t cap = 0;
        int r = 0;
        while (r == 0 && (de = readdir(dp))) {
                char *end;
                if (strtol(de->d_name, &end, 10) <= 0 || *end)
                        continue;
                struct run_state st;
                int rr = read_state(dirfd(dp), de->d_name, &st);
                if (rr == -ENOMEM)
                        r = nook_errf(e, ENOMEM, "out of memory");
                if (rr < 0)
                        continue;
                if (*n == cap) {
                        cap = cap ? 2 * cap : 8;
                        struct run_state *nv = realloc(*out, cap * sizeof(**out));
                        if (!nv) {
                                run_state_free(&st);
                                r = nook_errf(e, ENOMEM, "out of memory");
                                break;
                        }
                        *out = nv;
                }
                (*out)[(*n)++] = st;
        }
        /* a name whose nook is gone (killed before its end); another time
           when the lock is busy */
        if (lock_base(dirfd(dp), 0)) {
                rewinddir(dp);
                while ((de = readdir(dp)))
                        if (strncmp(de->d_name, "name-", 5) == 0 && !claim_alive(dirfd(dp), de->d_name))
                                unlinkat(dirfd(dp), de->d_name, 0);
                flock(dirfd(dp), LOCK_UN);
        }
        closedir(dp);
        if (*n)
                qsort(*out, *n, sizeof(**out), by_start);
        return r;
}

void runstate_clear_stale(void)
{
        struct nook_err e = { 0 };
        struct run_state *all;
        size_t n;

        if (runstate_list(&all, &n, &e) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                run_state_free(&all[i]);
        free(all);
}

/* The "confine" part of a state file's JSON o: 0, -EIO when it has none,
   -EPROTO (e says why), -ENOMEM. */
static int confine_of(json_t *o, struct nook_spec *s, struct run_confine *c, struct nook_err *e)
{
        json_t *k = json_object_get(o, "confine");

        if (!k)
                return -EIO;
        c->pid1_start = (unsigned long long)json_integer_value(json_object_get(o, "pid1_start"));
        return confine_from_json(k, s, c, e);
}

int runstate_parse_confinement(const char *buf, size_t len, struct nook_spec *s, struct run_confine *c,
                               struct nook_err *e)
{
        json_error_t je;
        json_t *o = json_loadb(buf, len, 0, &je);
        int r = o ? confine_of(o, s, c, e) : -EINVAL;

        json_decref(o);
        return r;
}

int runstate_confinement(const struct run_state *st, struct nook_spec *s, struct run_confine *c, struct nook_err *e)
{
        _cleanup_free_ char *path = NULL;
        json_error_t je;

        if (asprintf(&path, "%s/state", st->dir) < 0) {
                path = NULL;
                return nook_errf(e, ENOMEM, "out of memory");
        }
        json_t *o = json_load_file(path, 0, &je);
        /* gone between the listing and here: nook removed it, as the
           sandbox's command ended */
        if (!o && access(st->dir, F_OK) < 0 && errno == ENOENT)
                return nook_errf(e, ESRCH, "sandbox %d has ended", (int)st->nook_pid);
        int r = o ? confine_of(o, s, c, e) : -EIO;
        json_decref(o);
        if (r == -EIO)
                return nook_errf(e, EIO, "the state of sandbox %d says nothing of its confinement (%s)", (int)st->nook_pid,
                                 path);
        if (r == -EPROTO)
                return nook_err_prefix(e, "cannot rebuild the confinement of sandbox %d", (int)st->nook_pid);
        return r;
}

int runstate_find(const char *what, struct run_state *out, struct nook_err *e)
{
        struct run_state *all;
        size_t n;
        int r = runstate_list(&all, &n, e);
        ssize_t hit = -1;

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char id[32];
                if ((all[i].name && strcmp(all[i].name, what) == 0) ||
                    (STR_FMT(id, "%d", (int)all[i].nook_pid) == 0 && strcmp(id, what) == 0))
                        hit = (ssize_t)i;
        }
        for (size_t i = 0; i < n; i++)
                if ((ssize_t)i != hit)
                        run_state_free(&all[i]);
        if (hit < 0) {
                free(all);
                return nook_errf(e, ESRCH, "no running sandbox is named or numbered '%s' (nook ps lists them)", what);
        }
        *out = all[hit];
        free(all);
        return 0;
}
