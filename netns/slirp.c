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
_Noreturn static void slirp_exec(int userns_fd, char **argv)
{
        struct nook_err e = { 0 };

        if (setns(userns_fd, CLONE_NEWUSER) < 0) {
                fprintf(stderr, "nook: cannot join the sandbox's user namespace: %m\n");
                _exit(126);
        }
        if (getuid() != 0 && caps_keep_only(SLIRP_CAPS, false, &e) < 0) {
                nook_err_print(&e);
                _exit(126);
        }
        launcher_exec(argv);
}

/* slirp4netns's command line: the fds and paths as arguments. */
static void slirp_argv(const struct net_config *net, char *readyarg, char *exitarg, char *apiarg, char *netns,
                       char *argv[16])
{
        int n = 0;

        argv[n++] = "slirp4netns";
        argv[n++] = "--configure";
        argv[n++] = "--mtu=65520";
        argv[n++] = "--enable-sandbox";
        argv[n++] = "--enable-seccomp";
        if (slirp_refuses_loopback(net))
                argv[n++] = "--disable-host-loopback";
        if (net->ipv6)
                argv[n++] = "--enable-ipv6";
        argv[n++] = readyarg;
        argv[n++] = exitarg;
        argv[n++] = apiarg;
        argv[n++] = "--netns-type=path";
        argv[n++] = netns;
        argv[n++] = "tap0";
        argv[n] = NULL;
}

/* A unix socket's path fits in 108 bytes: under a longer run directory
   (nook.conf's RuntimeDir=) slirp4netns binds it through a directory fd of
   ours, left open in *dir_fd for it to inherit, and api_call connects the
   same way. NULL with errno set on failure. */
static char *api_socket_name(const char *api, const char *rundir, int *dir_fd)
{
        char *name = NULL;

        if (strlen(api) < sizeof(((struct sockaddr_un *)NULL)->sun_path))
                return strdup(api);
        *dir_fd = open(rundir, O_PATH | O_DIRECTORY);   /* inherited on purpose */
        if (*dir_fd >= 0 && asprintf(&name, "/proc/self/fd/%d/slirp.sock", *dir_fd) < 0)
                name = NULL;
        return name;
}

int slirp_start(pid_t child, const struct net_config *net, const char *rundir, struct slirp *s, struct nook_err *e)
{
        int ready[2], exitp[2];
        char path[64], netns[64], readyarg[32], exitarg[32], apiarg[4200];

        memset(s, 0, sizeof(*s));
        s->exit_fd = s->pidfd = -1;
        if (asprintf(&s->api, "%s/slirp.sock", rundir) < 0 || asprintf(&s->log, "%s/slirp.log", rundir) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        _cleanup_close_ int api_dir = -1;
        _cleanup_free_ char *api = api_socket_name(s->api, rundir, &api_dir);
        if (!api)
                return nook_errf(e, errno, "cannot name slirp4netns's API socket in %s: %m", rundir);
        if (pipe2(ready, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot start slirp4netns: %m");
        if (pipe2(exitp, O_CLOEXEC) < 0) {
                close(ready[0]);
                close(ready[1]);
                return nook_errf(e, errno, "cannot start slirp4netns: %m");
        }
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
        _cleanup_close_ int userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        /* the network namespace travels as an fd of ours: once slirp4netns
           is in the sandbox's user namespace, the child's /proc entries are
           no longer its to open */
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
        _cleanup_close_ int netns_fd = open(path, O_RDONLY);    /* inherited on purpose */
        if (userns_fd < 0 || netns_fd < 0) {
                int err = errno;
                close(ready[0]); close(ready[1]); close(exitp[0]); close(exitp[1]);
                return nook_errf(e, err, "cannot join the sandbox to start slirp4netns: %m");
        }
        snprintf(netns, sizeof(netns), "/proc/self/fd/%d", netns_fd);
        snprintf(readyarg, sizeof(readyarg), "--ready-fd=%d", ready[1]);
        snprintf(exitarg, sizeof(exitarg), "--exit-fd=%d", exitp[0]);
        snprintf(apiarg, sizeof(apiarg), "--api-socket=%s", api);
        char *argv[16];
        slirp_argv(net, readyarg, exitarg, apiarg, netns, argv);
        struct nook_err fe = { 0 };
        pid_t pid = launcher_fork(&s->pidfd, &fe);
        if (pid < 0) {
                close(ready[0]); close(ready[1]); close(exitp[0]); close(exitp[1]);
                return nook_errf(e, -pid, "cannot start slirp4netns: %s", fe.msg);
        }
        if (pid == 0) {
                launcher_log_output(s->log);
                /* the two fds it is told about must survive exec */
                fcntl(ready[1], F_SETFD, 0);
                fcntl(exitp[0], F_SETFD, 0);
                slirp_exec(userns_fd, argv);
        }
        close(ready[1]);
        close(exitp[0]);
        s->pid = pid;
        s->exit_fd = exitp[1];
        /* "1" once the tap is configured; EOF when it died first */
        struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
        char c = 0;
        int got_n = poll(&pfd, 1, 10000);
        ssize_t got = got_n > 0 ? read(ready[0], &c, 1) : -1;
        close(ready[0]);
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

/* One request, one reply: slirp4netns's API is a JSON object a connection. */
static json_t *api_call(const char *path, json_t *req, struct nook_err *e)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        _cleanup_free_ char *buf = NULL;
        size_t used = 0;

        /* too long for sun_path: through the directory, as slirp_start */
        _cleanup_close_ int dir = -1;
        if (strlen(path) >= sizeof(sa.sun_path)) {
                _cleanup_free_ char *d = strdup(path);
                char *slash = d ? strrchr(d, '/') : NULL;
                if (slash)
                        *slash = '\0';
                dir = slash ? open(d, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
                if (dir < 0 || str_fmt(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir, slash + 1) < 0) {
                        nook_errf(e, ENAMETOOLONG, "cannot reach slirp4netns's API socket %s", path);
                        return NULL;
                }
        } else {
                strcpy(sa.sun_path, path);
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
