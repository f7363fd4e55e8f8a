/* Run state: what `nook ps`, `nook stop` and `nook enter` know of the
   sandboxes running for this user. Each has its run directory
   ($XDG_RUNTIME_DIR/nook/<nook's pid>, see state/rundir.h) with a file
   "state" (JSON, written once pid 1 exists, replaced atomically), and a
   named one also a link "name-NAME" -> "<pid>" beside it, which is how a
   second sandbox of the same name is refused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"
#include "spec/spec.h"
#include "state/confine.h"

struct run_state {
        pid_t nook_pid;                 /* the launcher: its id, and whom to signal */
        unsigned long long nook_start;  /* its start time (clock ticks after boot) */
        pid_t pid1;                     /* the sandbox's pid 1, as the host sees it */
        unsigned long long pid1_start;
        long long started;              /* seconds since the epoch */
        char *name;                     /* NULL: unnamed */
        char *image;                    /* NULL: a host sandbox */
        char *profile;
        char *net;                      /* none, host, slirp or pasta */
        char **ports;                   /* [IP:]HOST:PORT/PROTO, NULL-terminated */
        char **command;                 /* the command, NULL-terminated */
        char *dir;                      /* its run directory */
        char *log;                      /* -d: its output, or NULL */
        pid_t helpers[5];               /* slirp4netns, pasta, xdg-dbus-proxy,
                                           fuse-overlayfs, nook-squashfs */
        unsigned long long helper_start[5];
        size_t n_helpers;
};

void run_state_free(struct run_state *st);

/* The start time of a process (field 22 of /proc/PID/stat), 0 when it is
   gone (a zombie is gone: it has ended, whether or not its parent reaps
   it); and with its parent's pid (ppid may be NULL), 0 or -errno. */
unsigned long long runstate_proc_start(pid_t pid);
int runstate_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start);

/* Before clone: claims the sandbox's name, when it has one; a live
   sandbox of that name is an error. */
int runstate_claim_name(const struct nook_spec *s, struct nook_err *e);

/* Once pid 1 exists: writes the state file (0600) into the run directory
   dir. No environment: nook enter takes the command's from /proc. */
int runstate_record(const char *dir, const struct nook_spec *s, pid_t pid1, const pid_t *helpers, size_t n_helpers,
                    const char *log, struct nook_err *e);

/* Where nook run -d keeps the output of its sandboxes:
   $XDG_STATE_HOME/nook/logs, or ~/.local/state/nook/logs (the home of the
   password database when HOME is unset), else logs/ in the run base. */
void runstate_logs_dir(char *buf, size_t size);

/* At the end: the name's link goes (the run directory is launch's). */
void runstate_release_name(const struct nook_spec *s);

/* The running sandboxes, oldest first; stale ones (their nook is gone)
   are cleared on the way. */
int runstate_list(struct run_state **out, size_t *n, struct nook_err *e);

/* Clears what sandboxes that ended without cleaning up left behind. */
void runstate_clear_stale(void);

/* Fills s (spec_init()ed) and c with the command's confinement as
   recorded when it started (state/confine.h: seccomp and its lists,
   capabilities, limits, ids, Landlock's network rules). */
int runstate_confinement(const struct run_state *st, struct nook_spec *s, struct run_confine *c, struct nook_err *e);

/* The same from a state file's text, touching nothing else (pure: for
   the fuzzer): runstate_parse fills st (run_state_free() it; st->dir stays
   NULL), runstate_parse_confinement s and c; -EINVAL when buf is not JSON,
   -EIO when it has no confinement, -EPROTO (e says why) when it records
   one this nook cannot apply whole, -ENOMEM. */
int runstate_parse(const char *buf, size_t len, struct run_state *st);
int runstate_parse_confinement(const char *buf, size_t len, struct nook_spec *s, struct run_confine *c,
                               struct nook_err *e);

/* The running sandbox named, or with the id (nook's pid), what. */
int runstate_find(const char *what, struct run_state *out, struct nook_err *e);
