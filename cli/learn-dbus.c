#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cli/learn-dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

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
        return spec->dbus_log ? 0 : nook_errf(e, ENOMEM, "out of memory");
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
