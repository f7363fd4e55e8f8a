#include "sandbox/root.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/fuse-daemon.h"
#include "fs/mount.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* fuse-overlayfs mounts by itself, from a mount namespace of its own (a
   copy of ours), so that our pivot and the detaching of our staging tree
   leave its paths intact; target is made shared for that one mount to
   reach us, and private again once it has. req: the request to nook that
   starts it. */
static int request_fuse(const struct pid1_link *link, const char *target, char req, const char *what,
                        struct nook_err *e)
{
        char ack = 0;
        int r;

        _cleanup_close_ int dir = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot open %s: %m", target);
        _cleanup_close_ int self = mnt_clone(dir, target, e);
        if (self < 0)
                return self;
        r = mnt_attach(self, dir, target, e);
        _cleanup_close_ int bound = r < 0 ? -1 : open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r == 0)
                r = mnt_set_propagation(bound, MS_SHARED, e);
        if (r < 0)
                return r;
        if (write(link->req, &req, 1) != 1 || read(link->sync, &ack, 1) != 1 || ack != 'k')
                return nook_errf(e, EIO, "cannot start %s (see the message above)", what);
        r = fuse_daemon_wait(target, what, e);
        _cleanup_close_ int top = r < 0 ? -1 : open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r == 0)
                r = mnt_set_propagation(top, MS_PRIVATE, e);
        if (r == 0)
                r = mnt_set_propagation(bound, MS_PRIVATE, e);
        return r;
}

/* A squashfs image's FUSE mount, made here at target and served by
   nook-squashfs, which nook started before us: its /dev/fuse goes to nook,
   which hands it over and answers once the daemon serves ("k"), or said
   why not. Ours is closed, so that the mount dies with the daemon. */
