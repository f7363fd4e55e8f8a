/* A child process in a user namespace of its own, with the ids mapped the
   way image sandboxes need: a subordinate range when the user has one (root
   inside is the user, 1..65535 the range), else the user's single id as
   root. Used for unpacking layers, so that ownership lands on mapped ids,
   and for removing what such a child created. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"
#include "cred/subid.h"

enum userns_mode { USERNS_AUTO = 0, USERNS_SINGLE, USERNS_RANGE };

struct userns_map {
        bool range;             /* a subordinate range is used */
        uid_t uid;              /* the user's own ids (root inside) */
        gid_t gid;
        struct subid_pair sub;
};

/* Decides the mapping: RANGE needs a subordinate range (an error without
   one), SINGLE never uses one, AUTO uses one when there is. */
int userns_map_choose(struct userns_map *m, enum userns_mode mode, struct nook_err *e);

/* Writes the mapping of a child created with CLONE_NEWUSER. */
int userns_map_write(pid_t child, const struct userns_map *m, struct nook_err *e);

#define USERNS_OUT_MAX 256

/* Runs fn in a child in a new user and mount namespace mapped as m says,
   and waits for it. Returns fn's result; its message comes back in e, and
   what it writes to out (a string of at most USERNS_OUT_MAX bytes) in out. */
int userns_run(const struct userns_map *m, int (*fn)(void *arg, char *out, struct nook_err *e), void *arg,
               char *out, struct nook_err *e);
