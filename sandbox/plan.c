#include "sandbox/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Read-only views of kernel knobs that a sandbox must not turn. */
static const char *const proc_readonly[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus" };
/* Files that leak host memory, keys or timers: read as empty. */
static const char *const proc_masked[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list" };

struct builder {
        struct plan *p;
        size_t cap;
        int err;
};

static struct step *add(struct builder *b, enum step_kind kind, const char *src, const char *dst,
                        unsigned flags)
{
        if (b->err)
                return NULL;
        if (b->p->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 32;
                struct step *s = reallocarray(b->p->steps, cap, sizeof(*s));
                if (!s) {
                        b->err = ENOMEM;
                        return NULL;
                }
                b->p->steps = s;
                b->cap = cap;
        }
        struct step *s = &b->p->steps[b->p->n];
        memset(s, 0, sizeof(*s));
        s->uid = (uid_t)-1;
        s->gid = (gid_t)-1;
        s->kind = kind;
        s->flags = flags;
        s->src = src ? strdup(src) : NULL;
        s->dst = strdup(dst);
        if ((src && !s->src) || !s->dst) {
                free(s->src);
                free(s->dst);
                b->err = ENOMEM;
                return NULL;
        }
        b->p->n++;
        return s;
}

static void add_tmpfs(struct builder *b, const char *dst, mode_t mode, uint64_t size)
{
        struct step *s = add(b, STEP_TMPFS, NULL, dst, 0);
        if (s) {
                s->mode = mode;
                s->size = size;
        }
}

static void add_owned_tmpfs(struct builder *b, const struct spec_tmpfs *t)
{
        struct step *s = add(b, STEP_TMPFS, NULL, t->dst, 0);
        if (s) {
                s->mode = t->mode ? t->mode : 0755;
                s->size = t->size;
                s->uid = t->uid;
                s->gid = t->gid;
        }
}

/* PrivateBin=: /usr/bin and /usr/sbin (and /bin and /sbin where they are
   directories of their own) become tmpfs holding only the programs named,
   each bound read-only from where the host has it (a link resolved: the
   program runs under the name it was given). */
static const char *const bin_dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };

/* bin_dirs[d] is a directory of its own: /usr's two always, /bin and
   /sbin when they are not links into /usr. */
static bool bin_dir_own(const struct host_facts *h, size_t d)
{
        bool own = d < 2;

        for (size_t i = 0; !own && i < h->n_top; i++)
                own = h->top[i].kind == HOST_DIR && strcmp(h->top[i].name, bin_dirs[d]) == 0;
        return own;
}

static void add_private_bin(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        for (size_t d = 0; d < ARRAY_SIZE(bin_dirs); d++) {
                if (!bin_dir_own(h, d))
                        continue;
                add_tmpfs(b, bin_dirs[d], 0755, 0);
                for (size_t i = 0; i < spec->n_private_bin; i++) {
                        _cleanup_free_ char *p = str_dupf("%s/%s", bin_dirs[d], spec->private_bin[i]);
                        if (!p) {
                                b->err = ENOMEM;
                                return;
                        }
                        add(b, STEP_BIND, p, p, STEP_RO | STEP_TRY);
                }
        }
}

/* Names of /etc that nook writes itself in this sandbox: PrivateEtc=
   leaves them to it. */
static bool nook_writes_etc(const struct nook_spec *spec, const char *name)
{
        return (spec->resolv_conf && (strcmp(name, "resolv.conf") == 0 || strcmp(name, "hosts") == 0)) ||
               (spec->machine_id_random && strcmp(name, "machine-id") == 0);
}

/* PrivateEtc=: /etc is a tmpfs with only the entries named, bound
   read-only from the host's (a symbolic link made again as it is). */
static void add_private_etc(struct builder *b, const struct nook_spec *spec)
{
        add_tmpfs(b, "/etc", 0755, 0);
        for (size_t i = 0; i < spec->n_private_etc; i++) {
                if (nook_writes_etc(spec, spec->private_etc[i]))
                        continue;
                _cleanup_free_ char *p = str_dupf("/etc/%s", spec->private_etc[i]);
                if (!p) {
                        b->err = ENOMEM;
                        return;
                }
                add(b, STEP_BIND, p, p, STEP_RO | STEP_TRY | STEP_LINK);
        }
}

static void add_system(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        add(b, STEP_BIND, "/usr", "/usr", STEP_RO);
        /* On a merged-/usr host /bin is a symlink into /usr: recreate the link
           rather than bind the same tree twice. */
        for (size_t i = 0; i < h->n_top; i++) {
                const struct host_top *t = &h->top[i];
                if (t->kind == HOST_SYMLINK)
                        add(b, STEP_SYMLINK, t->target, t->name, 0);
                else if (t->kind == HOST_DIR)
                        add(b, STEP_BIND, t->name, t->name, STEP_RO | STEP_TRY);
        }
        if (spec->n_private_bin)
                add_private_bin(b, spec, h);
        if (spec->n_private_etc)
                add_private_etc(b, spec);
        else
                add(b, STEP_BIND, "/etc", "/etc", STEP_RO);
        if (h->has_opt)
                add(b, STEP_BIND, "/opt", "/opt", STEP_RO | STEP_TRY);
}

static void add_dev(struct builder *b)
{
        char src[32];

        add_tmpfs(b, "/dev", 0755, 0);
        for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
                if (STR_FMT(src, "/dev/%s", dev_nodes[i]) < 0) {
                        b->err = ENAMETOOLONG;
                        return;
                }
                add(b, STEP_BIND, src, src, STEP_DEV);
        }
        add(b, STEP_DEVPTS, NULL, "/dev/pts", 0);
        add(b, STEP_SYMLINK, "pts/ptmx", "/dev/ptmx", 0);
        add_tmpfs(b, "/dev/shm", 01777, 0);
        add(b, STEP_SYMLINK, "/proc/self/fd", "/dev/fd", 0);
        add(b, STEP_SYMLINK, "/proc/self/fd/0", "/dev/stdin", 0);
        add(b, STEP_SYMLINK, "/proc/self/fd/1", "/dev/stdout", 0);
        add(b, STEP_SYMLINK, "/proc/self/fd/2", "/dev/stderr", 0);
}

