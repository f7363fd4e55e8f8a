/* Subordinate id ranges: /etc/subuid and /etc/subgid, read directly when
   nsswitch.conf names no subid source; through getsubids(1), which runs
   libsubid, when it does (an NSS source such as sssd). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

struct subid_pair {
        bool found;             /* both a uid and a gid range */
        unsigned long uid_start, uid_count;
        unsigned long gid_start, gid_count;
};

/* The user's first usable ranges, capped at 65535 ids each (ids 1..65535
   inside). A range that contains the user's own uid or gid is refused with
   an error: mapping it would hand the user's own files to the sandbox's
   other ids. No range at all is not an error: found is false. */
int subid_lookup(const char *user, uid_t uid, gid_t gid, struct subid_pair *out, struct nook_err *e);

/* The same, with nsswitch.conf read at that path (tests). */
int subid_lookup_with(const char *nsswitch, const char *user, uid_t uid, gid_t gid, struct subid_pair *out,
                      struct nook_err *e);
