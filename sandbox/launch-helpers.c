#include "sandbox/launch-helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred/caps.h"
#include "fs/fuse-daemon.h"
#include "fs/fuse-overlay.h"
#include "lib/cleanup.h"
#include "lib/libexec.h"
#include "lib/strutil.h"
#include "netns/pasta.h"
#include "sandbox/landlock.h"
#include "sandbox/root.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp-cache.h"
#include "state/rundir.h"

static int write_nook_file(const char *dir, const struct spec_nook_file *f, struct nook_err *e)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, f->name) < 0)
                return nook_errf(e, ENOMEM, "cannot write %s in %s: out of memory", f->name, dir);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || (f->len && write(fd, f->data, f->len) != (ssize_t)f->len) || fchmod(fd, f->mode) < 0)
                return nook_errf(e, errno, "cannot write %s: %m", path);
        return 0;
}

/* -v: a helper that failed shows its whole log (name, in the run directory). */
static void print_helper_log(const struct launch_ctx *c, const char *rundir, const char *name)
{
        _cleanup_free_ char *path = NULL;

        if (!c->spec->verbose || asprintf(&path, "%s/%s", rundir, name) < 0)
                return;
        FILE *f = fopen(path, "re");
        if (f) {
                nook_copy_lines(f, stderr);     /* its words, not its escape sequences */
                fclose(f);
        }
}

int helpers_make_rundir(const struct launch_ctx *c, struct helpers *h, bool early, struct nook_err *e)
{
        const struct nook_spec *s = c->spec;
        int rc = 0;

        if (h->rundir)
                return 0;
        if (early && !(s->pasta || s->slirp || s->dbus == SPEC_DBUS_FILTERED || s->n_nook_files))
                return 0;
        rc = rundir_create(&h->rundir, e);
        for (size_t i = 0; rc == 0 && i < s->n_nook_files; i++)
                rc = write_nook_file(h->rundir, &s->nook_files[i], e);
        return rc;
}

int helpers_start_dbus(const struct launch_ctx *c, struct helpers *h, struct nook_err *e)
{
        if (c->spec->dbus != SPEC_DBUS_FILTERED)
                return 0;
        int rc = dbus_proxy_start(c->spec, h->rundir, &h->dbus, e);
        if (rc < 0)
                print_helper_log(c, h->rundir, "dbus-proxy.log");
        return rc;
}

static int start_slirp(const struct launch_ctx *c, pid_t child, const struct net_config *net, struct helpers *h,
                       struct nook_err *e)
{
        const struct nook_spec *s = c->spec;
        int rc = slirp_start(child, net, h->rundir, &h->slirp, e);

        if (rc < 0)
                print_helper_log(c, h->rundir, "slirp.log");
        for (size_t i = 0; rc == 0 && i < s->n_ports; i++)
                rc = slirp_publish(&h->slirp, &s->ports[i], e);
        if (rc == 0 && s->n_ports)
                rc = slirp_verify_published(&h->slirp, s->ports, s->n_ports, e);
        return rc;
}

int helpers_start_net(const struct launch_ctx *c, pid_t child, struct helpers *h, struct nook_err *e)
{
        struct net_config net = spec_net_config(c->spec);
        int rc = 0;

        if (c->spec->pasta) {
                h->pasta = pasta_start(child, &net, h->rundir, &h->pasta_fd, e);
                if (h->pasta < 0) {
                        rc = h->pasta;
                        print_helper_log(c, h->rundir, "pasta.log");
                }
        }
        if (rc == 0 && c->spec->slirp)
                rc = start_slirp(c, child, &net, h, e);
        return rc;
}

bool helpers_start_fuse(const struct launch_ctx *c, pid_t child, struct helpers *h)
{
        if (h->fuse < 0) {
                struct nook_err fe = { 0 };
                const struct nook_spec *s = c->spec;
                unsigned flags = (s->verbose > 0 ? FUSE_OVERLAY_VERBOSE : 0) |
                                 (s->squashfs ? FUSE_OVERLAY_FUSE_LOWER : 0) |
                                 (s->squashfs && s->single_id ? FUSE_OVERLAY_SQUASH_TO_ROOT : 0);
                h->fuse = fuse_overlay_start(child, s->n_layers, s->persist_dir, flags, &h->fuse_fd, &fe);
                if (h->fuse < 0)
                        nook_err_print(&fe);
        }
        return h->fuse > 0;
}

/* nook-squashfs's address space: its node table for the most inodes it
   serves (2^24, 256 MiB), libraries, buffers and inodes looked up. */
#define SQUASHFS_MAX_MEMORY (1024ul << 20)

/* nook-squashfs reads a file that, in a shared store, someone else wrote:
   it runs with no capability, no_new_privs, the default seccomp filter
   with no socket at all and no memory made executable, and Landlock that
   lets it read and run its program and the host's libraries (beneath /usr,
   /lib*) and read its image, which it holds open: nothing else by path, no
   signal or ptrace outside, at most 1 GiB of address space. It mounts
   nothing: pid 1 makes its mount. */
