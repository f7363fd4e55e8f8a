/* nook learn --dbus filtered: the D-Bus names the command talked to, from
   xdg-dbus-proxy's --log of every message. */
#pragma once

#include <stddef.h>

#include "lib/err.h"
#include "spec/spec.h"

struct learn_dbus {
        char *dir;              /* a private directory for the log, or NULL */
        char **names;           /* the well-known names called, once each */
        size_t n_names;
};

/* With DBus=filtered, points spec->dbus_log at a new private directory's
   file; else nothing. */
int learn_dbus_prepare(struct learn_dbus *d, struct nook_spec *spec, struct nook_err *e);

/* After the run: the names out of the log, then the log removed. A name
   the proxy hid (not in Talk=) is still one the command called. */
int learn_dbus_collect(struct learn_dbus *d, const struct nook_spec *spec, struct nook_err *e);

void learn_dbus_free(struct learn_dbus *d);
