/* What the user asked for, as pure data. Built from the command line (and,
   later, profiles); turned into a plan by plan_build(). Nothing here touches
   the kernel. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "netns/net.h"

enum spec_seccomp { SPEC_SECCOMP_DEFAULT = 0, SPEC_SECCOMP_NONE };

enum spec_home {
        SPEC_HOME_TMPFS = 0,    /* an empty tmpfs at $HOME */
        SPEC_HOME_PRIVATE,      /* $XDG_DATA_HOME/nook/homes/PROFILE, kept between runs */
        SPEC_HOME_HOST,         /* the user's real home, read-write */
        SPEC_HOME_NONE,         /* no home directory at all */
};

/* Resource limits, applied soft and hard. */
enum spec_limit {
        SPEC_LIMIT_NOFILE, SPEC_LIMIT_NPROC, SPEC_LIMIT_CPU, SPEC_LIMIT_FSIZE,
        SPEC_LIMIT_CORE, SPEC_LIMIT_STACK, SPEC_LIMIT_AS, SPEC_LIMIT_COUNT,
};

/* The least a limit may be (doc/nook.1, LIMITS): below it no program starts. */
#define SPEC_LIMIT_MIN_NOFILE 16
#define SPEC_LIMIT_MIN_STACK (UINT64_C(64) << 10)
#define SPEC_LIMIT_MIN_AS (UINT64_C(16) << 20)

struct spec_limit_value {
        bool set;
        uint64_t value;         /* UINT64_MAX = infinity */
};

enum spec_bind_flags {
        SPEC_BIND_RO = 1 << 0,    /* read-only */
        SPEC_BIND_TRY = 1 << 1,   /* skip when the source is missing */
        SPEC_BIND_NOOKS = 1 << 2, /* the source is nook's, made after the checks
                                     (the D-Bus proxy's socket) */
        SPEC_BIND_EXACT = 1 << 3, /* the source is its real path, as nook
                                     found it before the plan */
};

struct spec_bind {
        char *src;      /* host path, absolute */
        char *dst;      /* sandbox path, absolute, normalised */
        unsigned flags; /* spec_bind_flags */
};

struct spec_tmpfs {
        char *dst;
        uint64_t size;  /* bytes; 0 = the kernel's default (half of RAM) */
        mode_t mode;    /* of its root; 0 = 0755 */
        bool owned;     /* its root belongs to uid:gid (inside) */
        uid_t uid;
        gid_t gid;
};

/* auto: what the session has (Wayland before X11; PipeWire before
   PulseAudio, and no sound without an error; the GPU's nodes that exist) */
enum spec_display { SPEC_DISPLAY_NONE = 0, SPEC_DISPLAY_X11, SPEC_DISPLAY_WAYLAND, SPEC_DISPLAY_AUTO };
enum spec_audio { SPEC_AUDIO_NONE = 0, SPEC_AUDIO_PULSEAUDIO, SPEC_AUDIO_PIPEWIRE, SPEC_AUDIO_AUTO };
enum spec_gpu { SPEC_GPU_NO = 0, SPEC_GPU_YES, SPEC_GPU_AUTO };
enum spec_dbus { SPEC_DBUS_NONE = 0, SPEC_DBUS_FILTERED };

/* FakeIds= (spec/fake-ids.h): auto is on for an image sandbox with one id */
enum spec_fake_ids { SPEC_FAKE_IDS_AUTO = 0, SPEC_FAKE_IDS_YES, SPEC_FAKE_IDS_NO };

/* PASS: the caller's value of a variable, by name (Environment=NAME),
   even one that looks like a secret; spec_env_resolve makes it a SET. */
enum spec_env_op { SPEC_ENV_SET, SPEC_ENV_UNSET, SPEC_ENV_PASS };

/* A file nook writes into the run directory before the sandbox sets up,
   bound read-only from there (a filtered X authority, a copied cookie). */
struct spec_nook_file {
        char *name;     /* in the run directory */
        char *data;
        size_t len;
        mode_t mode;
};

struct spec_env {
        enum spec_env_op op;
        char *arg;      /* "K=V" for SET, "K" for UNSET and PASS */
};

struct nook_spec {
        char **argv;            /* the command; NULL-terminated */

        struct spec_bind *binds;
        size_t n_binds;
        struct spec_tmpfs *tmpfs;
        size_t n_tmpfs;
        char **hide;
        size_t n_hide;
        /* PrivateEtc=, PrivateBin= (spec/narrow.h): a host sandbox's /etc,
           /usr/bin and /usr/sbin show only these entries */
        char **private_etc;
        size_t n_private_etc;
        char **private_bin;
        size_t n_private_bin;
        bool machine_id_random; /* MachineId=random: a new /etc/machine-id */

