/* The apps of `nook desktop`: the system's menu entries (every
   XDG_DATA_DIRS/applications, the first of a desktop file id winning, as
   launchers take them), the profile each runs under, and the user's
   entries of the same ids that nook wrote (X-Nook-Profile=). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "profiles/loader.h"
#include "spec/host.h"

struct desktop_app {
        char *id;               /* the desktop file id: "firefox-esr.desktop" */
        char *source;           /* the system entry; NULL: gone, an entry of nook's left */
        uint64_t source_hash;
        char *profile;          /* the one nook's entry names, else the one found */
        bool ours;              /* the user's entry of this id is nook's */
        bool user_own;          /* the user has an entry of this id that is not nook's */
        uint64_t recorded_hash; /* X-Nook-Source-Hash= of nook's entry */
};

struct desktop_ctx {
        struct host_facts host;
        struct profile_env pe;
        char *user_dir;         /* $XDG_DATA_HOME/applications */
        char *service_dir;      /* $XDG_DATA_HOME/dbus-1/services */
        char *nook;             /* nook, as an Exec= word */
        char **data_dirs;       /* XDG_DATA_DIRS, in order */
        struct desktop_app *apps;
        size_t n_apps;
};

int desktop_ctx_open(struct desktop_ctx *c, struct nook_err *e);
void desktop_ctx_close(struct desktop_ctx *c);

/* --profile NAME for app: it must be a profile (said when not). */
int desktop_app_set_profile(struct desktop_ctx *c, struct desktop_app *app, const char *profile);
/* Writes the user's entry of app (and its D-Bus service file), saying what
   it did on stdout or why not on stderr: 0 or -errno. */
int desktop_app_install(struct desktop_ctx *c, struct desktop_app *app, bool force);
/* "sandboxed", "changed", "gone", "yours" or "no". */
const char *desktop_app_state(const struct desktop_app *app);
/* Removes nook's entry named name (an id, or a profile's apps): -ENOENT when
   there is none. */
int desktop_remove_override(struct desktop_ctx *c, const char *name);
int desktop_remove_all(struct desktop_ctx *c);
/* Writes again every entry of nook's whose system entry changed; removes
   those whose system entry is gone. */
int desktop_sync(struct desktop_ctx *c);