static int confine_squashfs(const char *program, int source_fd, void *arg)
{
        const struct seccomp_prog *prog = arg;
        char dir[PATH_MAX];
        struct nook_err e = { 0 };

        const char *slash = strrchr(program, '/');
        if (!slash || str_fmt(dir, sizeof(dir), "%.*s", (int)(slash - program), program) < 0)
                return -ENAMETOOLONG;
        const char *const exec[] = { dir, "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache",
#ifdef NOOK_SANITIZERS
                                     /* only there: their runtime reads /proc/self/maps as it starts */
                                     "/proc",
#endif
                                     NULL };
        int r = landlock_restrict_files(exec, source_fd, &e);
        if (r == 0)
                r = caps_drop_all(&e);
#ifndef NOOK_SANITIZERS
        /* a crafted image can make libsquashfs allocate what its header
           says (a block list, a link target, a directory): it gets ENOMEM
           (EIO to the sandbox), not the host's memory. Not with the
           sanitizers, whose shadow maps terabytes. */
        struct rlimit mem = { SQUASHFS_MAX_MEMORY, SQUASHFS_MAX_MEMORY };
        if (r == 0 && setrlimit(RLIMIT_AS, &mem) < 0)
                r = nook_errf(&e, errno, "cannot limit its memory: %m");
#endif
        if (r == 0)
                r = seccomp_prog_load(prog, &e);
        if (r < 0)
                fprintf(stderr, "nook: cannot confine nook-squashfs: %s\n", e.msg);
        return r;
}

int squashfs_helper_start(const struct nook_spec *s, struct squashfs_helper *q, struct nook_err *e)
{
        const struct seccomp_opts no_sockets = { .families_set = true, .families = 0, .mdwe = true };

        if (!s->squashfs)
                return 0;
        _cleanup_free_ char *program = helper_find("nook-squashfs", e);
        if (!program)
                return -e->code;
        /* one id mapped: every file root's, the one id there is, so that
           kernel overlayfs can copy up any of them */
        char *one_id[] = { program, "--socket", FUSE_DAEMON_SOCKET, "--root-owned", FUSE_DAEMON_SOURCE, NULL };
        char *plain[] = { program, "--socket", FUSE_DAEMON_SOCKET, FUSE_DAEMON_SOURCE, NULL };
        struct fuse_daemon_mount m = { s->layers[0], confine_squashfs, &q->filter };
        int r = seccomp_cache_build(&no_sockets, &q->filter, e);
        if (r < 0)
                return r;
        q->pid = fuse_daemon_start_early(s->single_id ? one_id : plain, &m, s->verbose > 0, &q->pidfd, &q->sock, e);
        return q->pid < 0 ? q->pid : 0;
}

void squashfs_helper_stop(struct squashfs_helper *q)
{
        fuse_daemon_kill(&q->pidfd);
        closep(&q->sock);
        q->sock = -1;
        q->pid = -1;
        seccomp_prog_free(&q->filter);
}

int helpers_start_squashfs(const struct launch_ctx *c, struct helpers *h, struct nook_err *e)
{
        if (c->squashfs && c->squashfs->pid > 0) {
                h->squashfs = *c->squashfs;
                *c->squashfs = (struct squashfs_helper)SQUASHFS_HELPER_INIT;
                return 0;
        }
        return squashfs_helper_start(c->spec, &h->squashfs, e);
}

bool helpers_serve_squashfs(struct helpers *h, int dev)
{
        struct nook_err e = { 0 };
        int r = dev < 0 ? nook_errf(&e, EIO, "cannot take the sandbox's /dev/fuse for nook-squashfs")
                        : fuse_daemon_serve(&h->squashfs.sock, dev, "nook-squashfs", 5000, &e);

        if (r < 0)
                nook_err_print(&e);
        return r == 0;
}

size_t helpers_pids(const struct helpers *h, pid_t *out)
{
        size_t n = 0;

        if (h->slirp.pid > 0)
                out[n++] = h->slirp.pid;
        if (h->pasta > 0)
                out[n++] = h->pasta;
        if (h->dbus.pid > 0)
                out[n++] = h->dbus.pid;
        if (h->fuse > 0)
                out[n++] = h->fuse;
        if (h->squashfs.pid > 0)
                out[n++] = h->squashfs.pid;
        return n;
}

bool helpers_sandbox_ending(struct helpers *h)
{
        if (!h->rundir || h->slirp.pidfd >= 0 || h->pasta_fd >= 0 || h->dbus.pidfd >= 0 || h->fuse_fd >= 0 ||
            h->squashfs.pidfd >= 0)
                return false;
        rundir_remove(h->rundir);
        free(h->rundir);
        h->rundir = NULL;
        return true;
}

void helpers_stop(struct helpers *h)
{
        /* slirp4netns ends by itself once its exit fd is closed; the others
           by their pidfds only */
        slirp_stop(&h->slirp);
        pasta_stop(&h->pasta_fd);
        dbus_proxy_stop(&h->dbus);
        if (h->rundir)
                rundir_remove(h->rundir);
        free(h->rundir);
        h->rundir = NULL;
        /* the overlay first: nook-squashfs serves its lower layer,
           read-only, so nothing is lost when it is killed */
        fuse_daemon_stop(&h->fuse_fd);
        squashfs_helper_stop(&h->squashfs);
}