        struct spec_env *env;   /* applied in order, after clearenv */
        size_t n_env;
        bool clearenv;
        char **env_dropped;     /* the caller's variables that look like secrets, not passed */
        size_t n_env_dropped;

        char *chdir;            /* NULL: the current directory, else $HOME, else / */
        char *hostname;         /* NULL: keep the host's */

        bool uid_set, gid_set;
        uid_t uid;              /* inside; default: the caller's own */
        gid_t gid;

        bool share_net;         /* Mode=host */
        bool slirp;             /* Mode=slirp: slirp4netns gives the netns a way out */
        bool pasta;             /* Mode=pasta: the same through pasta */
        bool host_loopback;     /* AllowHostLoopback=yes: 10.0.2.2 is the host's 127.0.0.1 */
        bool ipv6;              /* IPv6=yes: slirp/pasta give the sandbox IPv6 too */
        struct net_port *ports;/* PublishPort= */
        size_t n_ports;
        struct net_rule *net_rules; /* Allow= and Deny=, in order */
        size_t n_net_rules;
        char **dns;             /* DNS=: replaces the resolv.conf servers */
        size_t n_dns;
        char *resolv_conf;      /* resolved: the sandbox's /etc/resolv.conf, or NULL */
        char *egress;           /* resolved: the nftables ruleset, or NULL */
        bool no_cwd;
        enum spec_seccomp seccomp;

        int *keep_fds;          /* --fd N: passed to the command */
        size_t n_keep_fds;

        int verbose;
        bool detach;            /* -d: run in the background, output to a log */
        bool audit;             /* --audit: what was refused or not shown, reported at the end */
        bool tty;               /* -t: the command's fds 0-2 are a new pty, terminals or not */

        /* From profiles (and their matching options). */
        char *profile_name;     /* the profile that started this, for Home=private */
        char *description;
        char **command;         /* Command=: used when no COMMAND is given */
        enum spec_home home;
        char *home_source;      /* Home=private: the host directory bound as home */
        char **devices;         /* Device=: host device nodes (or directories of
                                   them) bound at the same path, usable */
        size_t n_devices;
        char **devices_try;     /* Device=-PATH: the same, skipped when missing */
        size_t n_devices_try;
        char **syscall_deny;    /* NULL-terminated, or NULL */
        size_t n_syscall_deny;
        char **syscall_allow;
        size_t n_syscall_allow;
        uint64_t socket_families; /* SocketFamilies=: bit F set = socket(F, ...) allowed */
        bool socket_families_set;
        bool mdwe;              /* MemoryDenyWriteExecute=yes */
        bool caps_set;          /* Capabilities= given: keep caps_keep */
        uint64_t caps_keep;     /* bit N = capability N */
        struct spec_limit_value limits[SPEC_LIMIT_COUNT];
        /* The profile files this sandbox was started from: read-only inside
           wherever a bind would show them. */
        char **protect;
        size_t n_protect;

        /* Images. */
        char *image;            /* --image, Image=, or a bare name found in the store */
        char *store;            /* --store: the image store, NULL = the default */
        char **shared_stores;   /* [Store] Shared=: searched after store, read only */
        size_t n_shared_stores;
        int image_lock;         /* fd of the shared lock on the image record, or 0 */
        char *name;             /* --name: a named sandbox */
        bool persist;           /* Persist=yes: its writable layer is kept */
        bool read_only;         /* ReadOnly=yes: an image's root is read-only, tmpfs at
                                   /tmp, /var/tmp and /run */
        char *persist_dir;      /* resolved: store/containers/NAME (host path) */
        int persist_lock;       /* fd of the exclusive lock on it, or 0 */
        int map_mode;           /* enum userns_mode: --map */
        int overlay;            /* 0 auto, 1 kernel, 2 fuse */
        bool home_set, cwd_set; /* given explicitly (images default to neither) */
        char **layers;          /* resolved: host paths of the layers, bottom first */
        size_t n_layers;
        bool squashfs;          /* resolved: layers[0] is a squashfs file, served by nook-squashfs */
        char *image_passwd;     /* resolved, squashfs images: their /etc/passwd and /etc/group as */
        char *image_group;      /*   the record keeps them (NULL: the image has none) */
        bool image_has_apt;     /* resolved, squashfs images: it has /etc/apt/apt.conf.d */
        bool single_id;         /* resolved: an image run with one id mapped (no range) */
        char **image_entrypoint;/* resolved: the image config's Entrypoint */
        char **image_env;       /* resolved: the image config's Env */
        size_t n_image_env;
        char *user;             /* --user USER[:GROUP] of an image: resolved in its /etc/passwd */
        bool run_as_set;        /* resolved: the image's User=, when no --uid */
        uid_t run_uid;
        gid_t run_gid;
        enum spec_fake_ids fake_ids_want; /* FakeIds=, --fake-ids */
        bool fake_ids;          /* resolved: chown and id changes succeed, and do nothing */

