#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sandbox/observe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* The callers' names, kept between notifications: one open, read and
   close fewer a call. An exec changes the name, so it drops the entry; a
   reused pid could show the name of the one before, in a comment only
   (the arguments are always read afresh, through a new /proc/PID/mem). */
#define COMM_CACHE 64

struct comm_entry {
        pid_t pid;
        char comm[16];
};

struct observer {
        pthread_t thread;
        struct comm_entry comms[COMM_CACHE];
        unsigned next_comm;
        bool audit;
        struct seccomp_refusal *refusals;       /* nook run --audit: what to refuse */
        size_t n_refusals;
        char *const *hidden;                    /* and the spec's Hide= paths */
        size_t n_hidden;
        int sock;               /* where the listener comes from */
        int stop[2];            /* nook's main thread -> the observer: end */
        int ready[2];           /* the observer -> observe_start: it waits */
        struct observed seen;
};

/* ---- what was seen ---- */

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;    /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static int grow_slots(struct observed *o)
{
        size_t n = o->n_slots ? o->n_slots * 2 : 1024;
        size_t *slots = calloc(n, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_paths; i++) {
                size_t k = hash_str(o->paths[i].path) & (n - 1);
                while (slots[k])
                        k = (k + 1) & (n - 1);
                slots[k] = i + 1;
        }
        free(o->slots);
        o->slots = slots;
        o->n_slots = n;
        return 0;
}

static struct obs_path *path_entry(struct observed *o, const char *path)
{
        if (2 * (o->n_paths + 1) > o->n_slots && grow_slots(o) < 0)
                return NULL;
        size_t k = hash_str(path) & (o->n_slots - 1);
        for (; o->slots[k]; k = (k + 1) & (o->n_slots - 1))
                if (strcmp(o->paths[o->slots[k] - 1].path, path) == 0)
                        return &o->paths[o->slots[k] - 1];
        size_t len = strlen(path);
        if (o->n_paths >= OBS_MAX_PATHS || o->path_bytes + len > OBS_MAX_PATH_BYTES) {
                o->over++;
                return NULL;
        }
        if (o->n_paths == o->cap_paths) {
                size_t cap = o->cap_paths ? o->cap_paths * 2 : 256;
                struct obs_path *p = reallocarray(o->paths, cap, sizeof(*p));
                if (!p)
                        return NULL;
                o->paths = p;
                o->cap_paths = cap;
        }
        struct obs_path *p = &o->paths[o->n_paths];
        *p = (struct obs_path){ .path = strdup(path) };
        if (!p->path)
                return NULL;
        o->path_bytes += len;
        o->slots[k] = ++o->n_paths;
        return p;
}

static void record_path(struct observed *o, const char *path, unsigned access, const char *prog)
{
        struct obs_path *p = path_entry(o, path);

        if (!p)
                return;
        if (!p->count)
                snprintf(p->prog, sizeof(p->prog), "%s", prog);
        p->access |= access;
        p->count++;
}

static void record_net(struct observed *o, int family, const char *addr, unsigned port, bool bound, const char *prog)
{
        for (size_t i = 0; i < o->n_nets; i++) {
                struct obs_net *n = &o->nets[i];
                if (n->family == family && n->port == port && n->bound == bound && strcmp(n->addr, addr) == 0) {
                        n->count++;
                        return;
                }
        }
        if (o->n_nets >= OBS_MAX_NETS) {
                o->over++;
                return;
        }
        struct obs_net *nets = reallocarray(o->nets, o->n_nets + 1, sizeof(*nets));
        if (!nets)
                return;
        o->nets = nets;
        struct obs_net *n = &nets[o->n_nets++];
        *n = (struct obs_net){ .family = family, .port = port, .bound = bound, .count = 1 };
        snprintf(n->addr, sizeof(n->addr), "%s", addr);
        snprintf(n->prog, sizeof(n->prog), "%s", prog);
}

void observed_free(struct observed *o)
{
        for (size_t i = 0; i < o->n_paths; i++)
                free(o->paths[i].path);
        free(o->paths);
        free(o->slots);
        free(o->nets);
        free(o->refused);
        memset(o, 0, sizeof(*o));
}

