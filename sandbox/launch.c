#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/fuse-overlay.h"
#include "fs/mount.h"
#include "fs/resolve.h"
#include "netns/egress.h"
#include "netns/loopback.h"
#include "netns/pasta.h"
#include "netns/slirp.h"
#include "cred/caps.h"
#include "desktop/dbus-proxy.h"
#include "lib/cleanup.h"
#include "sandbox/exec.h"
#include "cred/idmap.h"
#include "sandbox/init.h"
#include "sandbox/pty-relay.h"
#include "state/rundir.h"
#include "state/runstate.h"
#include "cred/userns.h"

/* The sandbox's ends of its pipes to nook, while it sets itself up: nook
   starts fuse-overlayfs on request. */
static int child_sync = -1, child_req = -1;

/* fuse-overlayfs mounts from a mount namespace of its own (a copy of ours),
   so that our pivot and the detaching of our staging tree leave its paths
   intact; /newroot is made shared for that one mount to reach us, and
   private again once it has. */
static int request_fuse(struct nook_err *e)
{
        char ack = 0;
        int r;

        _cleanup_close_ int dir = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot open /newroot: %m");
        _cleanup_close_ int self = mnt_clone(dir, "/newroot", e);
        if (self < 0)
                return self;
        r = mnt_attach(self, dir, "/newroot", e);
        _cleanup_close_ int bound = r < 0 ? -1 : open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r == 0)
                r = mnt_set_propagation(bound, MS_SHARED, e);
        if (r < 0)
                return r;
        if (write(child_req, "F", 1) != 1 || read(child_sync, &ack, 1) != 1 || ack != 'k')
                return nook_errf(e, EIO, "cannot start fuse-overlayfs (see the message above)");
        r = fuse_overlay_wait("/newroot", e);
        _cleanup_close_ int top = r < 0 ? -1 : open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r == 0)
                r = mnt_set_propagation(top, MS_PRIVATE, e);
        if (r == 0)
                r = mnt_set_propagation(bound, MS_PRIVATE, e);
        return r;
}

/* Where the sandbox is assembled, inside its own mount namespace: a small
   tmpfs holding the new root, the old root (the host) and an empty file used
   to hide files. */
struct roots {
        int old;        /* the host's root, for bind sources */
        int new;        /* the sandbox's root */
        int empty;      /* an empty mode-0000 file */
        int stage;      /* the staging tmpfs, for files nook writes */
        unsigned files; /* how many it holds */
};

static int mount_point(const struct roots *r, const char *dst, bool dir, struct nook_err *e)
{
        int t = dir ? resolve_mkdirs(r->new, dst, 0755) : resolve_mkfile(r->new, dst);

        if (t >= 0)
                return t;
        if (t == -EROFS)
                return nook_errf(e, -t, "cannot create %s in the sandbox: it lies in a read-only part of it (choose another path)", dst);
        return nook_errf(e, -t, "cannot create %s in the sandbox: %m", dst);
}

static int apply_bind(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int src = resolve_open(r->old, s->src, O_PATH);
        struct stat st;

        if (src == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (src == -ENOENT)
                return nook_errf(e, ENOENT, "bind source %s does not exist", s->src);
        if (src < 0)
                return nook_errf(e, -src, "cannot open bind source %s: %m", s->src);
        if (fstat(src, &st) < 0)
                return nook_errf(e, errno, "cannot stat bind source %s: %m", s->src);
        _cleanup_close_ int tgt = mount_point(r, s->dst, S_ISDIR(st.st_mode), e);
        if (tgt < 0)
                return tgt;
        _cleanup_close_ int m = mnt_clone(src, s->src, e);
        if (m < 0)
                return m;
        uint64_t attrs = MOUNT_ATTR_NOSUID | (s->flags & STEP_DEV ? MOUNT_ATTR_NOEXEC : MOUNT_ATTR_NODEV) |
                         (s->flags & STEP_RO ? MOUNT_ATTR_RDONLY : 0);
        int rc = mnt_set_attrs(m, attrs, true, e);
        if (rc < 0)
                return nook_err_prefix(e, "bind %s", s->src);
        return mnt_attach(m, tgt, s->dst, e);
}

static int attach_new(int m, const struct roots *r, const char *dst, struct nook_err *e)
{
        _cleanup_close_ int mnt = m;
        if (mnt < 0)
                return mnt;
        _cleanup_close_ int tgt = mount_point(r, dst, true, e);
        if (tgt < 0)
                return tgt;
        return mnt_attach(mnt, tgt, dst, e);
}

static int apply_symlink(const struct step *s, const struct roots *r, struct nook_err *e)
{
        char parent[4096];
        const char *base = path_split(s->dst, parent, sizeof(parent));
        _cleanup_close_ int dir = mount_point(r, parent, true, e);

        if (dir < 0)
                return dir;
        if (symlinkat(s->src, dir, base) < 0)
                return nook_errf(e, errno, "cannot create symlink %s: %m", s->dst);
        return 0;
}

static int apply_remount_ro(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH);

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t < 0)
                return nook_errf(e, -t, "cannot make %s read-only: %m", s->dst);
        _cleanup_close_ int m = mnt_clone(t, s->dst, e);
        if (m < 0)
                return m;
        int rc = mnt_set_attrs(m, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true, e);
        if (rc < 0)
                return nook_err_prefix(e, "read-only %s", s->dst);
        return mnt_attach(m, t, s->dst, e);
}