static void add_proc(struct builder *b)
{
        add(b, STEP_PROC, NULL, "/proc", 0);
        for (size_t i = 0; i < ARRAY_SIZE(proc_readonly); i++)
                add(b, STEP_REMOUNT_RO, NULL, proc_readonly[i], STEP_TRY);
        for (size_t i = 0; i < ARRAY_SIZE(proc_masked); i++)
                add(b, STEP_MASK, NULL, proc_masked[i], STEP_TRY | STEP_NULL);
}

static size_t depth(const char *path)
{
        size_t d = 0;
        for (const char *p = path; *p; p++)
                d += *p == '/' && p[1] != '\0';
        return d;
}

/* Mounts are stacked parents first, so that --tmpfs /work does not bury an
   earlier --bind to /work/src, and the current directory /home does not
   bury the private home below it. Among equal depths, the given order holds
   (a later mount lands on top), which a stable sort keeps. */
static void sort_by_depth(struct step *v, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct step cur = v[i];
                size_t j = i;
                while (j > 0 && depth(v[j - 1].dst) > depth(cur.dst)) {
                        v[j] = v[j - 1];
                        j--;
                }
                v[j] = cur;
        }
}

/* A file step whose text is made by asprintf (NULL: out of memory). */
static void add_text(struct builder *b, char *text, const char *dst)
{
        if (!text) {
                if (!b->err)
                        b->err = ENOMEM;
                return;
        }
        add(b, STEP_FILE, text, dst, 0);
        free(text);
}