/* ---- the calls ---- */

enum call_kind {
        CALL_OPEN, CALL_OPENAT2, CALL_CREAT, CALL_EXEC, CALL_CONNECT, CALL_SENDTO, CALL_BIND, CALL_SOCKET, CALL_MKDIR,
        CALL_REMOVE, CALL_RENAME,
};

struct call {
        long nr;
        enum call_kind kind;
        int dirfd;              /* argument holding the directory fd; -1: the cwd */
        int path;               /* argument holding the path (connect, sendto: the address) */
        int flags;              /* open's flags argument; -1: none */
};

/* The calls of seccomp_observed_calls, by number (the legacy ones only
   where this architecture has them). */
static const struct call calls[] = {
#ifdef SYS_open
        { SYS_open, CALL_OPEN, -1, 0, 1 },
#endif
#ifdef SYS_creat
        { SYS_creat, CALL_CREAT, -1, 0, -1 },
#endif
#ifdef SYS_mkdir
        { SYS_mkdir, CALL_MKDIR, -1, 0, -1 },
#endif
#ifdef SYS_unlink
        { SYS_unlink, CALL_REMOVE, -1, 0, -1 },
#endif
#ifdef SYS_rmdir
        { SYS_rmdir, CALL_REMOVE, -1, 0, -1 },
#endif
#ifdef SYS_rename
        { SYS_rename, CALL_RENAME, -1, 0, -1 },
#endif
        { SYS_openat, CALL_OPEN, 0, 1, 2 },
        { SYS_openat2, CALL_OPENAT2, 0, 1, -1 },
        { SYS_execve, CALL_EXEC, -1, 0, -1 },
        { SYS_execveat, CALL_EXEC, 0, 1, -1 },
        { SYS_connect, CALL_CONNECT, -1, 1, -1 },
        { SYS_sendto, CALL_SENDTO, -1, 4, -1 },
        { SYS_bind, CALL_BIND, -1, 1, -1 },
        { SYS_socket, CALL_SOCKET, -1, 0, -1 },
        { SYS_mkdirat, CALL_MKDIR, 0, 1, -1 },
        { SYS_unlinkat, CALL_REMOVE, 0, 1, -1 },
        { SYS_renameat, CALL_RENAME, 0, 1, -1 },
        { SYS_renameat2, CALL_RENAME, 0, 1, -1 },
};

static const struct call *call_find(long nr)
{
        for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
                if (calls[i].nr == nr)
                        return &calls[i];
        return NULL;
}

static unsigned open_access(uint64_t flags)
{
        unsigned a = (flags & O_ACCMODE) == O_RDONLY ? OBS_READ : OBS_WRITE;

        /* O_TMPFILE holds O_DIRECTORY's bit: a directory opened to be
           listed is no file made */
        if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
                a |= OBS_CREATE;
        if ((flags & O_ACCMODE) == O_RDWR)
                a |= OBS_READ;
        return a;
}

/* A NUL-terminated string of the caller's at addr, page by page, so that
   one ending just before an unmapped page is still read. */
static int read_string(int mem, uint64_t addr, char *buf, size_t size)
{
        size_t got = 0;

        if (!addr)
                return -EFAULT;
        while (got < size - 1) {
                size_t page_left = 4096 - ((addr + got) & 4095);
                size_t want = page_left < size - 1 - got ? page_left : size - 1 - got;
                ssize_t n = pread(mem, buf + got, want, (off_t)(addr + got));
                if (n <= 0)
                        return -EFAULT;
                if (memchr(buf + got, '\0', (size_t)n))
                        return 0;
                got += (size_t)n;
        }
        return -ENAMETOOLONG;
}

/* "." and ".." folded as names (a symbolic link on the way is not
   followed: what is recorded is the name the program used). */