static int apply_pin(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH | O_DIRECTORY);

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t < 0)
                return nook_errf(e, -t, "cannot pin %s: %m", s->dst);
        _cleanup_close_ int m = mnt_clone(t, s->dst, e);
        if (m < 0)
                return m;
        return mnt_attach(m, t, s->dst, e);
}

static int apply_mask(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH);
        _cleanup_close_ int devnull = -1;
        struct stat st;
        int m;

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t == -ENOENT)
                return nook_errf(e, ENOENT, "cannot hide %s: it does not exist in the sandbox", s->dst);
        if (t < 0 || fstat(t, &st) < 0)
                return nook_errf(e, t < 0 ? -t : errno, "cannot hide %s: %m", s->dst);
        if (S_ISDIR(st.st_mode)) {
                m = mnt_new_tmpfs(4096, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
        } else {
                int src = r->empty;
                uint64_t attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
                if (s->flags & STEP_NULL) {
                        devnull = resolve_open(r->old, "/dev/null", O_PATH);
                        if (devnull < 0)
                                return nook_errf(e, -devnull, "cannot hide %s: /dev/null: %m", s->dst);
                        src = devnull;
                } else {
                        attrs |= MOUNT_ATTR_NODEV;
                }
                m = mnt_clone(src, s->dst, e);
                if (m >= 0 && mnt_set_attrs(m, attrs, true, e) < 0) {
                        close(m);
                        return nook_err_prefix(e, "hide %s", s->dst);
                }
        }
        if (m < 0)
                return m;
        _cleanup_close_ int mnt = m;
        return mnt_attach(mnt, t, s->dst, e);
}

static int apply_seal(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH | O_DIRECTORY);

        if (t < 0)
                return nook_errf(e, -t, "cannot seal %s: %m", s->dst);
        if (mnt_set_attrs(t, MOUNT_ATTR_RDONLY, false, e) < 0)
                return nook_err_prefix(e, "seal %s read-only", s->dst);
        return 0;
}

/* A file whose text nook decides (/etc/hosts of an image), written in the
   staging tmpfs and bound read-only where the plan says. */
static int apply_file(const struct step *s, struct roots *r, struct nook_err *e)
{
        char name[32];
        size_t len = strlen(s->src);

        snprintf(name, sizeof(name), "file-%u", r->files++);
        _cleanup_close_ int fd = openat(r->stage, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, s->src, len) != (ssize_t)len)
                return nook_errf(e, errno, "cannot write %s: %m", s->dst);
        _cleanup_close_ int src = openat(r->stage, name, O_PATH | O_CLOEXEC);
        _cleanup_close_ int tgt = mount_point(r, s->dst, false, e);
        if (src < 0 || tgt < 0)
                return tgt < 0 ? tgt : nook_errf(e, errno, "cannot open %s: %m", name);
        _cleanup_close_ int m = mnt_clone(src, s->dst, e);
        if (m < 0)
                return m;
        if (mnt_set_attrs(m, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true, e) < 0)
                return nook_err_prefix(e, "%s", s->dst);
        return mnt_attach(m, tgt, s->dst, e);
}

/* A tmpfs of the plan; one owned by an id the sandbox's map lacks (an
   image's user under --map=single) is the mounter's instead, open to pass
   through (0711), as the command could not own it anyway. */
static int new_tmpfs(const struct step *s, struct nook_err *e)
{
        uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        int m = mnt_new_tmpfs_owned(s->size, s->mode, s->uid, s->gid, attrs, e);

        if (m < 0 && (s->uid != (uid_t)-1 || s->gid != (gid_t)-1)) {
                memset(e, 0, sizeof(*e));
                m = mnt_new_tmpfs(s->size, s->mode | 0711, attrs, e);
        }
        return m;
}

