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

#include "lib/launcher.h"

#define MAX_TALK 256

int dbus_proxy_start(const struct nook_spec *spec, const char *rundir, struct dbus_proxy *p, struct nook_err *e)
{
        char bus[4200], sock[4200], log[4200], fdarg[32];
        char *argv[MAX_TALK + 8];
        char *talk[MAX_TALK];
        int ready[2], n = 0;

        p->pid = -1;
        p->pidfd = -1;
        p->keep_fd = -1;
        if (spec->n_talk > MAX_TALK)
                return nook_errf(e, E2BIG, "DBus=filtered: at most %d Talk= names", MAX_TALK);
        if (pipe2(ready, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot start xdg-dbus-proxy: %m");
        snprintf(bus, sizeof(bus), "unix:path=%s", spec->dbus_socket);
        snprintf(sock, sizeof(sock), "%s/bus", rundir);
        snprintf(log, sizeof(log), "%s/dbus-proxy.log", rundir);
        snprintf(fdarg, sizeof(fdarg), "--fd=%d", ready[1]);
        argv[n++] = "xdg-dbus-proxy";
        argv[n++] = fdarg;
        argv[n++] = bus;
        argv[n++] = sock;
        argv[n++] = "--filter";
        for (size_t i = 0; i < spec->n_talk; i++) {
                if (asprintf(&talk[i], "--talk=%s", spec->talk[i]) < 0) {
                        for (size_t j = 0; j < i; j++)
                                free(talk[j]);
                        close(ready[0]);
                        close(ready[1]);
                        return nook_errf(e, ENOMEM, "out of memory");
                }
                argv[n++] = talk[i];
        }
        argv[n] = NULL;
        struct nook_err fe = { 0 };
        pid_t pid = launcher_fork(&p->pidfd, &fe);
        if (pid == 0) {
                launcher_log_output(log);
                fcntl(ready[1], F_SETFD, 0);
                launcher_exec(argv);
        }
        for (size_t i = 0; i < spec->n_talk; i++)
                free(talk[i]);
        close(ready[1]);
        if (pid < 0) {
                close(ready[0]);
                return nook_errf(e, -pid, "cannot start xdg-dbus-proxy: %s", fe.msg);
        }
        p->pid = pid;
        p->keep_fd = ready[0];
        /* a byte once it listens; EOF when it died first */
        struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
        char c;
        int polled = poll(&pfd, 1, 5000);
        if (polled == 1 && read(ready[0], &c, 1) == 1) {
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