static char *hosts_text(const char *name)
{
        char *t = NULL;

        if (asprintf(&t, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", name) < 0)
                return NULL;
        return t;
}

static char *line_text(const char *name)
{
        char *t = NULL;

        return asprintf(&t, "%s\n", name) < 0 ? NULL : t;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf of an image sandbox, made
   by nook and bound read-only over the image's, so that nothing is written
   into its layers. */
static void add_image_files(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        const char *name = spec->hostname ? spec->hostname : "nook";

        add_text(b, hosts_text(name), "/etc/hosts");
        add_text(b, line_text(name), "/etc/hostname");
        if (!spec->resolv_conf)
                add(b, STEP_FILE, h->resolv_conf ? h->resolv_conf : "", "/etc/resolv.conf", 0);
}

/* A sandbox with its own way out (slirp, pasta) gets nook's resolv.conf and
   hosts, over the image's or the host's. */
static void add_net_files(struct builder *b, const struct nook_spec *spec, const struct host_facts *h, bool image)
{
        const char *name = spec->hostname ? spec->hostname : h->hostname[0] ? h->hostname : "localhost";

        if (!spec->resolv_conf)
                return;
        add(b, STEP_FILE, spec->resolv_conf, "/etc/resolv.conf", 0);
        if (!image)
                add_text(b, hosts_text(name), "/etc/hosts");
}

/* MachineId=random: 128 random bits as /etc/machine-id writes them. */
static char *random_machine_id(void)
{
        unsigned char id[16];
        char *t = malloc(34);

        if (!t || getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
                free(t);
                return NULL;
        }
        for (size_t i = 0; i < sizeof(id); i++)
                snprintf(t + 2 * i, 3, "%02x", id[i]);
        t[32] = '\n';
        t[33] = '\0';
        return t;
}

static void add_user_mounts(struct builder *b, const struct nook_spec *spec)
{
        for (size_t i = 0; i < spec->n_binds; i++) {
                const struct spec_bind *sb = &spec->binds[i];
                unsigned f = (sb->flags & SPEC_BIND_RO ? STEP_RO : 0) |
                             (sb->flags & SPEC_BIND_TRY ? STEP_TRY : 0) |
                             (sb->flags & SPEC_BIND_NOOKS ? STEP_OWN : 0) |
                             (sb->flags & SPEC_BIND_EXACT ? STEP_EXACT : 0);
                add(b, STEP_BIND, sb->src, sb->dst, f);
        }
        for (size_t i = 0; i < spec->n_tmpfs; i++)
                if (spec->tmpfs[i].owned)
                        add_owned_tmpfs(b, &spec->tmpfs[i]);
                else
                        add_tmpfs(b, spec->tmpfs[i].dst, spec->tmpfs[i].mode ? spec->tmpfs[i].mode : 0755,
                                  spec->tmpfs[i].size);
}

/* The current directory is bound read-write unless it is the root, the home
   directory or above it (plan_build), or lies in a part of the sandbox that
   is the kernel's or read-only by promise: a read-write /etc, or the host's
   /proc over the sandbox's, would break what the sandbox guarantees. */
static const char *const no_cwd_bind_below[] = { "/usr", "/etc", "/opt", "/proc", "/sys", "/dev",
                                                 "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" };

static bool cwd_bindable(const char *cwd)
{
        if (strcmp(cwd, "/") == 0)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(no_cwd_bind_below); i++)
                if (path_is_below(cwd, no_cwd_bind_below[i]))
                        return false;
        return true;
}

static void add_home(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        switch (spec->home) {
        case SPEC_HOME_TMPFS:
                add_tmpfs(b, h->home, 0700, 0);
                break;
        case SPEC_HOME_PRIVATE:
                add(b, STEP_BIND, spec->home_source ? spec->home_source : h->home, h->home, 0);
                break;
        case SPEC_HOME_HOST:
                /* the source without symlinks, as bind sources are */
                add(b, STEP_BIND, h->home_real ? h->home_real : h->home, h->home, h->home_real ? STEP_EXACT : 0);
                break;
        case SPEC_HOME_NONE:
                break;
        }
}

/* Where a bind shows `path` inside the sandbox: read-only there, or, with
   hide, covered by an empty read-only node (a read-only view of a socket
   still lets connect(2) through). Every directory between a read-write
   bind's root and path is pinned (made a mount point, still writable), so
   that no one inside can move a parent aside and put another path in its
   place for the next run to read. */
static void protect_path(struct builder *b, const char *path, size_t n_mounts, bool hide)
{
        enum step_kind last = hide ? STEP_MASK : STEP_REMOUNT_RO;

        for (size_t i = 0; i < n_mounts && !b->err; i++) {
                const struct step s = b->p->steps[i];
                if (s.kind != STEP_BIND || !s.src || (s.flags & STEP_OWN) || (!hide && (s.flags & STEP_RO)))
                        continue;
                /* a bind of something inside it: covered as a whole */
                if (path_is_below(s.src, path) && strcmp(s.src, path) != 0) {
                        add(b, last, NULL, s.dst, STEP_TRY);
                        continue;
                }
                if (!path_is_below(path, s.src))
                        continue;
                /* "/" bound: the rest keeps its leading slash */
                const char *rest = strcmp(s.src, "/") == 0 ? path : path + strlen(s.src);
                _cleanup_free_ char *inside = NULL;
                if (asprintf(&inside, "%s%s", strcmp(s.dst, "/") == 0 && *rest ? "" : s.dst, rest) < 0) {
                        b->err = ENOMEM;
                        return;
                }
                /* each ancestor below the bind's root, shallowest first; a
                   read-only view cannot rename them anyway */
                size_t root = strlen(inside) - strlen(rest);
                for (char *p = strchr(inside + root + (*rest == '/'), '/'); p && !(s.flags & STEP_RO) && !b->err;
                     p = strchr(p + 1, '/')) {
                        *p = '\0';
                        add(b, STEP_PIN, NULL, inside, STEP_TRY);
                        *p = '/';
                }
                add(b, last, NULL, inside, STEP_TRY);
        }
}

/* A sandbox must never rewrite the profiles that start it: nook's config
   directory, and every profile file this run was read from, are read-only
   wherever a read-write bind shows them. nook's run directories hold other
   sandboxes' sockets (slirp4netns's API, a D-Bus proxy's) and states: they
   are hidden wherever any bind shows them, but for what nook made there
   for this sandbox itself. */
static void protect_profiles(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        size_t n = b->p->n;

        bool listed = false;
        for (size_t i = 0; h->nook_config && i < spec->n_protect; i++)
                listed |= strcmp(spec->protect[i], h->nook_config) == 0;
        if (h->nook_config && !listed)
                protect_path(b, h->nook_config, n, false);
        for (size_t i = 0; i < spec->n_protect; i++)
                protect_path(b, spec->protect[i], n, false);
        for (size_t i = 0; i < h->n_nook_run; i++)
                protect_path(b, h->nook_run[i], n, true);
}

static int add_chdir(struct plan *p, const char *dir)
{
        p->chdir[p->n_chdir] = strdup(dir);
        if (!p->chdir[p->n_chdir])
                return -ENOMEM;
        p->n_chdir++;
        return 0;
}

static int plan_chdir(struct plan *p, const struct nook_spec *spec, const struct host_facts *h)
{
        int r = 0;

        if (spec->chdir) {
                p->chdir_strict = true;
                return add_chdir(p, spec->chdir);
        }
        /* The same directory as outside when it exists inside (bound, or a
           system path), else home, else the root. */
        if (h->cwd)
                r = add_chdir(p, h->cwd);
        if (r == 0)
                r = add_chdir(p, h->home);
        if (r == 0)
                r = add_chdir(p, "/");
        return r;
}

/* The sandbox's name, loopback and egress rules, and how its image root is
   mounted. */
static int plan_namespaces(struct plan *p, const struct nook_spec *spec)
{
        /* an image sandbox is a machine of its own, named as its /etc/hostname */
        const char *hostname = spec->hostname ? spec->hostname : spec->n_layers ? "nook" : NULL;

        if (hostname && !(p->hostname = strdup(hostname)))
                return -ENOMEM;
        /* Mode=host shares the host's network, lo included */
        p->loopback = !spec->share_net;
        if (spec->egress && !(p->egress = strdup(spec->egress)))
                return -ENOMEM;
        if (spec->n_layers) {
                p->overlay_kernel = spec->overlay != 2;
                p->overlay_fuse = spec->overlay != 1;
                /* a squashfs image with one id mapped: nook-squashfs
                   shows every file as root's (--root-owned), so kernel
                   overlayfs copies them up as it does with a range */
        }
        return 0;
}

/* The tmpfs of PrivateEtc= and PrivateBin=, read-only once populated. */
static void seal_narrowed(struct builder *b, const struct nook_spec *spec, const struct host_facts *h)
{
        if (spec->n_layers)
                return;
        if (spec->n_private_etc)
                add(b, STEP_SEAL_RO, NULL, "/etc", 0);
        for (size_t d = 0; spec->n_private_bin && d < ARRAY_SIZE(bin_dirs); d++)
                if (bin_dir_own(h, d))
                        add(b, STEP_SEAL_RO, NULL, bin_dirs[d], 0);
}

int plan_build(const struct nook_spec *spec, const struct host_facts *h, struct plan *out,
               struct nook_err *e)
{
        struct builder b = { .p = out };

        memset(out, 0, sizeof(*out));
        bool image = spec->n_layers > 0;
        /* an image is its own system; the host sandbox borrows the host's */
        if (!image)
                add_system(&b, spec, h);
        add_dev(&b);
        add_proc(&b);
        if (image)
                add_image_files(&b, spec, h);
        add_net_files(&b, spec, h, image);
        if (spec->machine_id_random)
                add_text(&b, random_machine_id(), "/etc/machine-id");
        size_t late = out->n;
        /* a host sandbox's root is read-only; an image's with ReadOnly= */
        if (!image || spec->read_only) {
                add_tmpfs(&b, "/tmp", 01777, 0);
                add_tmpfs(&b, "/run", 0755, 0);
                add_tmpfs(&b, "/var/tmp", 01777, 0);
        }
        add_home(&b, spec, h);
        for (size_t i = 0; i < spec->n_devices; i++)
                add(&b, STEP_BIND, spec->devices[i], spec->devices[i], STEP_DEV);
        for (size_t i = 0; i < spec->n_devices_try; i++)
                add(&b, STEP_BIND, spec->devices_try[i], spec->devices_try[i], STEP_DEV | STEP_TRY);
        if (!spec->no_cwd && h->cwd && cwd_bindable(h->cwd)) {
                /* the home directory, or one above it, would show all of
                   it (~/.ssh) read-write: like / and /usr, never by default */
                out->cwd_is_home = path_is_below(h->home, h->cwd) ||
                                   (h->home_real && path_is_below(h->home_real, h->cwd));
                /* getcwd(3): the real path, which the checks above judged */
                if (!out->cwd_is_home)
                        add(&b, STEP_BIND, h->cwd, h->cwd, STEP_EXACT);
        }
        add_user_mounts(&b, spec);
        if (!b.err)
                sort_by_depth(out->steps + late, out->n - late);
        protect_profiles(&b, spec, h);
        /* Hides come after every mount, so no bind can uncover them. */
        for (size_t i = 0; i < spec->n_hide; i++)
                add(&b, STEP_MASK, NULL, spec->hide[i], 0);
        /* Sealed last, so later steps could still create mount points there. */
        add(&b, STEP_SEAL_RO, NULL, "/dev", 0);
        seal_narrowed(&b, spec, h);
        /* an image's root is its writable layer, unless ReadOnly= */
        if (!image || spec->read_only)
                add(&b, STEP_SEAL_RO, NULL, "/", 0);
        if (!b.err && plan_chdir(out, spec, h) < 0)
                b.err = ENOMEM;
        if (!b.err && plan_namespaces(out, spec) < 0)
                b.err = ENOMEM;
        if (b.err) {
                plan_free(out);
                return nook_errf(e, b.err, "cannot build the sandbox plan: %m");
        }
        return 0;
}

void plan_free(struct plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->steps[i].src);
                free(p->steps[i].dst);
        }
        free(p->steps);
        for (size_t i = 0; i < p->n_chdir; i++)
                free(p->chdir[i]);
        free(p->hostname);
        free(p->egress);
        memset(p, 0, sizeof(*p));
}