static int apply_step(const struct step *s, struct roots *r, struct nook_err *e)
{
        switch (s->kind) {
        case STEP_BIND:
                return apply_bind(s, r, e);
        case STEP_TMPFS:
                return attach_new(new_tmpfs(s, e), r, s->dst, e);
        case STEP_PROC:
                return attach_new(mnt_new_proc(e), r, s->dst, e);
        case STEP_DEVPTS:
                return attach_new(mnt_new_devpts(e), r, s->dst, e);
        case STEP_SYMLINK:
                return apply_symlink(s, r, e);
        case STEP_REMOUNT_RO:
                return apply_remount_ro(s, r, e);
        case STEP_PIN:
                return apply_pin(s, r, e);
        case STEP_MASK:
                return apply_mask(s, r, e);
        case STEP_SEAL_RO:
                return apply_seal(s, r, e);
        case STEP_FILE:
                return apply_file(s, r, e);
        }
        return nook_errf(e, EINVAL, "unknown setup step %d", (int)s->kind);
}

/* Mounts a small tmpfs over /tmp (of our own mount namespace only), moves the
   host's root under it and prepares the empty new root there, as bubblewrap
   does: from then on host paths are read under r->old, resolved in it. */
/* Kernel overlayfs, or fuse-overlayfs when asked for or when the kernel
   refuses (auto). FUSE_MOUNTED: fuse-overlayfs already sits on /newroot. */
#define FUSE_MOUNTED (-EALREADY)

static int mount_overlay(const struct nook_spec *spec, const char *const *lower, struct nook_err *e)
{
        if (spec->overlay != 2) {
                int m = mnt_new_overlay(lower, spec->n_layers, "/rw/upper", "/rw/work", e);
                if (m >= 0 && spec->verbose)
                        nook_say("image root: kernel overlayfs of %zu layer%s", spec->n_layers, spec->n_layers == 1 ? "" : "s");
                if (m >= 0 || spec->overlay == 1)
                        return m;
                if (spec->verbose)
                        nook_say("kernel overlayfs refused (%s): using fuse-overlayfs", e->msg);
        }
        int r = request_fuse(e);
        if (r == 0 && spec->verbose)
                nook_say("image root: fuse-overlayfs of %zu layer%s", spec->n_layers, spec->n_layers == 1 ? "" : "s");
        return r < 0 ? r : FUSE_MOUNTED;
}

static void free_links(char ***links)
{
        for (char **p = *links; p && *p; p++)
                free(*p);
        free(*links);
}

/* The root of an image sandbox: kernel overlayfs of the image's layers (the
   host paths, now under /oldroot) with a fresh writable layer on a tmpfs of
   its own, which vanishes with the sandbox's mount namespace, so that
   throwing it away costs nothing and no crash leaves it behind. */
