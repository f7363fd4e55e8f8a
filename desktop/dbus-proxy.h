/* DBus=filtered: xdg-dbus-proxy between the sandbox and the session bus,
   letting through only the names of Talk= (and the bus itself). */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "spec/spec.h"

struct dbus_proxy {
        pid_t pid;      /* for the run state; signals go through pidfd */
        int pidfd;
        int keep_fd;    /* closing it ends the proxy */
};

/* Starts the proxy with its socket at RUNDIR/bus and waits until it is
   ready. Its messages go to RUNDIR/dbus-proxy.log, or with spec->dbus_log
   (nook learn) there, with every message the sandbox sends (--log). */
int dbus_proxy_start(const struct nook_spec *spec, const char *rundir, struct dbus_proxy *p, struct nook_err *e);

/* Ends it without waiting: it exits once keep_fd is closed. */
void dbus_proxy_stop(struct dbus_proxy *p);
