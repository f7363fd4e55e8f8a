#include "netns/pasta.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/launcher.h"
#include "lib/cleanup.h"

/* its fixed arguments, without the ports */
#define FIXED_ARGS 48

/* True once the namespace has a default route: pasta is done configuring. */
static bool has_route(pid_t child)
{
        char path[64], line[256];
        bool found = false;

        snprintf(path, sizeof(path), "/proc/%d/net/route", (int)child);
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

pid_t pasta_start(pid_t child, const struct net_config *net, const char *rundir, int *pidfd, struct nook_err *e)
{
        char path[64], netns[64], userns[64], log[4200], pidfile[4200];
        /* every published port, two words each */
        _cleanup_free_ char (*ports)[96] = calloc(net->n_ports + 1, sizeof(*ports));
        _cleanup_free_ char **argv = calloc(FIXED_ARGS + 2 * net->n_ports, sizeof(*argv));
        int n = 0;

        if (!ports || !argv)
                return nook_errf(e, ENOMEM, "out of memory");
        snprintf(log, sizeof(log), "%s/pasta.log", rundir);
        snprintf(pidfile, sizeof(pidfile), "%s/pasta.pid", rundir);
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
        int netfd = open(path, O_RDONLY);       /* inherited on purpose */
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
        int userfd = open(path, O_RDONLY);
        if (netfd < 0 || userfd < 0) {
                int err = errno;
                if (netfd >= 0)
                        close(netfd);
                if (userfd >= 0)
                        close(userfd);
                return nook_errf(e, err, "cannot join the sandbox to start pasta: %m");
        }
        snprintf(netns, sizeof(netns), "/proc/self/fd/%d", netfd);
        snprintf(userns, sizeof(userns), "/proc/self/fd/%d", userfd);
        argv[n++] = "pasta";
        argv[n++] = "--foreground";
        argv[n++] = "--quiet";
        argv[n++] = "--config-net";
        argv[n++] = "--ns-ifname";
        argv[n++] = "tap0";
        argv[n++] = "--address";
        argv[n++] = "10.0.2.100";
        argv[n++] = "--netmask";
        argv[n++] = "24";
        argv[n++] = "--gateway";
        argv[n++] = "10.0.2.2";
        argv[n++] = "--dns-forward";
        argv[n++] = "10.0.2.3";
        argv[n++] = "--mtu";
        argv[n++] = "65520";
        /* The gateway is mapped to the host's loopback; the sandbox's own
           nftables rules refuse it unless AllowHostLoopback= (with
           --no-map-gw pasta would send it on to a real 10.0.2.2). IPv6
           gets slirp's addresses too: left to itself pasta copies the
           host's address and gateway (whatever they are, a link-local
           one maybe), and that gateway would be the host's ::1. */
        if (!net->ipv6) {
                argv[n++] = "--ipv4-only";
        } else {
                argv[n++] = "--address";
                argv[n++] = "fd00::100";
                argv[n++] = "--gateway";
                argv[n++] = "fd00::2";
                argv[n++] = "--dns-forward";
                argv[n++] = "fd00::3";
        }
        /* its pid in the run directory, which also names whose it is */
        argv[n++] = "--pid";
        argv[n++] = pidfile;
        argv[n++] = "--userns";
        argv[n++] = userns;
        argv[n++] = "--netns";
        argv[n++] = netns;
        for (size_t i = 0; i < net->n_ports; i++) {
                const struct net_port *p = &net->ports[i];
                snprintf(ports[i], sizeof(ports[i]), "%s/%u:%u", p->host_ip, p->host_port, p->guest_port);
                argv[n++] = p->udp ? "--udp-ports" : "--tcp-ports";
                argv[n++] = ports[i];
        }
        if (!net->n_ports) {
                /* pasta forwards every bound port by default: publish none */
                argv[n++] = "--tcp-ports";
                argv[n++] = "none";
                argv[n++] = "--udp-ports";
                argv[n++] = "none";
        }
        argv[n++] = "--tcp-ns";
        argv[n++] = "none";
        argv[n++] = "--udp-ns";
        argv[n++] = "none";
        argv[n] = NULL;

        struct nook_err fe = { 0 };
        pid_t pid = launcher_fork(pidfd, &fe);
        if (pid < 0) {
                close(netfd);
                close(userfd);
                return nook_errf(e, -pid, "cannot start pasta: %s", fe.msg);
        }
        if (pid == 0) {
                /* in the foreground so that it dies with nook */
                launcher_log_output(log);
                launcher_exec(argv);
        }
        close(netfd);
        close(userfd);
        struct timespec step = { 0, 2 * 1000 * 1000 };
        for (int i = 0; i < 2500; i++) {        /* 5 s */
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
                        return pid;
                nanosleep(&step, NULL);
        }
        /* nook gives up on it: nothing may stay behind, even a pasta that
           ignores SIGTERM */
        launcher_end(pidfd, SIGTERM, 1000);
        return nook_errf(e, ETIMEDOUT, "pasta did not configure the sandbox's network within 5 s");
}

void pasta_stop(int *pidfd)
{
        /* it exits within milliseconds; the user does not wait for it
           (nook's subreaper reaps it, or it dies with nook) */
        launcher_end(pidfd, SIGTERM, 0);
}