static int overlay_root(const struct nook_spec *spec, struct nook_err *e)
{
        char link[32];
        _cleanup_(free_links) char **lower = NULL;

        /* the store refuses such images; a record edited by hand must not
           reach the kernel (or fuse-overlayfs) either */
        if (spec->n_layers > OVERLAY_MAX_LAYERS)
                return nook_errf(e, E2BIG, "the image has %zu layers; nook runs at most %d, overlayfs's limit (squash it into fewer layers)",
                                 spec->n_layers, OVERLAY_MAX_LAYERS);
        /* fuse-overlayfs runs with this staging tmpfs as its root: show it
           the host's programs and devices through links into /oldroot */
        static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc", "dev", "proc" };
        for (size_t i = 0; i < ARRAY_SIZE(host_dirs); i++) {
                _cleanup_free_ char *target = NULL;
                snprintf(link, sizeof(link), "/%s", host_dirs[i]);
                if (asprintf(&target, "/oldroot/%s", host_dirs[i]) < 0)
                        return nook_errf(e, ENOMEM, "cannot prepare the staging root: out of memory");
                if (symlink(target, link) < 0 && errno != EEXIST)
                        return nook_errf(e, errno, "cannot prepare the staging root: %m");
        }
        /* fsconfig takes at most 256 bytes a value: short links name the
           layers, top-most first, as overlayfs wants them */
        if (mkdir("/l", 0755) < 0)
                return nook_errf(e, errno, "cannot prepare the image layers: %m");
        lower = calloc(spec->n_layers + 1, sizeof(*lower));
        if (!lower)
                return nook_errf(e, ENOMEM, "cannot prepare the image layers: out of memory");
        for (size_t i = spec->n_layers, k = 0; i-- > 0; k++) {
                _cleanup_free_ char *target = NULL;
                if (asprintf(&lower[k], "/l/%zu", i) < 0 || asprintf(&target, "/oldroot%s", spec->layers[i]) < 0) {
                        lower[k] = NULL;
                        return nook_errf(e, ENOMEM, "cannot prepare the image layers: out of memory");
                }
                if (symlink(target, lower[k]) < 0)
                        return nook_errf(e, errno, "cannot prepare the image layers: %m");
        }
        /* a persistent sandbox writes to its directory in the store (never
           "volatile": a crash must not lose it) */
        if (spec->persist_dir) {
                _cleanup_free_ char *target = NULL;
                if (asprintf(&target, "/oldroot%s", spec->persist_dir) < 0)
                        return nook_errf(e, ENOMEM, "cannot prepare the writable layer: out of memory");
                if (symlink(target, "/rw") < 0)
                        return nook_errf(e, errno, "cannot prepare the writable layer: %m");
                return mount_overlay(spec, (const char *const *)lower, e);
        }
        _cleanup_close_ int rw = mnt_new_tmpfs(0, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        if (rw < 0)
                return rw;
        if (mkdir("/rw", 0755) < 0)
                return nook_errf(e, errno, "cannot prepare the writable layer: %m");
        _cleanup_close_ int rwdir = open("/rw", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rwdir < 0 || mnt_attach(rw, rwdir, "/rw", e) < 0)
                return rwdir < 0 ? nook_errf(e, errno, "cannot open /rw: %m") : -e->code;
        if (mkdir("/rw/upper", 0755) < 0 || mkdir("/rw/work", 0755) < 0)
                return nook_errf(e, errno, "cannot prepare the writable layer: %m");
        return mount_overlay(spec, (const char *const *)lower, e);
}

static int make_staging(const struct nook_spec *spec, struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int stage = mnt_new_tmpfs(1 << 20, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        _cleanup_close_ int tmp = -1, newmnt = -1;
        int rc;

        if (stage < 0)
                return stage;
        tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (tmp < 0)
                return nook_errf(e, errno, "cannot open /tmp to assemble the sandbox: %m");
        rc = mnt_attach(stage, tmp, "/tmp", e);
        if (rc < 0)
                return rc;
        if (mkdirat(stage, "newroot", 0755) < 0 || mkdirat(stage, "oldroot", 0755) < 0)
                return nook_errf(e, errno, "cannot prepare the sandbox root: %m");
        int f = openat(stage, "empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
        if (f < 0)
                return nook_errf(e, errno, "cannot prepare the sandbox root: %m");
        close(f);
        if (fchdir(stage) < 0 || syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0)
                return nook_errf(e, errno, "cannot move the host root aside: %m");
        r->old = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
        r->empty = open("/empty", O_PATH | O_CLOEXEC);
        r->stage = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->old < 0 || r->empty < 0)
                return nook_errf(e, errno, "cannot prepare the sandbox root: %m");
        newmnt = spec->n_layers ? overlay_root(spec, e) : mnt_new_tmpfs(0, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        if (newmnt < 0 && newmnt != FUSE_MOUNTED)
                return newmnt;
        if (newmnt != FUSE_MOUNTED) {
                _cleanup_close_ int newdir = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (newdir < 0)
                        return nook_errf(e, errno, "cannot prepare the sandbox root: %m");
                rc = mnt_attach(newmnt, newdir, "the new root", e);
                if (rc < 0)
                        return rc;
        } else {
                newmnt = -1;
        }
        r->new = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->new < 0)
                return nook_errf(e, errno, "cannot open the new root: %m");
        return 0;
}

static int enter_workdir(const struct plan *p, struct nook_err *e)
{
        char cwd[4096];

        for (size_t i = 0; i < p->n_chdir; i++) {
                if (chdir(p->chdir[i]) == 0)
                        break;
                if (p->chdir_strict)
                        return nook_errf(e, errno, "cannot change directory to %s in the sandbox: %m", p->chdir[i]);
        }
        /* getcwd() says "(unreachable)" (or fails) for a directory outside
           our root; never start the command there. */
        if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
                return nook_errf(e, EPERM, "the working directory is outside the sandbox root");
        return 0;
}

static int setup_sandbox(const struct launch_ctx *c, struct nook_err *e)
{
        struct roots r = { -1, -1, -1, -1, 0 };
        int rc = 0;

        /* an image sandbox is a machine of its own, named as its /etc/hostname */
        const char *hostname = c->spec->hostname ? c->spec->hostname : c->spec->n_layers ? "nook" : NULL;
        if (hostname && sethostname(hostname, strlen(hostname)) < 0)
                return nook_errf(e, errno, "cannot set hostname '%s': %m", hostname);
        if (!c->spec->share_net) {
                rc = loopback_up(e);
                if (rc < 0)
                        return rc;
        }
        /* before any capability is dropped, into our own netns: the
           command can never change it */
        if (c->spec->egress) {
                rc = egress_apply(c->spec->egress, e);
                if (rc < 0)
                        return rc;
        }
        rc = mnt_make_rslave(e);
        if (rc == 0)
                rc = make_staging(c->spec, &r, e);
        for (size_t i = 0; rc == 0 && i < c->plan->n; i++) {
                const struct step *s = &c->plan->steps[i];
                if (c->spec->verbose) {
                        char line[8192];
                        step_describe(s, line, sizeof(line));
                        nook_say("[%zu/%zu] %s", i + 1, c->plan->n, line);     /* paths are the user's */
                }
                rc = apply_step(s, &r, e);
        }
        if (rc == 0)
                rc = mnt_pivot_into(r.new, e);
        closep(&r.old);
        closep(&r.new);
        closep(&r.empty);
        closep(&r.stage);
        if (rc == 0)
                rc = enter_workdir(c->plan, e);
        return rc;
}

bool launch_nests_userns(const struct nook_spec *spec, const struct host_facts *host, bool mapped)
{
        return !mapped && spec->slirp && spec_command_uid(spec, host->uid) != 0;
}

/* The caller's terminal: a pty of the sandbox's own devpts (tty(1) inside
   names a file that exists there), its master handed to nook, which relays
   it; pid 1 keeps neither end. */
static int make_terminal(struct relay *relay, unsigned ttys, int ptysock, struct nook_err *e)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int rc = root < 0 ? nook_errf(e, errno, "cannot open the sandbox's root: %m")
                          : relay_prepare(relay, ttys, false, root, e);
        if (rc == 0)
                rc = relay_send_master(ptysock, relay->master, e);
        closep(&relay->master);
        relay->master = -1;
        return rc;
}

/* pid 1 lets go of the caller's terminal, which only the command had a use
   for, and the command now has a pty instead. */
static void drop_terminal(unsigned ttys)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        for (int fd = 0; null >= 0 && fd < 3; fd++)
                if (ttys & (1u << fd))
                        dup2(null, fd);
        if (null > 2)
                close(null);
}

