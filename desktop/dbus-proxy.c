#include "desktop/dbus-proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

#define MAX_TALK 256

/* A byte on its --fd pipe once it listens; EOF when it died first. One
   that failed or hangs is ended, with the last thing it said. */
static int wait_listening(const struct nook_spec *spec, struct dbus_proxy *p, const char *sock, const char *log,
                          struct nook_err *e)
{
        struct pollfd pfd = { .fd = p->keep_fd, .events = POLLIN };
        char c;
        int polled = poll(&pfd, 1, 5000);

        if (polled == 1 && read(p->keep_fd, &c, 1) == 1) {
                /* made 0600 (launcher_exec); but an image's User= is
                   not its root, who owns the socket: the run directory
                   (0700, hidden from sandboxes) keeps everyone else out */
                if (spec->n_layers && spec_command_uid(spec, 0) != 0)
                        chmod(sock, 0666);
                return 0;
        }
        /* EOF: it has closed its end, which it does by exiting; or it hangs
           and is killed (nook gives up on it: nothing may stay behind) */
        int st = launcher_wait(p->pidfd, 1000);
        close(p->keep_fd);
        p->keep_fd = -1;
        launcher_end(&p->pidfd, SIGTERM, 1000);
        p->pid = -1;
        if (st == 127)
                return nook_errf(e, ENOENT, "DBus=filtered needs xdg-dbus-proxy, which is not installed (apt-get install xdg-dbus-proxy)");
        char line[256];
        launcher_last_line(log, NULL, line, sizeof(line));
        if (polled == 0)
                return nook_errf(e, ETIMEDOUT, "xdg-dbus-proxy did not come up within 5 s%s%s", line[0] ? ": " : "", line);
        return nook_errf(e, EIO, "xdg-dbus-proxy failed%s%s", line[0] ? ": " : "", line);
}

/* "--talk=NAME" for each Talk=, "--own=NAME" for each Own=, after argv's
   first n entries: 0 or -ENOMEM (what was made is in v, to free). */
static int filter_args(const struct nook_spec *spec, char **v, size_t *n)
{
        for (size_t i = 0; i < spec->n_talk + spec->n_own; i++) {
                bool talk = i < spec->n_talk;
                v[*n] = str_dupf("--%s=%s", talk ? "talk" : "own", talk ? spec->talk[i] : spec->own[i - spec->n_talk]);
                if (!v[*n])
                        return -ENOMEM;
                (*n)++;
        }
        return 0;
}

int dbus_proxy_start(const struct nook_spec *spec, const char *rundir, struct dbus_proxy *p, struct nook_err *e)
{
        _cleanup_free_ char *bus = str_dupf("unix:path=%s", spec->dbus_socket), *sock = str_dupf("%s/bus", rundir),
                            *log = str_dupf("%s/dbus-proxy.log", rundir);
        char fdarg[32];
        char *argv[MAX_TALK + 8] = { 0 };
        size_t n = 0, first;
        int ready[2];

        p->pid = -1;
        p->pidfd = -1;
        p->keep_fd = -1;
        if (spec->n_talk + spec->n_own > MAX_TALK)
                return nook_errf(e, E2BIG, "DBus=filtered: at most %d Talk= and Own= names", MAX_TALK);
        if (!bus || !sock || !log)
                return nook_errf(e, ENOMEM, "out of memory");
        if (pipe2(ready, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot start xdg-dbus-proxy: %m");
        if (STR_FMT(fdarg, "--fd=%d", ready[1]) < 0) {
                close(ready[0]);
                close(ready[1]);
                return nook_errf(e, ENAMETOOLONG, "cannot start xdg-dbus-proxy: its --fd argument does not fit");
        }
        argv[n++] = "xdg-dbus-proxy";
        argv[n++] = fdarg;
        argv[n++] = bus;
        argv[n++] = sock;
        argv[n++] = "--filter";
        if (spec->dbus_log)
                argv[n++] = "--log";
        first = n;
        if (filter_args(spec, argv, &n) < 0) {
                for (size_t i = first; i < n; i++)
                        free(argv[i]);
                close(ready[0]);
                close(ready[1]);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        argv[n] = NULL;
        struct nook_err fe = { 0 };
        pid_t pid = launcher_spawn_exec(&p->pidfd, (int[]){ ready[1] }, 1, spec->dbus_log ? spec->dbus_log : log, argv,
                                        &fe);
        for (size_t i = first; i < n; i++)
                free(argv[i]);
        close(ready[1]);
        if (pid < 0) {
                close(ready[0]);
                return nook_errf(e, -pid, "cannot start xdg-dbus-proxy: %s", fe.msg);
        }
        p->pid = pid;
        p->keep_fd = ready[0];
        return wait_listening(spec, p, sock, spec->dbus_log ? spec->dbus_log : log, e);
}

void dbus_proxy_stop(struct dbus_proxy *p)
{
        if (p->keep_fd >= 0)
                close(p->keep_fd);
        p->keep_fd = -1;
        /* it exits on its own, or is killed with nook; nook's subreaper
           reaps it */
        launcher_end(&p->pidfd, 0, 0);
        p->pid = -1;
}
