/* The state of `nook oci` containers: one directory per container id under
   a root directory (runc's --root; by default BASE/oci of nook's run
   directories), holding state.json: the id, the bundle, the pid and start
   time of the nook that runs it, when it was created. Read, signalled and
   removed also by root for a user's container (slurmstepd's RunTimeQuery,
   RunTimeKill, RunTimeDelete): no symlink is followed, every file must be
   the root directory's owner's, and only a process of that owner, with the
   recorded start time, is ever signalled. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

struct oci_record {
        char *id;
        char *bundle;
        char *created;                  /* RFC 3339 */
        pid_t pid;                      /* the nook process that runs it */
        unsigned long long start;       /* its start time (/proc/PID/stat) */
        uid_t owner;                    /* the root directory's owner */
};

void oci_record_free(struct oci_record *r);

/* The root directory opened (O_PATH is not enough: entries are made and
   removed in it): root, or NULL for BASE/oci. With create, made (0700) when
   missing, as the caller's. It must be a directory nobody but its owner
   can write, and the caller's unless the caller is root. A fd, or a
   negative errno with e filled. */
int ocistate_open_root(const char *root, bool create, struct nook_err *e);

/* A container id: letters, digits, '.', '_', '-', '+', not starting with
   '.', at most 200 bytes. */
bool ocistate_id_ok(const char *id);

/* Records a new container run by this process; -EEXIST when id exists. */
int ocistate_create(int rootfd, const char *id, const char *bundle, struct nook_err *e);
int ocistate_read(int rootfd, const char *id, struct oci_record *r, struct nook_err *e);
/* "running" while the recorded nook lives (same pid, start time and
   owner), else "stopped". */
const char *ocistate_status(const struct oci_record *r);
/* sig to the recorded nook (it passes it on to the container's command;
   SIGKILL ends the whole sandbox with it): -ESRCH when it is not running. */
int ocistate_signal(const struct oci_record *r, int sig, struct nook_err *e);
/* The record and its directory, never following a link. */
int ocistate_remove(int rootfd, const char *id, struct nook_err *e);