/* None of fds 0-2 is a terminal, but the caller may have a controlling one,
   which /dev/tty would open: the command lets go of it. Not a session
   leader, it keeps its session and process group, so that ^C and ^Z typed
   there still reach it. */
static void leave_terminal(void)
{
        int t = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

        if (t >= 0) {
                ioctl(t, TIOCNOTTY);
                close(t);
        }
}

/* pid 1 of the sandbox: sets it up, starts the command, then waits. ttys:
   the caller's fds 0-2 that are a terminal, for which the command gets a
   pty whose master goes to nook over ptysock. */
_Noreturn static void sandbox_main(const struct launch_ctx *c, int syncfd, int reqfd, const sigset_t *cmd_mask,
                                   unsigned ttys, int ptysock)
{
        struct nook_err e = { 0 };
        char go;

        /* If the launcher dies, so does the sandbox (pid 1's death takes every
           process of the pid namespace with it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(syncfd, &go, 1) != 1)
                _exit(125);     /* the launcher failed or died; it says why */
        /* -d's pipe to the caller is nook's, never the sandbox's */
        if (c->ready_fd >= 0)
                close(c->ready_fd);
        child_sync = syncfd;
        child_req = reqfd;
        int rc = setup_sandbox(c, &e);
        close(syncfd);
        if (rc < 0) {
                close(reqfd);
                nook_err_print(&e);
                _exit(125);
        }
        /* The command runs as the same uid: keep it from reading or tracing
           the setup process. */
        prctl(PR_SET_DUMPABLE, 0);
        struct relay relay;
        relay_init(&relay);
        if (ttys && make_terminal(&relay, ttys, ptysock, &e) < 0) {
                close(reqfd);
                nook_err_print(&e);
                _exit(125);
        }
        if (ptysock >= 0)
                close(ptysock);
        int execp[2];
        if (pipe2(execp, O_CLOEXEC) < 0) {
                nook_errf(&e, errno, "cannot start the command: %m");
                nook_err_print(&e);
                _exit(125);
        }
        pid_t cmd = fork();
        if (cmd < 0) {
                nook_errf(&e, errno, "cannot start the command: %m");
                nook_err_print(&e);
                _exit(125);
        }
        if (cmd == 0) {
                if (ttys && relay_child(&relay, c->map ? spec_command_uid(c->spec, c->host->uid) : (uid_t)-1,
                                        c->map ? spec_command_gid(c->spec, c->host->gid) : (gid_t)-1, &e) < 0) {
                        nook_err_print(&e);
                        if (write(execp[1], "x", 1) < 0)
                                _exit(125);
                        _exit(125);
                }
                if (!ttys)
                        leave_terminal();
                struct exec_ctx x = { .spec = c->spec, .seccomp = c->seccomp, .sigmask = cmd_mask,
                                      .image = c->spec->n_layers > 0,
                                      .nest = launch_nests_userns(c->spec, c->host, c->map != NULL),
                                      .nest_uid = spec_command_uid(c->spec, c->host->uid),
                                      .nest_gid = spec_command_gid(c->spec, c->host->gid),
                                      .exec_fail_fd = execp[1] };
                exec_command(&x);
        }
        relay_close(&relay);
        /* nook waits on reqfd until the command runs: "S" when its exec
           went through (the pipe closed by it), nothing when it failed */
        close(execp[1]);
        char failed;
        ssize_t got;
        do
                got = read(execp[0], &failed, 1);
        while (got < 0 && errno == EINTR);
        close(execp[0]);
        if (cmd > 0 && got == 0 && write(reqfd, "S", 1) != 1) {
                nook_errf(&e, errno, "cannot tell nook the command runs: %m");
                nook_err_print(&e);
        }
        close(reqfd);
        if (caps_drop_all(&e) < 0) {
                nook_err_print(&e);
                kill(cmd, SIGKILL);
                _exit(125);
        }
        if (ttys)
                drop_terminal(ttys);
        _exit(init_wait(cmd, ttys != 0));
}

