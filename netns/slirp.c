#include "netns/slirp.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/launcher.h"
#include "cred/caps.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

/* What slirp4netns needs to sandbox itself (a mount namespace and a
   pivot_root: SYS_ADMIN; dropping its bounding set: SETPCAP), to open and
   configure its tap (NET_ADMIN) and what it keeps (NET_BIND_SERVICE). */
#define SLIRP_CAPS ((1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SETPCAP) | (1ULL << CAP_NET_ADMIN) | \
                    (1ULL << CAP_NET_BIND_SERVICE))

/* 10.0.2.2 is the host's loopback only when the profile allows it. libslirp
   refuses it by itself with --disable-host-loopback, but then also drops the
   replies of a published UDP port to a host client (they come from
   10.0.2.2's side); there the sandbox's own nftables rules, which let
   replies through, are the only guard. */
static bool slirp_refuses_loopback(const struct net_config *net)
{
        if (net->host_loopback)
                return false;
        for (size_t i = 0; i < net->n_ports; i++)
                if (net->ports[i].udp)
                        return false;
        return true;
}

/* In the forked child: become a process of the sandbox's user namespace,
   with the capabilities slirp4netns needs there kept across exec even when
   the user is not root inside (a host sandbox keeps the user's uid), and
   exec it. The capabilities act only on the sandbox's namespaces. */
struct slirp_child {
        const char *log;
        int userns_fd;
        char **argv;
};

/* Its process until it execs, sharing nook's memory (launcher_spawn). */
static int slirp_exec(void *arg)
{
        const struct slirp_child *c = arg;
        struct nook_err e = { 0 };

        launcher_log_output(c->log);
        if (setns(c->userns_fd, CLONE_NEWUSER) < 0) {
                fprintf(stderr, "nook: cannot join the sandbox's user namespace: %m\n");
                return 126;
        }
        if (getuid() != 0 && caps_keep_only(SLIRP_CAPS, false, &e) < 0) {
                nook_err_print(&e);
                return 126;
        }
        launcher_exec(c->argv);
}

static void close_pair(int p[2])
{
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0)
                        close(p[i]);
        p[0] = p[1] = -1;
}

/* The pipes slirp4netns is told about (--ready-fd, --exit-fd), and the
   sandbox's user namespace and network namespace as fds. The network
   namespace travels as an fd of ours: once slirp4netns is in the
   sandbox's user namespace, the child's /proc entries are no longer its
   to open. */
static int open_fds(pid_t child, int ready[2], int exitp[2], int *userns_fd, int *netns_fd, struct nook_err *e)
{
        char path[64];

        ready[0] = ready[1] = exitp[0] = exitp[1] = *userns_fd = *netns_fd = -1;
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(exitp, O_CLOEXEC) < 0) {
                int err = errno;
                close_pair(ready);
                return nook_errf(e, err, "cannot start slirp4netns: %m");
        }
        if (STR_FMT(path, "/proc/%d/ns/user", (int)child) == 0)
                *userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*userns_fd >= 0 && STR_FMT(path, "/proc/%d/ns/net", (int)child) == 0)
                *netns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*netns_fd >= 0)
                return 0;
        int err = errno;
        if (*userns_fd >= 0)
                close(*userns_fd);
        *userns_fd = -1;
        close_pair(ready);
        close_pair(exitp);
        return nook_errf(e, err, "cannot join the sandbox to start slirp4netns: %m");
}

/* A unix socket's path as sun_path can hold it (108 bytes): the path
   itself, or, when it is longer (a run directory under a long
   RuntimeDir=), /proc/self/fd/N/NAME, N its directory opened O_PATH in
   *dir_fd (close-on-exec), which the caller keeps open as long as the name
   is used. */