static void fold_path(char *p)
{
        char *out = p, *in = p;

        while (*in) {
                while (*in == '/')
                        in++;
                char *end = strchrnul(in, '/');
                size_t len = (size_t)(end - in);
                if (len == 1 && in[0] == '.') {
                        /* nothing */
                } else if (len == 2 && in[0] == '.' && in[1] == '.') {
                        while (out > p && *--out != '/')
                                ;
                } else if (len) {
                        *out++ = '/';
                        memmove(out, in, len);
                        out += len;
                }
                in = end;
        }
        if (out == p)
                *out++ = '/';
        *out = '\0';
}

/* The directory a relative path starts from: the caller's cwd or the fd's
   path, as /proc shows them (the sandbox's own names). */
static int read_dir(pid_t pid, int64_t dirfd, char *buf, size_t size)
{
        char link[64];
        int fd = (int)dirfd;

        if (fd == AT_FDCWD)
                snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
        else
                snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(link, buf, size - 1);
        if (n <= 0 || buf[0] != '/')
                return -ENOENT;
        buf[n] = '\0';
        return 0;
}

static int full_path(pid_t pid, const struct call *c, const struct seccomp_data *d, int mem, int argi, char *out,
                     size_t size)
{
        char name[PATH_MAX];
        int r = read_string(mem, d->args[argi], name, sizeof(name));

        if (r < 0)
                return r;
        if (name[0] == '/') {
                snprintf(out, size, "%s", name);
        } else {
                r = read_dir(pid, c->dirfd < 0 ? AT_FDCWD : (int64_t)(int)d->args[c->dirfd], out, size);
                if (r < 0)
                        return r;
                size_t len = strlen(out);
                if (name[0] && snprintf(out + len, size - len, "/%s", name) >= (int)(size - len))
                        return -ENAMETOOLONG;
        }
        fold_path(out);
        return 0;
}

static unsigned call_access(const struct call *c, const struct seccomp_data *d, int mem)
{
        struct open_how how = { 0 };

        switch (c->kind) {
        case CALL_OPEN:
                return open_access(d->args[c->flags]);
        case CALL_OPENAT2:
                if (pread(mem, &how, sizeof(how.flags), (off_t)d->args[2]) != (ssize_t)sizeof(how.flags))
                        return OBS_READ;
                return open_access(how.flags);
        case CALL_CREAT:
                return OBS_WRITE | OBS_CREATE;
        case CALL_EXEC:
                return OBS_EXEC | OBS_READ;
        case CALL_MKDIR:
                return OBS_MKDIR;
        default:
                return OBS_REMOVE;
        }
}

/* connect()'s or sendto()'s address (argument argi, its length the next),
   as text: inet ones numeric, unix ones their path. */
static int read_addr(int mem, const struct seccomp_data *d, int argi, int *family, char *addr, size_t size,
                     unsigned *port)
{
        struct sockaddr_storage ss = { 0 };
        size_t len = d->args[argi + 1] < sizeof(ss) ? (size_t)d->args[argi + 1] : sizeof(ss);

        if (len < sizeof(sa_family_t) || pread(mem, &ss, len, (off_t)d->args[argi]) != (ssize_t)len)
                return -EFAULT;
        *family = ss.ss_family;
        *port = 0;
        if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
                const struct sockaddr_in *in = (const void *)&ss;
                *port = ntohs(in->sin_port);
                return inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)size) ? 0 : -EINVAL;
        }
        if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
                const struct sockaddr_in6 *in6 = (const void *)&ss;
                *port = ntohs(in6->sin6_port);
                return inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)size) ? 0 : -EINVAL;
        }
        if (ss.ss_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
                const struct sockaddr_un *un = (const void *)&ss;
                size_t n = len - offsetof(struct sockaddr_un, sun_path);
                if (un->sun_path[0] == '\0')
                        snprintf(addr, size, "@%.*s", (int)(n - 1), un->sun_path + 1);
                else
                        snprintf(addr, size, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
                return 0;
        }
        return -EAFNOSUPPORT;
}

