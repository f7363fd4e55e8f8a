#include "netns/pasta.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/launcher.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

/* Its arguments up to the namespaces: slirp4netns's addresses. The gateway
   is mapped to the host's loopback; the sandbox's own nftables rules
   refuse it unless AllowHostLoopback= (with --no-map-gw pasta would send
   it on to a real 10.0.2.2). IPv6 gets slirp's addresses too: left to
   itself pasta copies the host's address and gateway (whatever they are,
   a link-local one maybe), and that gateway would be the host's ::1. */
static const char *const fixed_args[] = {
        "pasta", "--foreground", "--quiet", "--config-net", "--ns-ifname", "tap0", "--address", "10.0.2.100",
        "--netmask", "24", "--gateway", "10.0.2.2", "--dns-forward", "10.0.2.3", "--mtu", "65520", NULL,
};
static const char *const ipv4_args[] = { "--ipv4-only", NULL };
static const char *const ipv6_args[] = {
        "--address", "fd00::100", "--gateway", "fd00::2", "--dns-forward", "fd00::3", NULL,
};
/* pasta forwards every bound port by default: publish none */
static const char *const no_ports_args[] = { "--tcp-ports", "none", "--udp-ports", "none", NULL };
static const char *const tail_args[] = { "--tcp-ns", "none", "--udp-ns", "none", NULL };

/* True once the namespace has a default route: pasta is done configuring. */
static bool has_route(pid_t child)
{
        char path[64], line[256];
        bool found = false;

        if (STR_FMT(path, "/proc/%d/net/route", (int)child) < 0)
                return false;
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
                char ifname[32], dest[16];
                if (sscanf(line, "%31s %15s", ifname, dest) == 2 && strcmp(dest, "00000000") == 0)
                        found = true;
        }
        if (f)
                fclose(f);
        return found;
}

static int push_words(char ***v, size_t *n, const char *const *words)
{
        for (; *words; words++)
                if (strv_push(v, n, *words) < 0)
                        return -ENOMEM;
        return 0;
}

__attribute__((format(printf, 3, 4))) static int push_fmt(char ***v, size_t *n, const char *fmt, ...)
{
        _cleanup_free_ char *word = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&word, fmt, ap) < 0)
                word = NULL;    /* undefined after a failure */
        va_end(ap);
        return word ? strv_push(v, n, word) : -ENOMEM;
}

/* pasta's whole command line: its pid file in the run directory (which
   also names whose it is), the namespaces as fds of ours, the ports. */
static int pasta_argv(const struct net_config *net, const char *pidfile, int userfd, int netfd, char ***argv)
{
        size_t n = 0;
        int r = push_words(argv, &n, fixed_args);

        if (r == 0)
                r = push_words(argv, &n, net->ipv6 ? ipv6_args : ipv4_args);
        if (r == 0)
                r = push_words(argv, &n, (const char *const[]){ "--pid", pidfile, "--userns", NULL });
        if (r == 0)
                r = push_fmt(argv, &n, "/proc/self/fd/%d", userfd);
        if (r == 0)
                r = strv_push(argv, &n, "--netns");
        if (r == 0)
                r = push_fmt(argv, &n, "/proc/self/fd/%d", netfd);
        for (size_t i = 0; r == 0 && i < net->n_ports; i++) {
                const struct net_port *p = &net->ports[i];
                r = strv_push(argv, &n, p->udp ? "--udp-ports" : "--tcp-ports");
                if (r == 0)
                        r = push_fmt(argv, &n, "%s/%u:%u", p->host_ip, p->host_port, p->guest_port);
        }
        if (r == 0 && !net->n_ports)
                r = push_words(argv, &n, no_ports_args);
        if (r == 0)
                r = push_words(argv, &n, tail_args);
        return r;
}

/* The sandbox's network and user namespaces, as fds pasta inherits. */
static int open_namespaces(pid_t child, int *netfd, int *userfd, struct nook_err *e)
{
        char path[64];

        *netfd = *userfd = -1;
        if (STR_FMT(path, "/proc/%d/ns/net", (int)child) == 0)
                *netfd = open(path, O_RDONLY);          /* inherited on purpose */
        if (*netfd >= 0 && STR_FMT(path, "/proc/%d/ns/user", (int)child) == 0)
                *userfd = open(path, O_RDONLY);
        if (*userfd >= 0)
                return 0;
        int err = errno;
        if (*netfd >= 0)
                close(*netfd);
        *netfd = -1;
        return nook_errf(e, err, "cannot join the sandbox to start pasta: %m");
}

/* Waits (5 s at most) until pasta has given the namespace its route out;
   one that fails or hangs is ended, with the reason it gave. */
static int wait_configured(pid_t child, int *pidfd, const char *log, struct nook_err *e)
{
        struct timespec step = { 0, 2 * 1000 * 1000 };

        for (int i = 0; i < 2500; i++) {
                int st = launcher_wait(*pidfd, 0);
                if (st != -ETIMEDOUT) {
                        launcher_end(pidfd, 0, 0);
                        if (st == 127)
                                return nook_errf(e, ENOENT, "network mode pasta needs pasta, which is not installed (apt-get install passt)");
                        char line[256];
                        launcher_last_line(log, NULL, line, sizeof(line));
                        return nook_errf(e, EIO, "pasta failed%s%s (is a published port in use? run with -v for its log)",
                                         line[0] ? ": " : "", line);
                }
                if (has_route(child))
                        return 0;
                nanosleep(&step, NULL);
        }
        /* nook gives up on it: nothing may stay behind, even a pasta that
           ignores SIGTERM */
        launcher_end(pidfd, SIGTERM, 1000);
        return nook_errf(e, ETIMEDOUT, "pasta did not configure the sandbox's network within 5 s");
}

pid_t pasta_start(pid_t child, const struct net_config *net, const char *rundir, int *pidfd, struct nook_err *e)
{
        _cleanup_free_ char *log = str_dupf("%s/pasta.log", rundir), *pidfile = str_dupf("%s/pasta.pid", rundir);
        char **argv = NULL;
        int netfd, userfd;

        if (!log || !pidfile)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = open_namespaces(child, &netfd, &userfd, e);
        if (r < 0)
                return r;
        r = pasta_argv(net, pidfile, userfd, netfd, &argv);
        struct nook_err fe = { 0 };
        /* in the foreground so that it dies with nook */
        pid_t pid = r < 0 ? r : launcher_spawn_exec(pidfd, (int[]){ netfd, userfd }, 2, log, argv, &fe);
        close(netfd);
        close(userfd);
        strv_free(argv);
        if (r < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (pid < 0)
                return nook_errf(e, -pid, "cannot start pasta: %s", fe.msg);
        r = wait_configured(child, pidfd, log, e);
        return r < 0 ? r : pid;
}

void pasta_stop(int *pidfd)
{
        /* it exits within milliseconds; the user does not wait for it
           (nook's subreaper reaps it, or it dies with nook) */
        launcher_end(pidfd, SIGTERM, 0);
}