static int socket_name(const char *path, char *name, size_t size, int *dir_fd)
{
        *dir_fd = -1;
        if (str_fmt(name, size, "%s", path) == 0)
                return 0;
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return -ENAMETOOLONG;
        _cleanup_free_ char *dir = strndup(path, (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = str_fmt(name, size, "/proc/self/fd/%d/%s", fd, slash + 1);
        if (r < 0)
                return r;
        *dir_fd = steal_fd(&fd);
        return 0;
}

/* Its words, each an allocated copy, in argv (at most 16). */
static int slirp_argv(const struct net_config *net, const char *api, int ready_fd, int exit_fd, int netns_fd,
                      char **argv)
{
        int n = 0;
        bool bad = false;

        argv[n++] = strdup("slirp4netns");
        argv[n++] = strdup("--configure");
        argv[n++] = strdup("--mtu=65520");
        argv[n++] = strdup("--enable-sandbox");
        argv[n++] = strdup("--enable-seccomp");
        if (slirp_refuses_loopback(net))
                argv[n++] = strdup("--disable-host-loopback");
        if (net->ipv6)
                argv[n++] = strdup("--enable-ipv6");
        argv[n++] = str_dupf("--ready-fd=%d", ready_fd);
        argv[n++] = str_dupf("--exit-fd=%d", exit_fd);
        argv[n++] = str_dupf("--api-socket=%s", api);
        argv[n++] = strdup("--netns-type=path");
        argv[n++] = str_dupf("/proc/self/fd/%d", netns_fd);
        argv[n++] = strdup("tap0");
        argv[n] = NULL;
        for (int i = 0; i < n; i++)
                bad |= !argv[i];
        return bad ? -ENOMEM : 0;
}

static void free_argv(char **argv, size_t size)
{
        for (size_t i = 0; i < size; i++)
                free(argv[i]);
}

/* "1" on its ready fd (closed here) once the tap is configured (10 s at
   most); EOF when it died first. One that failed or hangs is ended, with
   the last thing it said. */
static int wait_ready(struct slirp *s, int ready_fd, struct nook_err *e)
{
        struct pollfd pfd = { .fd = ready_fd, .events = POLLIN };
        char c = 0;
        int got_n = poll(&pfd, 1, 10000);
        ssize_t got = got_n > 0 ? read(ready_fd, &c, 1) : -1;

        close(ready_fd);
        if (got == 1 && c == '1')
                return 0;
        /* EOF: it is exiting, or has */
        int st = launcher_wait(s->pidfd, got_n > 0 ? 2000 : 0);
        /* ends it; its log stays for --verbose until the caller's
           slirp_stop. One that hangs (and ignores its exit fd) is killed:
           nook gives up on it, and nothing may stay behind. */
        close(s->exit_fd);
        s->exit_fd = -1;
        launcher_end(&s->pidfd, SIGTERM, 1000);
        if (st == 127)
                return nook_errf(e, ENOENT, "network mode slirp needs slirp4netns, which is not installed (apt-get install slirp4netns)");
        char line[256];
        /* the last thing it said, past its routine warnings */
        launcher_last_line(s->log, "WARNING", line, sizeof(line));
        if (got_n == 0)
                return nook_errf(e, ETIMEDOUT, "slirp4netns did not come up within 10 s%s%s", line[0] ? ": " : "", line);
        return nook_errf(e, EIO, "slirp4netns failed%s%s (run with -v for its log)", line[0] ? ": " : "", line);
}

int slirp_start(pid_t child, const struct net_config *net, const char *rundir, struct slirp *s, struct nook_err *e)
{
        int ready[2], exitp[2], userns_fd, netns_fd;
        char *argv[16] = { 0 };
        char api[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
        _cleanup_close_ int api_dir = -1;

        memset(s, 0, sizeof(*s));
        s->exit_fd = -1;
        s->pidfd = -1;
        s->api = str_dupf("%s/slirp.sock", rundir);
        s->log = str_dupf("%s/slirp.log", rundir);
        if (!s->api || !s->log)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = socket_name(s->api, api, sizeof(api), &api_dir);
        if (r < 0)
                return nook_errf(e, r, "cannot name slirp4netns's API socket in %s: %m", rundir);
        r = open_fds(child, ready, exitp, &userns_fd, &netns_fd, e);
        if (r < 0)
                return r;
        r = slirp_argv(net, api, ready[1], exitp[0], netns_fd, argv);
        struct nook_err fe = { 0 };
        /* only the fds it is told about survive exec (the user namespace's
           is used before it, by setns); the run directory's, when its API
           socket is named through it, by the same number as here */
        int keep[] = { ready[1], exitp[0], netns_fd, api_dir };
        struct slirp_child c = { s->log, userns_fd, argv };
        pid_t pid = r < 0 ? r : launcher_spawn(&s->pidfd, keep, api_dir >= 0 ? 4 : 3, slirp_exec, &c, &fe);
        free_argv(argv, ARRAY_SIZE(argv));
        close(userns_fd);
        close(netns_fd);
        close(ready[1]);
        close(exitp[0]);
        if (pid < 0) {
                close(ready[0]);
                close(exitp[1]);
                return r < 0 ? nook_errf(e, ENOMEM, "out of memory") : nook_errf(e, -pid, "cannot start slirp4netns: %s", fe.msg);
        }
        s->pid = pid;
        s->exit_fd = exitp[1];
        return wait_ready(s, ready[0], e);
}

/* One request, one reply: slirp4netns's API is a JSON object a connection. */
static json_t *api_call(const char *path, json_t *req, struct nook_err *e)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        _cleanup_free_ char *buf = NULL;
        size_t used = 0;

        /* through a directory fd of this call's own when the path is too
           long, as slirp4netns was given it */
        _cleanup_close_ int dir = -1;
        int r = socket_name(path, sa.sun_path, sizeof(sa.sun_path), &dir);

        if (r < 0) {
                nook_errf(e, r, "cannot reach slirp4netns's API socket %s: %m", path);
                return NULL;
        }
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                nook_errf(e, errno, "cannot reach slirp4netns's API socket: %m");
                return NULL;
        }
        char *text = json_dumps(req, JSON_COMPACT);
        ssize_t w = text ? write(fd, text, strlen(text)) : -1;
        free(text);
        shutdown(fd, SHUT_WR);
        if (w < 0) {
                nook_errf(e, errno, "cannot talk to slirp4netns: %m");
                return NULL;
        }
        /* the whole reply, however long (list_hostfwd grows with the ports) */
        buf = read_all(fd, 1 << 22, &used);
        if (!buf) {
                nook_errf(e, ENOMEM, "out of memory");
                return NULL;
        }
        json_error_t je;
        json_t *reply = json_loads(buf, 0, &je);
        if (!reply)
                nook_errf(e, EIO, "slirp4netns answered something that is not JSON: %.100s", buf);
        return reply;
}

int slirp_publish(const struct slirp *s, const struct net_port *p, struct nook_err *e)
{
        json_t *req = json_pack("{s:s,s:{s:s,s:s,s:i,s:i}}", "execute", "add_hostfwd", "arguments", "proto",
                                p->udp ? "udp" : "tcp", "host_addr", p->host_ip, "host_port", (int)p->host_port,
                                "guest_port", (int)p->guest_port);
        json_t *reply = req ? api_call(s->api, req, e) : NULL;
        int r = 0;

        json_decref(req);
        if (!reply)
                return -EIO;
        json_t *err = json_object_get(reply, "error");
        if (err) {
                const char *desc = json_string_value(json_object_get(err, "desc"));
                r = nook_errf(e, EADDRINUSE, "cannot publish %s:%u (%s): %s (is the port in use on the host?)",
                              p->host_ip, p->host_port, p->udp ? "udp" : "tcp", desc ? desc : "refused");
        } else if (!json_object_get(reply, "return")) {
                r = nook_errf(e, EIO, "slirp4netns gave no answer to publishing %s:%u", p->host_ip, p->host_port);
        }
        json_decref(reply);
        return r;
}

/* The entries of a list_hostfwd reply: {"return": {"entries": [...]}}, as
   slirp4netns's manual shows it, or {"entries": [...]}, as released
   versions answer. */
static json_t *hostfwd_entries(json_t *reply)
{
        json_t *ret = json_object_get(reply, "return");
        json_t *entries = json_object_get(ret ? ret : reply, "entries");

        return json_is_array(entries) ? entries : NULL;
}

static bool hostfwd_listed(json_t *entries, const struct net_port *p)
{
        size_t i;
        json_t *en;

        json_array_foreach(entries, i, en) {
                const char *proto = json_string_value(json_object_get(en, "proto"));
                const char *addr = json_string_value(json_object_get(en, "host_addr"));
                json_int_t hport = json_integer_value(json_object_get(en, "host_port"));
                json_int_t gport = json_integer_value(json_object_get(en, "guest_port"));
                if (proto && strcmp(proto, p->udp ? "udp" : "tcp") == 0 && addr && strcmp(addr, p->host_ip) == 0 &&
                    hport == p->host_port && gport == p->guest_port)
                        return true;
        }
        return false;
}

int slirp_check_listed(const char *reply_text, const struct net_port *ports, size_t n, struct nook_err *e)
{
        json_error_t je;
        json_t *reply = json_loads(reply_text, 0, &je);
        json_t *entries = reply ? hostfwd_entries(reply) : NULL;
        int r = 0;

        if (!entries) {
                r = nook_errf(e, EIO, "slirp4netns's list of published ports makes no sense: %.100s", reply_text);
        } else {
                for (size_t i = 0; r == 0 && i < n; i++)
                        if (!hostfwd_listed(entries, &ports[i]))
                                r = nook_errf(e, EIO, "slirp4netns does not list %s:%u:%u/%s as published",
                                              ports[i].host_ip, ports[i].host_port, ports[i].guest_port,
                                              ports[i].udp ? "udp" : "tcp");
        }
        json_decref(reply);
        return r;
}

int slirp_verify_published(const struct slirp *s, const struct net_port *ports, size_t n, struct nook_err *e)
{
        json_t *req = json_pack("{s:s}", "execute", "list_hostfwd");
        json_t *reply = req ? api_call(s->api, req, e) : NULL;

        json_decref(req);
        if (!reply)
                return -EIO;
        char *text = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!text)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = slirp_check_listed(text, ports, n, e);
        free(text);
        return r;
}

void slirp_stop(struct slirp *s)
{
        if (s->exit_fd >= 0)
                close(s->exit_fd);
        s->exit_fd = -1;
        /* it ends by itself, or is killed with nook (never by pid) */
        launcher_end(&s->pidfd, 0, 0);
        free(s->api);
        free(s->log);
        s->api = s->log = NULL;
}