static void read_comm(pid_t pid, char *buf, size_t size)
{
        char link[64];

        snprintf(link, sizeof(link), "/proc/%d/comm", (int)pid);
        _cleanup_close_ int fd = open(link, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
        if (n <= 0)
                n = 0;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

static const char *comm_of(struct observer *ob, pid_t pid)
{
        for (size_t i = 0; i < COMM_CACHE; i++)
                if (ob->comms[i].pid == pid)
                        return ob->comms[i].comm;
        struct comm_entry *c = &ob->comms[ob->next_comm++ % COMM_CACHE];
        c->pid = pid;
        read_comm(pid, c->comm, sizeof(c->comm));
        return c->comm;
}

static void comm_forget(struct observer *ob, pid_t pid)
{
        for (size_t i = 0; i < COMM_CACHE; i++)
                if (ob->comms[i].pid == pid)
                        ob->comms[i].pid = 0;
}

/* ---- nook run --audit ---- */

/* The caller's view of path, resolved in its root as its own open would
   be (a symbolic link followed inside it). */
static int open_in_root(int root, const char *path)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

        return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* OBS_ROFS when fd is on a read-only mount; or when there is no fd,
   OBS_ABSENT if the host has path (ENOENT only: another error is not the
   sandbox hiding it). */
static unsigned refusal(int fd, const char *path)
{
        struct statfs sf;
        struct stat st;

        if (fd >= 0) {
                bool ro = fstatfs(fd, &sf) == 0 && (sf.f_flags & ST_RDONLY);
                close(fd);
                return ro ? OBS_ROFS : 0;
        }
        return errno == ENOENT && lstat(path, &st) == 0 ? OBS_ABSENT : 0;
}

/* What the sandbox refuses of path for access, asked before the call goes
   on: OBS_HIDDEN (at or below a Hide=), OBS_ABSENT, OBS_ROFS or 0
   (nothing: not recorded). For a name to be
   made that neither has, the answer is about its directory, and path is
   cut to it. /proc and /sys are the sandbox's own. */
static unsigned audit_path(const struct observer *ob, int root, char *path, unsigned access)
{
        bool change = access & (OBS_WRITE | OBS_CREATE | OBS_MKDIR | OBS_REMOVE);
        struct stat st;

        if (root < 0 || path_is_below(path, "/proc") || path_is_below(path, "/sys"))
                return 0;
        /* a Hide= shows an empty node there: the open may well succeed */
        for (size_t i = 0; i < ob->n_hidden; i++)
                if (path_is_below(path, ob->hidden[i]) && (strcmp(path, ob->hidden[i]) == 0 || lstat(path, &st) == 0))
                        return OBS_HIDDEN;
        int fd = open_in_root(root, path);
        if (fd >= 0 && !change) {
                close(fd);
                return 0;
        }
        unsigned why = refusal(fd, path);
        if (why || fd >= 0 || !(access & (OBS_CREATE | OBS_MKDIR)) || lstat(path, &st) == 0)
                return why;
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return 0;
        *slash = '\0';
        return refusal(open_in_root(root, path), path);
}

static int open_root(pid_t pid)
{
        char link[64];

        snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
        return open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* What one notification names, read back from the caller, then kept only
   if the caller is still the one that made the call: a pid read after it
   died could be another process's (SECCOMP_IOCTL_NOTIF_ID_VALID). */
static void observe_one(struct observer *ob, int listener, const struct seccomp_notif *req)
{
        const struct call *c = call_find(req->data.nr);
        struct observed *o = &ob->seen;
        char mempath[64], prog[16], p1[PATH_MAX + 1], p2[PATH_MAX + 1], addr[128];
        unsigned access = 0, access2 = OBS_WRITE | OBS_CREATE, port = 0;
        int family = 0, r1 = -1, r2 = -1, ra = -1;

        if (!c)
                return;
        /* socket(): the family is in a register, nothing to read back */
        if (c->kind == CALL_SOCKET) {
                if (req->data.args[0] < 64)
                        o->families |= UINT64_C(1) << req->data.args[0];
                return;
        }
        snprintf(mempath, sizeof(mempath), "/proc/%u/mem", req->pid);
        _cleanup_close_ int mem = open(mempath, O_RDONLY | O_CLOEXEC);
        if (mem < 0)
                return;
        snprintf(prog, sizeof(prog), "%s", comm_of(ob, (pid_t)req->pid));
        if (c->kind == CALL_EXEC)
                comm_forget(ob, (pid_t)req->pid);
        if (c->kind == CALL_CONNECT || c->kind == CALL_SENDTO || c->kind == CALL_BIND) {
                ra = read_addr(mem, &req->data, c->path, &family, addr, sizeof(addr), &port);
        } else {
                access = call_access(c, &req->data, mem);
                r1 = full_path((pid_t)req->pid, c, &req->data, mem, c->path, p1, sizeof(p1));
                /* rename's new name: arguments 3 and 2 (renameat) or 1 (rename) */
                if (c->kind == CALL_RENAME) {
                        struct call to = { c->nr, c->kind, c->dirfd < 0 ? -1 : 2, c->dirfd < 0 ? 1 : 3, -1 };
                        r2 = full_path((pid_t)req->pid, &to, &req->data, mem, to.path, p2, sizeof(p2));
                }
        }
        if (ob->audit) {
                _cleanup_close_ int root = open_root((pid_t)req->pid);
                if (ra == 0 && family == AF_UNIX && addr[0] == '/') {
                        snprintf(p1, sizeof(p1), "%s", addr);
                        r1 = 0;
                        access = OBS_READ;
                }
                unsigned w1 = r1 == 0 ? audit_path(ob, root, p1, access) : 0;
                unsigned w2 = r2 == 0 ? audit_path(ob, root, p2, OBS_WRITE | OBS_CREATE) : 0;
                r1 = w1 ? r1 : -1;
                r2 = w2 ? r2 : -1;
                access |= w1;
                access2 |= w2;
        }
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
                o->stale++;
                return;
        }
        if (r1 == 0)
                record_path(o, p1, access, prog);
        if (r2 == 0)
                record_path(o, p2, access2, prog);
        if (ra == 0 && (family == AF_INET || family == AF_INET6 || family == AF_UNIX))
                record_net(o, family, addr, port, c->kind == CALL_BIND, prog);
}

/* err 0: the call goes on; else it fails with err, never run. */
static void answer(int listener, struct seccomp_notif_resp *resp, uint64_t id, int err)
{
        memset(resp, 0, sizeof(*resp));
        resp->id = id;
        if (err)
                resp->error = -err;
        else
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        /* ENOENT: the caller died meanwhile; nothing to answer */
        (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* The first of the filter's refusals of this call that its arguments
   meet, in the filter's order (the rules are the filter's own:
   seccomp_audited_refusals()). */
static const struct seccomp_refusal *refusal_find(const struct observer *ob, const struct seccomp_data *d)
{
        for (size_t i = 0; i < ob->n_refusals; i++)
                if (ob->refusals[i].nr == d->nr && seccomp_refusal_matches(&ob->refusals[i], d))
                        return &ob->refusals[i];
        return NULL;
}

static void record_refused(struct observer *ob, const struct seccomp_refusal *rf, const struct seccomp_data *d,
                           pid_t pid)
{
        struct observed *o = &ob->seen;
        int family = rf->kind != REFUSED_FAMILY ? 0 : d->args[0] > INT_MAX ? -1 : (int)d->args[0];

        for (size_t i = 0; i < o->n_refused; i++)
                if (strcmp(o->refused[i].name, rf->name) == 0 && o->refused[i].kind == rf->kind &&
                    o->refused[i].family == family) {
                        o->refused[i].count++;
                        return;
                }
        /* a command trying every family: the list stays small */
        if (o->n_refused >= 256) {
                o->over++;
                return;
        }
        struct obs_refused *l = reallocarray(o->refused, o->n_refused + 1, sizeof(*l));
        if (!l)
                return;
        o->refused = l;
        struct obs_refused *n = &l[o->n_refused++];
        *n = (struct obs_refused){ .kind = rf->kind, .family = family, .err = rf->err, .count = 1 };
        snprintf(n->name, sizeof(n->name), "%s", rf->name);
        snprintf(n->prog, sizeof(n->prog), "%s", comm_of(ob, pid));
}

/* A refused call is noted and refused; an observed one noted and let go
   on; anything else (no rule of nook's sends it) refused: fail closed. */
static int handle(struct observer *ob, int listener, const struct seccomp_notif *req)
{
        const struct seccomp_refusal *rf = refusal_find(ob, &req->data);

        if (rf) {
                record_refused(ob, rf, &req->data, (pid_t)req->pid);
                return rf->err;
        }
        if (!call_find(req->data.nr))
                return ENOSYS;
        observe_one(ob, listener, req);
        return 0;
}

/* Until nook says stop, or no process uses the filter any more. */
static void serve(struct observer *ob, int listener)
{
        struct seccomp_notif_sizes sz = { 0 };

        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                return;
        _cleanup_free_ struct seccomp_notif *req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
        _cleanup_free_ struct seccomp_notif_resp *resp =
                calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp));
        if (!req || !resp)
                return;
        for (;;) {
                struct pollfd p[2] = { { listener, POLLIN, 0 }, { ob->stop[0], POLLIN, 0 } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (p[1].revents)
                        return;
                if (!(p[0].revents & POLLIN)) {
                        if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))
                                return;
                        continue;
                }
                memset(req, 0, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
                if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                        continue;       /* ENOENT: the caller was killed meanwhile */
                answer(listener, resp, req->id, handle(ob, listener, req));
                ob->seen.notifications++;
        }
}

static void *observer_main(void *arg)
{
        struct observer *ob = arg;
        struct pollfd p[2] = { { ob->sock, POLLIN, 0 }, { ob->stop[0], POLLIN, 0 } };

        /* started: from here to the listener, nothing is allocated */
        (void)!write(ob->ready[1], "r", 1);
        while (poll(p, 2, -1) < 0)
                if (errno != EINTR)
                        return NULL;
        if (p[1].revents || !(p[0].revents & POLLIN))
                return NULL;
        _cleanup_close_ int listener = fd_recv(ob->sock, MSG_DONTWAIT);
        if (listener >= 0)
                serve(ob, listener);
        return NULL;
}

int observe_start(int sock, bool audit, struct seccomp_refusal *refusals, size_t n_refusals, char *const *hidden,
                  size_t n_hidden, struct observer **out, struct nook_err *e)
{
        _cleanup_free_ struct observer *ob = calloc(1, sizeof(*ob));
        sigset_t all, old;

        if (!ob) {
                free(refusals);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        ob->refusals = refusals;
        ob->n_refusals = n_refusals;
        ob->hidden = audit ? hidden : NULL;
        ob->n_hidden = audit ? n_hidden : 0;
        if (pipe2(ob->stop, O_CLOEXEC) < 0) {
                free(refusals);
                return nook_errf(e, errno, "cannot create a pipe: %m");
        }
        if (pipe2(ob->ready, O_CLOEXEC) < 0) {
                close(ob->stop[0]);
                close(ob->stop[1]);
                free(refusals);
                return nook_errf(e, errno, "cannot create a pipe: %m");
        }
        ob->sock = sock;
        ob->audit = audit;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(&ob->thread, NULL, observer_main, ob);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        /* pid 1 is cloned from this process, raw, with the thread's locks
           as they are at that moment: one the thread held while starting
           (an allocator's: ASan's are shared by every thread) would be
           held in pid 1 forever, and pid 1 hung on it. So the thread is
           let start first; it then waits without allocating. */
        char c;
        while (r == 0 && read(ob->ready[0], &c, 1) < 0 && errno == EINTR)
                ;
        close(ob->ready[0]);
        close(ob->ready[1]);
        if (r != 0) {
                close(ob->stop[0]);
                close(ob->stop[1]);
                free(refusals);
                return nook_errf(e, r, "cannot start the observer thread: %m");
        }
        *out = steal_ptr(&ob);
        return 0;
}

void observe_finish(struct observer *ob, struct observed *out)
{
        if (write(ob->stop[1], "x", 1) < 0)
                memset(out, 0, sizeof(*out));
        pthread_join(ob->thread, NULL);
        close(ob->stop[0]);
        close(ob->stop[1]);
        close(ob->sock);
        *out = ob->seen;
        free(ob->refusals);
        free(ob);
}