static int mount_squashfs(const struct pid1_link *link, const char *target, struct nook_err *e)
{
        char ack = 0;

        _cleanup_close_ int dev = open("/oldroot/dev/fuse", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (dev < 0)
                return nook_errf(e, errno, "cannot open /dev/fuse for the squashfs image: %m (it must be there, "
                                 "mode 0666, as 'nook doctor' checks)");
        _cleanup_close_ int dir = open(target, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot open %s: %m", target);
        _cleanup_close_ int mnt = mnt_new_fuse(dev, "nook-squashfs", getuid(), getgid(), e);
        int r = mnt < 0 ? mnt : mnt_attach(mnt, dir, target, e);
        if (r < 0)
                return r;
        r = fd_send(link->fds, dev);
        closep(&dev);           /* the daemon's alone now: the mount dies with it */
        dev = -1;
        if (r < 0 || write(link->req, "Q", 1) != 1 || read(link->sync, &ack, 1) != 1 || ack != 'k')
                return nook_errf(e, EIO, "nook-squashfs does not serve the image (see the message above)");
        return 0;
}

/* Kernel overlayfs, fuse-overlayfs, or the one after the other, as the plan
   says. FUSE_MOUNTED: fuse-overlayfs already sits on /newroot. */
#define FUSE_MOUNTED (-EALREADY)

static int mount_overlay(const struct nook_spec *spec, const struct plan *plan, const struct pid1_link *link,
                         const char *const *lower, struct nook_err *e)
{
        if (plan->overlay_kernel) {
                int m = mnt_new_overlay(lower, spec->n_layers, "/rw/upper", "/rw/work", e);
                if (m >= 0 && spec->verbose)
                        nook_say("image root: kernel overlayfs of %zu layer%s", spec->n_layers, spec->n_layers == 1 ? "" : "s");
                if (m >= 0 || !plan->overlay_fuse)
                        return m;
                if (spec->verbose)
                        nook_say("kernel overlayfs refused (%s): using fuse-overlayfs", e->msg);
        }
        int r = request_fuse(link, "/newroot", 'F', "fuse-overlayfs", e);
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

/* fuse-overlayfs runs with the staging tmpfs as its root: show it the
   host's programs and devices through links into /oldroot */
static int link_host_dirs(struct nook_err *e)
{
        static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc", "dev", "proc" };
        char link[32];

        for (size_t i = 0; i < ARRAY_SIZE(host_dirs); i++) {
                _cleanup_free_ char *target = NULL;
                if (STR_FMT(link, "/%s", host_dirs[i]) < 0)
                        return nook_errf(e, ENAMETOOLONG, "cannot prepare the staging root: /%s: name too long", host_dirs[i]);
                if (asprintf(&target, "/oldroot/%s", host_dirs[i]) < 0)
                        return nook_errf(e, ENOMEM, "cannot prepare the staging root: out of memory");
                if (symlink(target, link) < 0 && errno != EEXIST)
                        return nook_errf(e, errno, "cannot prepare the staging root: %m");
        }
        return 0;
}

/* fsconfig takes at most 256 bytes a value: short links name the layers,
   top-most first, as overlayfs wants them. *lower: their names. */
static int link_layers(const struct nook_spec *spec, const struct pid1_link *link, char ***lower, struct nook_err *e)
{
        if (mkdir("/l", 0755) < 0)
                return nook_errf(e, errno, "cannot prepare the image layers: %m");
        *lower = calloc(spec->n_layers + 1, sizeof(**lower));
        if (!*lower)
                return nook_errf(e, ENOMEM, "cannot prepare the image layers: out of memory");
        if (spec->squashfs) {
                /* the one layer is the squashfs file, as nook-squashfs shows it */
                if (mkdir(SQUASHFS_MOUNT, 0755) < 0)
                        return nook_errf(e, errno, "cannot prepare the image layers: %m");
                int r = mount_squashfs(link, SQUASHFS_MOUNT, e);
                if (r < 0)
                        return r;
                if (!((*lower)[0] = strdup("/l/0")) || symlink(SQUASHFS_MOUNT, "/l/0") < 0)
                        return nook_errf(e, errno, "cannot prepare the image layers: %m");
                return 0;
        }
        for (size_t i = spec->n_layers, k = 0; i-- > 0; k++) {
                _cleanup_free_ char *target = NULL;
                char **l = *lower;
                if (asprintf(&l[k], "/l/%zu", i) < 0 || asprintf(&target, "/oldroot%s", spec->layers[i]) < 0) {
                        l[k] = NULL;
                        return nook_errf(e, ENOMEM, "cannot prepare the image layers: out of memory");
                }
                if (symlink(target, l[k]) < 0)
                        return nook_errf(e, errno, "cannot prepare the image layers: %m");
        }
        return 0;
}

/* The writable layer at /rw: a persistent sandbox's directory in the store
   (never "volatile": a crash must not lose it), else a tmpfs of its own,
   which vanishes with the sandbox's mount namespace, so that throwing it
   away costs nothing and no crash leaves it behind. */
static int make_rw_layer(const struct nook_spec *spec, struct nook_err *e)
{
        if (spec->persist_dir) {
                _cleanup_free_ char *target = NULL;
                if (asprintf(&target, "/oldroot%s", spec->persist_dir) < 0)
                        return nook_errf(e, ENOMEM, "cannot prepare the writable layer: out of memory");
                if (symlink(target, "/rw") < 0)
                        return nook_errf(e, errno, "cannot prepare the writable layer: %m");
                return 0;
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
        return 0;
}

/* The root of an image sandbox: an overlay of the image's layers (the host
   paths, now under /oldroot) with the writable layer on top. */
static int overlay_root(const struct nook_spec *spec, const struct plan *plan, const struct pid1_link *link,
                        struct nook_err *e)
{
        _cleanup_(free_links) char **lower = NULL;
        int r;

        /* the store refuses such images; a record edited by hand must not
           reach the kernel (or fuse-overlayfs) either */
        if (spec->n_layers > OVERLAY_MAX_LAYERS)
                return nook_errf(e, E2BIG, "the image has %zu layers; nook runs at most %d, overlayfs's limit (squash it into fewer layers)",
                                 spec->n_layers, OVERLAY_MAX_LAYERS);
        r = link_host_dirs(e);
        if (r == 0)
                r = link_layers(spec, link, &lower, e);
        if (r == 0)
                r = make_rw_layer(spec, e);
        if (r < 0)
                return r;
        return mount_overlay(spec, plan, link, (const char *const *)lower, e);
}

/* The staging tmpfs over /tmp, holding newroot/, oldroot/ and the empty
   file; the host's root then moves to /oldroot. */
static int make_staging(struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int stage = mnt_new_tmpfs(1 << 20, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        _cleanup_close_ int tmp = -1;
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
        return 0;
}

/* Whether a step needs the staging tmpfs: a file nook writes (STEP_FILE),
   or a hidden file, covered by its empty file (a hidden directory gets a
   tmpfs of its own, but a plan cannot tell the two apart); or a bind of
   the host's root itself, whose copy would hold a new root mounted on it.
   (Sources are exact: no symbolic link or ".." leads to that root.) */
static bool needs_staging(const struct plan *plan)
{
        for (size_t i = 0; i < plan->n; i++) {
                const struct step *s = &plan->steps[i];
                if (s->kind == STEP_FILE || (s->kind == STEP_MASK && !(s->flags & STEP_NULL)) ||
                    (s->kind == STEP_BIND && s->src && strcmp(s->src, "/") == 0))
                        return true;
        }
        return false;
}

/* A host sandbox without such a step: its new root, an empty tmpfs, is
   mounted on top of the host's root, which pid 1 keeps reaching through
   r->old while the steps run; the final pivot_root(".", ".") puts the new
   root in its place. One tmpfs, two directories and one pivot fewer than
   the staging root (about 0.1 ms). */
static int stack_root(struct roots *r, struct nook_err *e)
{
        r->old = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->old < 0)
                return nook_errf(e, errno, "cannot open the host's root: %m");
        r->new = mnt_new_tmpfs(0, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        if (r->new < 0)
                return r->new;
        return mnt_attach(r->new, r->old, "the host's root", e);
}

/* The staging tmpfs, then the new root at its /newroot: an image's
   overlay, or an empty tmpfs. */
static int staged_root(const struct nook_spec *spec, const struct plan *plan, const struct pid1_link *link,
                       bool image, struct roots *r, struct nook_err *e)
{
        int rc = make_staging(r, e);
        if (rc < 0)
                return rc;
        _cleanup_close_ int newmnt = image ? overlay_root(spec, plan, link, e)
                                           : mnt_new_tmpfs(0, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
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

int root_assemble(const struct nook_spec *spec, const struct plan *plan, const struct pid1_link *link,
                  struct roots *r, struct nook_err *e)
{
        bool image = plan->overlay_kernel || plan->overlay_fuse;
        struct stat st;
        int rc = !image && !needs_staging(plan) ? stack_root(r, e) : staged_root(spec, plan, link, image, r, e);

        /* nook's own tmpfs: its plain tmpfs steps become directories of it */
        if (rc == 0 && !image && fstat(r->new, &st) == 0)
                r->root_tmpfs = st.st_dev;
        return rc;
}
