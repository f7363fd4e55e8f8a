/* [Desktop]: the session's display, sound, bus and GPU, turned into the
   binds, environment and devices of the sandbox. Reads the caller's
   environment (DISPLAY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR, ...) and checks
   that each socket is there; a missing one is an error naming it. */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "spec/spec.h"

/* uid, gid: the command's ids inside; its XDG_RUNTIME_DIR (/run/user/UID,
   a small tmpfs of its own) receives the sockets. */
int desktop_resolve(struct nook_spec *s, uid_t uid, gid_t gid, struct nook_err *e);