const char *step_kind_name(enum step_kind k)
{
        switch (k) {
        case STEP_BIND: return "bind";
        case STEP_TMPFS: return "tmpfs";
        case STEP_PROC: return "proc";
        case STEP_DEVPTS: return "devpts";
        case STEP_SYMLINK: return "symlink";
        case STEP_REMOUNT_RO: return "remount-ro";
        case STEP_PIN: return "pin";
        case STEP_MASK: return "mask";
        case STEP_SEAL_RO: return "seal-ro";
        case STEP_FILE: return "file";
        }
        return "?";
}

char *step_describe(const struct step *s)
{
        const char *ro = s->flags & STEP_RO ? "-ro" : "";
        const char *try = s->flags & STEP_TRY ? " (if present)" : "";
        char *line = NULL;
        int n;

        switch (s->kind) {
        case STEP_BIND:
                n = asprintf(&line, "bind%s%s %s -> %s%s", ro, s->flags & STEP_DEV ? "-dev" : "", s->src, s->dst, try);
                break;
        case STEP_SYMLINK:
                n = asprintf(&line, "symlink %s -> %s", s->dst, s->src);
                break;
        case STEP_TMPFS:
                if (s->size)
                        n = asprintf(&line, "tmpfs %s mode=%04o size=%llu", s->dst, (unsigned)s->mode,
                                     (unsigned long long)s->size);
                else
                        n = asprintf(&line, "tmpfs %s mode=%04o", s->dst, (unsigned)s->mode);
                break;
        case STEP_FILE:
                n = asprintf(&line, "file %s (%zu bytes, read-only)", s->dst, strlen(s->src));
                break;
        case STEP_MASK:
                n = asprintf(&line, "mask %s%s%s", s->dst, s->flags & STEP_NULL ? " with /dev/null" : "", try);
                break;
        default:
                n = asprintf(&line, "%s %s%s", step_kind_name(s->kind), s->dst, try);
                break;
        }
        return n < 0 ? NULL : line;
}
