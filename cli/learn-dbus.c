#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cli/learn-dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

static bool well_known(const char *n, size_t len);

/* The proxy takes this many Talk= and Own= names (dbus-proxy.c). */
#define PROXY_NAMES 256

/* "   string \"NAME\"" lines of dbus-send's reply: each well-known NAME a
   Talk= of spec, while the proxy takes more. */
static int add_reply_names(struct nook_spec *spec, const char *text)
{
        for (const char *l = text; l && *l; l = strchrnul(l, '\n'), l += *l == '\n') {
                const char *q = strstr(l, "string \"");
                if (!q || q > strchrnul(l, '\n'))
                        continue;
                q += 8;
                size_t len = strcspn(q, "\"\n");
                if (q[len] != '"' || !well_known(q, len) || spec->n_talk + spec->n_own >= PROXY_NAMES)
                        continue;
                _cleanup_free_ char *name = strndup(q, len);
                if (!name)
                        return -ENOMEM;
                bool have = false;
                for (size_t i = 0; i < spec->n_talk; i++)
                        have |= strcmp(spec->talk[i], name) == 0;
                if (!have && strv_push(&spec->talk, &spec->n_talk, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The bus's method (ListNames, ListActivatableNames) through dbus-send,
   bounded: 2 s for the reply, 3 s in all. Nothing on any failure. */
static int ask_bus(struct nook_spec *spec, const char *method)
{
        _cleanup_free_ char *bus = str_dupf("--bus=unix:path=%s", spec->dbus_socket);
        _cleanup_free_ char *call = str_dupf("org.freedesktop.DBus.%s", method);
        char *argv[] = { "dbus-send", bus, "--print-reply", "--reply-timeout=2000", "--dest=org.freedesktop.DBus",
                         "/org/freedesktop/DBus", call, NULL };
        struct nook_err fe = { 0 };
        int out[2], pidfd = -1;

        if (!bus || !call || pipe2(out, O_CLOEXEC) < 0)
                return -ENOMEM;
        pid_t pid = launcher_fork_keep(&pidfd, &out[1], 1, &fe);
        if (pid == 0) {
                if (dup2(out[1], STDOUT_FILENO) < 0)
                        _exit(127);
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (null >= 0)
                        dup2(null, STDERR_FILENO);
                launcher_exec(argv);
        }
        close(out[1]);
        if (pid < 0) {
                close(out[0]);
                return 0;
        }
        size_t len = 0;
        _cleanup_free_ char *text = read_all(out[0], 1 << 20, &len);
        close(out[0]);
        int st = launcher_wait(pidfd, 3000);
        if (st == -ETIMEDOUT)
                launcher_end(&pidfd, SIGKILL, 1000);
        else if (pidfd >= 0)
                close(pidfd);
        return st == 0 && text ? add_reply_names(spec, text) : 0;
}

int learn_dbus_prepare(struct learn_dbus *d, struct nook_spec *spec, struct nook_err *e)
{
        const char *base = getenv("XDG_RUNTIME_DIR");

        if (spec->dbus != SPEC_DBUS_FILTERED)
                return 0;
        d->dir = str_dupf("%s/nook-learn-dbus.XXXXXX", base && base[0] == '/' ? base : "/tmp");
        if (!d->dir)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!mkdtemp(d->dir)) {
                int r = nook_errf(e, errno, "cannot make a directory for the D-Bus proxy's log: %m");
                free(d->dir);
                d->dir = NULL;
                return r;
        }
        spec->dbus_log = str_dupf("%s/proxy.log", d->dir);
        if (!spec->dbus_log)
                return nook_errf(e, ENOMEM, "out of memory");
        /* Learning lets the command work: every name the bus has or can
           start is a Talk= of this run (the proxy logs each call, and only
           the names called are learnt). A name that appears later is
           still refused, and learnt. */
        if (spec->dbus_socket && (ask_bus(spec, "ListNames") < 0 || ask_bus(spec, "ListActivatableNames") < 0))
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* A well-known bus name (not the bus itself, not a unique ":1.5"): the
   characters the D-Bus specification allows, and a dot. */
static bool well_known(const char *n, size_t len)
{
        if (len == 0 || len > 255 || n[0] == ':' || n[0] == '.' || !memchr(n, '.', len))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", n[i]))
                        return false;
        return !(len == 20 && strncmp(n, "org.freedesktop.DBus", 20) == 0);
}

/* "C12: -> NAME call ...": a message of the client's to NAME. */
static int add_line(struct learn_dbus *d, const char *l)
{
        const char *arrow = strstr(l, ": -> ");

        if (l[0] != 'C' || !arrow || strspn(l + 1, "0123456789") != (size_t)(arrow - l - 1))
                return 0;
        const char *name = arrow + 5;
        size_t len = strcspn(name, " \n");
        if (!well_known(name, len))
                return 0;
        for (size_t i = 0; i < d->n_names; i++)
                if (strlen(d->names[i]) == len && strncmp(d->names[i], name, len) == 0)
                        return 0;
        _cleanup_free_ char *copy = strndup(name, len);
        return copy ? strv_push(&d->names, &d->n_names, copy) : -ENOMEM;
}

int learn_dbus_collect(struct learn_dbus *d, const struct nook_spec *spec, struct nook_err *e)
{
        size_t len = 0;
        int r = 0;

        if (!spec->dbus_log)
                return 0;
        _cleanup_close_ int fd = open(spec->dbus_log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *text = fd < 0 ? NULL : read_all(fd, 16 << 20, &len);
        for (const char *l = text; r == 0 && l && *l; l = strchrnul(l, '\n')) {
                l += *l == '\n';
                r = add_line(d, l);
        }
        if (r < 0)
                return nook_errf(e, -r, "out of memory");
        return 0;
}

void learn_dbus_free(struct learn_dbus *d)
{
        strv_free(d->names);
        if (d->dir) {
                _cleanup_free_ char *log = str_dupf("%s/proxy.log", d->dir);
                if (log)
                        unlink(log);
                rmdir(d->dir);
        }
        free(d->dir);
}
