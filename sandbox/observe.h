/* nook learn's observer: a thread of nook's that receives the command's
   seccomp listener and answers every notification with
   SECCOMP_USER_NOTIF_FLAG_CONTINUE, recording what each call named
   (paths, with the access asked for; connect's destinations). Observation
   only: a call continues whatever was recorded, so this enforces nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp.h"

/* What a path was used for; a path seen several times has the union. */
enum {
        OBS_READ = 1 << 0,      /* opened for reading (or O_PATH) */
        OBS_WRITE = 1 << 1,     /* opened for writing */
        OBS_CREATE = 1 << 2,    /* O_CREAT, creat, the new name of a rename */
        OBS_EXEC = 1 << 3,      /* execve, execveat */
        OBS_MKDIR = 1 << 4,     /* mkdir, mkdirat */
        OBS_REMOVE = 1 << 5,    /* unlink, rmdir, the old name of a rename */
        /* nook run --audit: why the path was recorded (only these are) */
        OBS_ABSENT = 1 << 6,    /* the host has it, the sandbox does not show it */
        OBS_ROFS = 1 << 7,      /* a change asked on a read-only mount of the sandbox */
        OBS_HIDDEN = 1 << 8,    /* at or below a path the profile hides (Hide=) */
};

struct obs_path {
        char *path;             /* absolute, as the sandbox names it, "." and ".." folded */
        unsigned access;        /* OBS_* */
        unsigned long count;
        char prog[16];          /* the first program that used it (its comm) */
};

/* A connect()ed destination (or a bind()'s address): an inet address and
   port, or a unix socket. */
struct obs_net {
        int family;             /* AF_INET, AF_INET6, AF_UNIX */
        char addr[128];         /* numeric address, or the socket's path ("@name": abstract) */
        unsigned port;
        bool bound;             /* bind()'s: an address listened on, not a destination */
        unsigned long count;
        char prog[16];
};

/* nook run --audit: a call the filter refused, as it was tried: by call,
   by why (the rule's kind), and for SocketFamilies= by family. */
struct obs_refused {
        char name[32];
        enum seccomp_refusal_kind kind;
        int family;             /* REFUSED_FAMILY: argument 0 (-1 past int) */
        int err;                /* what the caller got */
        unsigned long count;
        char prog[16];
};

struct observed {
        struct obs_path *paths;
        size_t n_paths, cap_paths;
        size_t *slots;          /* open addressing on paths: index + 1, 0 empty */
        size_t n_slots;
        struct obs_net *nets;
        size_t n_nets;
        uint64_t families;      /* socket(F, ...): bit F set (F < 64) */
        struct obs_refused *refused;
        size_t n_refused;
        unsigned long notifications;    /* answered */
        unsigned long stale;            /* dropped: the caller was gone before its
                                           arguments were read back */
        unsigned long over;             /* not recorded: past OBS_MAX_* */
        size_t path_bytes;              /* the names in paths, together */
};

/* What one run may make the observer keep, so that a command opening
   names without end (or connecting to every port) cannot grow nook
   without bound: past these a use is counted in over, and said. */
#define OBS_MAX_PATHS 65536
#define OBS_MAX_PATH_BYTES (16u << 20)
#define OBS_MAX_NETS 4096

void observed_free(struct observed *o);

struct observer;

/* Starts the thread, which takes sock (the nook end of the socket the
   command sends its listener over) and waits on it. All signals are
   blocked in the thread: nook's main thread keeps handling them.
   audit: record a path only when the sandbox, asked through the caller's
   /proc/PID/root before the call goes on, does not show what the host has
   (OBS_ABSENT) or holds it read-only where a change was asked (OBS_ROFS),
   or when it is at or below one of hidden (the spec's Hide= paths, kept,
   not copied: valid until observe_finish), a path the host has
   (OBS_HIDDEN); for a name to be made, its directory. Destinations are
   all recorded.
   refusals (taken, freed with the observer): the calls the filter sends
   to be refused (exec_audited_refusals()); each is noted and refused with
   its errno. A notification of a call neither observed nor listed there is
   refused too (ENOSYS): only the observed calls ever continue. */
int observe_start(int sock, bool audit, struct seccomp_refusal *refusals, size_t n_refusals, char *const *hidden,
                  size_t n_hidden, struct observer **out, struct nook_err *e);

/* After the sandbox ended: stops the thread and moves what it saw to out
   (an empty result when the listener never came: the command did not
   start). Frees the observer. */
void observe_finish(struct observer *ob, struct observed *out);
