/* Identity maps of a child's user namespace, written by its parent. */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "cred/subid.h"

/* One id inside (uid_in, gid_in) mapped to the caller's own ids: no helper
   binary is needed for this. setgroups is denied first, as the kernel
   requires before an unprivileged gid_map. */
int idmap_write_single(pid_t child, uid_t uid_in, uid_t uid_out, gid_t gid_in, gid_t gid_out,
                       struct nook_err *e);

/* Moves the calling process into a new user namespace below its own, where
   it has the ids uid_in and gid_in (its ids now map to them, one each). Its
   capabilities there act on nothing made before: the namespaces of the
   sandbox stay owned by the namespace above. setgroups is "deny" already
   (inherited from a single-id map above). */
int idmap_nest_self(uid_t uid_in, gid_t gid_in, struct nook_err *e);

/* Root inside mapped to the caller, ids 1..N to the subordinate ranges,
   through the setuid newuidmap/newgidmap of the uidmap package. */
int idmap_write_range(pid_t child, uid_t uid, gid_t gid, const struct subid_pair *r, struct nook_err *e);