        /* [Desktop] */
        enum spec_display display;
        enum spec_audio audio;
        enum spec_dbus dbus;
        char **talk;            /* Talk=: bus names the sandbox may talk to */
        size_t n_talk;
        char **own;             /* Own=: bus names the sandbox may own */
        size_t n_own;
        enum spec_gpu gpu;
        char *desktop_name;     /* Name=, Icon=: for launchers */
        char *icon;
        char *runtime_dir;      /* resolved: XDG_RUNTIME_DIR inside, or NULL */
        char *dbus_socket;      /* resolved: the host's session bus socket (filtered) */
        char *dbus_log;         /* nook learn: the proxy logs every message here */
        struct spec_nook_file *nook_files;
        size_t n_nook_files;
};

void spec_init(struct nook_spec *s);
void spec_free(struct nook_spec *s);

/* Appenders used by the CLI (and later the profile parser); each validates
   its input and fills e with a message naming the value on error. */
int spec_add_bind(struct nook_spec *s, const char *arg, unsigned flags, struct nook_err *e);
int spec_add_tmpfs(struct nook_spec *s, const char *arg, struct nook_err *e);
int spec_add_hide(struct nook_spec *s, const char *path, struct nook_err *e);
int spec_add_env(struct nook_spec *s, enum spec_env_op op, const char *arg, struct nook_err *e);
/* True when a variable of this name looks like it holds a secret (a token,
   a password, a key, an agent's socket): see doc/nook.1, ENVIRONMENT. */
bool spec_env_looks_secret(const char *name);
/* True when a variable whose name ends in _URL, _URI or _PROXY holds a URL
   with a password in it (scheme://user:pass@host). */
bool spec_env_value_looks_secret(const char *name, const char *value);
/* Against the caller's environment env: PASS entries become SETs of the
   caller's values (or go, when unset); a host sandbox that does not clear
   its environment gets UNSETs, first, for the caller's variables that look
   like secrets and are not passed (their names in env_dropped). */
int spec_env_resolve(struct nook_spec *s, char *const *env, struct nook_err *e);
/* For paths nook itself decided (absolute, normalised): no checks. */
int spec_push_bind(struct nook_spec *s, const char *src, const char *dst, unsigned flags, struct nook_err *e);
int spec_push_tmpfs(struct nook_spec *s, const char *dst, uint64_t size, mode_t mode, struct nook_err *e);
int spec_push_nook_file(struct nook_spec *s, const char *name, const void *data, size_t len, mode_t mode,
                        struct nook_err *e);
int spec_add_fd(struct nook_spec *s, const char *arg, struct nook_err *e);
int spec_set_id(struct nook_spec *s, bool is_gid, const char *arg, struct nook_err *e);
int spec_add_device(struct nook_spec *s, const char *path, struct nook_err *e);
int spec_add_syscall(struct nook_spec *s, bool allow, const char *name, struct nook_err *e);
int spec_set_caps(struct nook_spec *s, const char *list, struct nook_err *e);
int spec_set_limit(struct nook_spec *s, enum spec_limit which, const char *value, struct nook_err *e);
int spec_set_home(struct nook_spec *s, const char *mode, struct nook_err *e);
int spec_add_port(struct nook_spec *s, const char *arg, struct nook_err *e);
int spec_add_net_rule(struct nook_spec *s, bool allow, const char *arg, struct nook_err *e);
int spec_add_dns(struct nook_spec *s, const char *addr, struct nook_err *e);
/* Splits a command line with shell-like quoting ('...', "...", \) into argv. */
int spec_set_command(struct nook_spec *s, const char *line, struct nook_err *e);

/* The ids the command runs with, inside: --uid/--gid, else an image's
   User= (root by default), else the caller's own (a host sandbox). */
uid_t spec_command_uid(const struct nook_spec *s, uid_t caller);
/* The network layer's view of s (pointers into s: valid while s is). */
struct net_config spec_net_config(const struct nook_spec *s);
gid_t spec_command_gid(const struct nook_spec *s, gid_t caller);