static int write_nook_file(const char *dir, const struct spec_nook_file *f, struct nook_err *e)
{
        char path[4200];

        snprintf(path, sizeof(path), "%s/%s", dir, f->name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || (f->len && write(fd, f->data, f->len) != (ssize_t)f->len) || fchmod(fd, f->mode) < 0)
                return nook_errf(e, errno, "cannot write %s: %m", path);
        return 0;
}

/* -v: a helper that failed shows its whole log (name, in the run directory). */
static void print_helper_log(const struct launch_ctx *c, const char *rundir, const char *name)
{
        char path[4200];

        if (!c->spec->verbose)
                return;
        snprintf(path, sizeof(path), "%s/%s", rundir, name);
        FILE *f = fopen(path, "re");
        if (f) {
                nook_copy_lines(f, stderr);     /* its words, not its escape sequences */
                fclose(f);
        }
}

static int clone_flags(const struct nook_spec *s)
{
        int f = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
        if (!s->share_net)
                f |= CLONE_NEWNET;
        return f;
}

static int clone_error(int err, struct nook_err *e)
{
        if (err == EPERM || err == ENOSPC || err == EINVAL)
                return nook_errf(e, err, "cannot create the sandbox's namespaces: %m (unprivileged user namespaces may be disabled: check sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone and, on Ubuntu, kernel.apparmor_restrict_unprivileged_userns)");
        return nook_errf(e, err, "cannot create the sandbox's namespaces: %m");
}

struct supervised {
        pid_t child;
        int status;
};

/* Forwards what a process sent us to pid 1 (what the caller's terminal
   sent reached pid 1 too: it shares our process group), reaps the
   helpers; true once pid 1 has ended. */
static bool supervise_signal(void *arg, const struct signalfd_siginfo *si)
{
        struct supervised *s = arg;
        int st;
        pid_t p;

        if (si && si->ssi_signo != SIGCHLD) {
                if (si->ssi_code != SI_KERNEL)
                        kill(s->child, (int)si->ssi_signo);
                return false;
        }
        while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                if (p == s->child) {
                        s->status = init_exit_status(st);
                        return true;
                }
        return false;
}

/* The launcher's side: forwards signals, relays the command's terminal
   when it has one, and waits for pid 1 to end. */
static int supervise(pid_t child, int *status, struct relay *relay, struct nook_err *e)
{
        sigset_t set;
        _cleanup_close_ int sfd = -1;
        struct supervised s = { .child = child };

        init_forwarded_signals(&set);
        sigaddset(&set, SIGCHLD);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | (relay ? SFD_NONBLOCK : 0));
        if (sfd < 0)
                return nook_errf(e, errno, "cannot watch signals: %m");
        if (relay) {
                int rc = relay_run(relay, sfd, supervise_signal, &s, e);
                *status = s.status;
                return rc;
        }
        while (!supervise_signal(&s, NULL)) {
                struct signalfd_siginfo si;
                ssize_t n = read(sfd, &si, sizeof(si));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t)sizeof(si))
                        return nook_errf(e, errno, "cannot watch signals: %m");
                if (supervise_signal(&s, &si))
                        break;
        }
        *status = s.status;
        return 0;
}

int launch_run(const struct launch_ctx *c, int *status, struct nook_err *e)
{
        sigset_t block, old;
        int sync[2];
        int rc;

        /* Blocked before clone so nothing sent early is lost; the command
           gets the caller's mask back before exec. */
        init_forwarded_signals(&block);
        sigaddset(&block, SIGCHLD);
        sigprocmask(SIG_BLOCK, &block, &old);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        int req[2];
        /* the caller's terminal stays with nook: the command gets a pty
           (-d has none); -t: a pty on all of fds 0-2, terminals or not
           (with -d, its output goes to the log) */
        unsigned ttys = c->spec->tty ? 7 : c->ready_fd < 0 ? relay_tty_fds() : 0;
        _cleanup_close_ int ptysock = -1;
        int ptys[2] = { -1, -1 };
        if (ttys && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptys) < 0)
                return nook_errf(e, errno, "cannot create a socket pair: %m");
        ptysock = ptys[0];
        if (pipe2(sync, O_CLOEXEC) < 0) {
                closep(&ptys[1]);
                return nook_errf(e, errno, "cannot create a pipe: %m");
        }
        if (pipe2(req, O_CLOEXEC) < 0) {
                closep(&ptys[1]);
                close(sync[0]);
                close(sync[1]);
                return nook_errf(e, errno, "cannot create a pipe: %m");
        }
        fflush(NULL);
        pid_t child = (pid_t)syscall(SYS_clone, clone_flags(c->spec) | SIGCHLD, NULL, NULL, NULL, NULL);
        if (child < 0) {
                int err = errno;
                close(sync[0]);
                close(sync[1]);
                close(req[0]);
                close(req[1]);
                closep(&ptys[1]);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return clone_error(err, e);
        }
        if (child == 0) {
                close(sync[1]);
                close(req[0]);
                closep(&ptysock);
                sandbox_main(c, sync[0], req[1], &old, ttys, ptys[1]);
        }
        close(sync[0]);
        close(req[1]);
        closep(&ptys[1]);
        /* nested: root here, the command's ids one namespace down */
        bool nest = launch_nests_userns(c->spec, c->host, c->map != NULL);
        if (c->map)
                rc = userns_map_write(child, c->map, e);
        else
                rc = idmap_write_single(child, nest ? 0 : spec_command_uid(c->spec, c->host->uid), c->host->uid,
                                        nest ? 0 : spec_command_gid(c->spec, c->host->gid), c->host->gid, e);
        /* the way out is up before the sandbox starts its command; its
           helpers' sockets and logs go to the run directory */
        struct slirp slirp = { .exit_fd = -1, .pidfd = -1 };
        char *rundir = NULL;
        pid_t pasta = -1;
        int pasta_fd = -1;
        struct dbus_proxy dbus = { .pid = -1, .pidfd = -1, .keep_fd = -1 };
        if (rc == 0 && (c->spec->pasta || c->spec->slirp || c->spec->dbus == SPEC_DBUS_FILTERED ||
                        c->spec->n_nook_files))
                rc = rundir_create(&rundir, e);
        for (size_t i = 0; rc == 0 && i < c->spec->n_nook_files; i++)
                rc = write_nook_file(rundir, &c->spec->nook_files[i], e);
        /* its socket is bound into the sandbox: there before pid 1 sets up */
        if (rc == 0 && c->spec->dbus == SPEC_DBUS_FILTERED) {
                rc = dbus_proxy_start(c->spec, rundir, &dbus, e);
                if (rc < 0)
                        print_helper_log(c, rundir, "dbus-proxy.log");
        }
        struct net_config net = spec_net_config(c->spec);
        if (rc == 0 && c->spec->pasta) {
                pasta = pasta_start(child, &net, rundir, &pasta_fd, e);
                if (pasta < 0) {
                        rc = pasta;
                        print_helper_log(c, rundir, "pasta.log");
                }
        }
        if (rc == 0 && c->spec->slirp) {
                rc = slirp_start(child, &net, rundir, &slirp, e);
                if (rc < 0)
                        print_helper_log(c, rundir, "slirp.log");
                for (size_t i = 0; rc == 0 && i < c->spec->n_ports; i++)
                        rc = slirp_publish(&slirp, &c->spec->ports[i], e);
                if (rc == 0 && c->spec->n_ports)
                        rc = slirp_verify_published(&slirp, c->spec->ports, c->spec->n_ports, e);
        }
        if (rc == 0 && write(sync[1], "g", 1) != 1)
                rc = nook_errf(e, errno, "cannot start the sandbox: %m");
        /* made while pid 1 sets up */
        if (rc == 0 && !rundir)
                rc = rundir_create(&rundir, e);
        pid_t fuse = -1;
        int fuse_fd = -1;
        /* the sandbox's requests while it sets up; EOF when it is done */
        char req_byte;
        bool set_up = false;
        while (rc == 0 && read(req[0], &req_byte, 1) == 1) {
                if (req_byte == 'S') {
                        set_up = true;
                        continue;
                }
                if (req_byte == 'F' && fuse < 0) {
                        struct nook_err fe = { 0 };
                        fuse = fuse_overlay_start(child, c->spec->n_layers, c->spec->persist_dir, c->spec->verbose > 0, &fuse_fd, &fe);
                        if (fuse < 0)
                                nook_err_print(&fe);
                }
                if (write(sync[1], fuse > 0 ? "k" : "x", 1) != 1)
                        break;
        }
        close(req[0]);
        close(sync[1]);
        /* pid 1 sent it before it started the command (which, if its exec
           failed, said why on it) */
        struct relay relay;
        relay_init(&relay);
        relay.ttys = ttys;
        /* -t with stdin no terminal: its end is the command's ^D (-d: none,
           the command's terminal stays open, as in podman run -dit) */
        relay.eof_to_pty = c->spec->tty && c->ready_fd < 0 && !isatty(0);
        if (rc == 0 && ttys)
                relay.master = relay_recv_master(ptysock);
        /* what nook ps, stop and enter read, the helpers included: written
           while the command starts */
        pid_t helpers[4];
        size_t n_helpers = 0;
        if (slirp.pid > 0)
                helpers[n_helpers++] = slirp.pid;
        if (pasta > 0)
                helpers[n_helpers++] = pasta;
        if (dbus.pid > 0)
                helpers[n_helpers++] = dbus.pid;
        if (fuse > 0)
                helpers[n_helpers++] = fuse;
        if (rc == 0)
                rc = runstate_record(rundir, c->spec, child, helpers, n_helpers, c->log, e);
        /* -d: the caller may go now (or, when pid 1 failed to set up and
           said why, learn it from the log) */
        if (rc == 0 && c->ready_fd >= 0) {
                /* a caller gone meanwhile (^C, a hangup) must not end the
                   sandbox through SIGPIPE: it runs on, and its log says so */
                void (*was)(int) = signal(SIGPIPE, SIG_IGN);
                if (set_up && write(c->ready_fd, "1", 1) != 1)
                        fprintf(stderr, "nook: the caller of nook run -d went away (%s); the sandbox runs on\n",
                                strerror(errno));
                signal(SIGPIPE, was);
                close(c->ready_fd);
        }
        if (rc < 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                slirp_stop(&slirp);
                pasta_stop(&pasta_fd);
                dbus_proxy_stop(&dbus);
                fuse_overlay_stop(&fuse_fd);
                if (rundir)
                        rundir_remove(rundir);
                free(rundir);
                return rc;
        }
        rc = supervise(child, status, relay.master >= 0 ? &relay : NULL, e);
        relay_close(&relay);
        /* slirp4netns ends by itself once its exit fd is closed; the
           helpers by their pidfds only: supervise() reaped whatever ended,
           and their pids may be another process's by now */
        slirp_stop(&slirp);
        pasta_stop(&pasta_fd);
        dbus_proxy_stop(&dbus);
        rundir_remove(rundir);
        free(rundir);
        fuse_overlay_stop(&fuse_fd);
        return rc;
}
