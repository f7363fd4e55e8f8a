#include "cli/cmd-doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli/conf-load.h"
#include "cred/users.h"
#include "netns/egress.h"
#include "image/store-fs.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "state/rundir.h"
#include "cli/cmd-run.h"
#include "cli/probe.h"
#include "lib/libexec.h"
#include "spec/host.h"
#include "sandbox/landlock.h"
#include "cred/subid.h"

/* `nook doctor`: what this host lets nook do for this user, a line each,
   with what to do where something is missing. */

enum verdict { OK, WARN, FAIL };

struct report {
        unsigned warns, fails;
};

__attribute__((format(printf, 4, 5))) static void say(struct report *r, enum verdict v, const char *what,
                                                      const char *fmt, ...)
{
        static const char *const word[] = { "ok", "warn", "FAIL" };
        va_list ap;

        printf("%-5s %s: ", word[v], what);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        r->warns += v == WARN;
        r->fails += v == FAIL;
}

static void usage(FILE *out)
{
        fputs("Usage: nook doctor\n"
              "\n"
              "Check what this host lets nook do for you: user namespaces, the kernel,\n"
              "subordinate id ranges and newuidmap, kernel overlayfs in a user namespace\n"
              "and fuse-overlayfs, slirp4netns, pasta, /dev/net/tun, nftables, Landlock,\n"
              "xdg-dbus-proxy, the session's display, seccomp, the run directory, the\n"
              "configuration files (nook.conf) and the image store, with its file system\n"
              "(its type, whether user xattrs and flock work there: advice for NFS).\n"
              "One line a check: ok,\n"
              "warn (a feature that will not work, and what to do) or FAIL (nook run\n"
              "cannot work). Changes nothing; leaves nothing behind.\n"
              "\n"
              "Exit status: 0 when nothing FAILed (warnings included), 1 otherwise.\n"
              "See nook(1).\n",
              out);
}

static void check_userns(struct report *r)
{
        int e = probe_in_child(probe_userns);
        bool restricted = probe_apparmor_restricts_userns();

        if (e == 0)
                say(r, OK, "user namespaces", "an unprivileged user can create them");
        else
                say(r, FAIL, "user namespaces", "cannot create one: %s (check sysctl user.max_user_namespaces, "
                    "kernel.unprivileged_userns_clone and, on Ubuntu, kernel.apparmor_restrict_unprivileged_userns)",
                    e > 0 ? strerror(e) : "the test failed");
        if (restricted)
                say(r, WARN, "AppArmor", "kernel.apparmor_restrict_unprivileged_userns=1: user namespaces lose their "
                    "capabilities unless an AppArmor profile allows nook (install contrib/apparmor/nook from nook's sources)");
}

static void check_kernel(struct report *r)
{
        struct utsname u;
        int major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
                say(r, WARN, "kernel", "cannot tell its version");
                return;
        }
        if (major > 5 || (major == 5 && minor >= 12))
                say(r, OK, "kernel", "%s: the mount API nook needs (5.12 or later)", u.release);
        else
                say(r, FAIL, "kernel", "%s is older than 5.12: nook needs open_tree, move_mount, fsopen and mount_setattr",
                    u.release);
}

static void check_ids(struct report *r, const char *user)
{
        struct subid_pair p;
        struct nook_err e = { 0 };

        if (subid_lookup(user, getuid(), getgid(), &p, &e) < 0) {
                say(r, WARN, "subordinate ids", "%s", e.msg);
                return;
        }
        if (!p.found) {
                say(r, WARN, "subordinate ids", "no /etc/subuid and /etc/subgid range for %s: an image's files all "
                    "belong to you inside (ask an admin: usermod --add-subuids 100000-165535 --add-subgids "
                    "100000-165535 %s)", user, user);
                return;
        }
        say(r, OK, "subordinate ids", "uids %lu-%lu, gids %lu-%lu: an image's owners are kept", p.uid_start,
            p.uid_start + p.uid_count - 1, p.gid_start, p.gid_start + p.gid_count - 1);
        if (probe_setuid_or_capable("/usr/bin/newuidmap") && probe_setuid_or_capable("/usr/bin/newgidmap"))
                say(r, OK, "newuidmap", "/usr/bin/newuidmap and newgidmap can map those ranges");
        else
                say(r, WARN, "newuidmap", "/usr/bin/newuidmap or newgidmap is missing or not setuid: images map a "
                    "single id (apt-get install uidmap)");
}

static void check_overlay(struct report *r)
{
        int o = probe_in_child(probe_overlay);
        bool fuse = probe_on_path("fuse-overlayfs"), devfuse = probe_device_usable("/dev/fuse");

        if (o == 0)
                say(r, OK, "kernel overlayfs", "mounts in a user namespace: images use it (--overlay auto)");
        else
                say(r, fuse && devfuse ? OK : WARN, "kernel overlayfs", "refused in a user namespace%s",
                    fuse && devfuse ? ": images use fuse-overlayfs" : "");
        if (fuse && devfuse)
                say(r, OK, "fuse-overlayfs", "installed, and /dev/fuse is usable (--overlay fuse)");
        else if (!fuse)
                say(r, o == 0 ? WARN : FAIL, "fuse-overlayfs", "not installed: --overlay fuse will not work%s "
                    "(apt-get install fuse-overlayfs)", o == 0 ? "" : ", and no image can run");
        else
                say(r, o == 0 ? WARN : FAIL, "fuse-overlayfs", "/dev/fuse is missing or not read-write for you "
                    "(it should be mode 0666)");
}

static void check_network(struct report *r)
{
        char v[256];
        bool tun = probe_device_usable("/dev/net/tun");

        if (probe_on_path("slirp4netns")) {
                probe_version("slirp4netns", v, sizeof(v));
                say(r, OK, "slirp4netns", "%s: --net slirp", v[0] ? v : "installed");
        } else {
                say(r, WARN, "slirp4netns", "not installed: --net slirp will not work (apt-get install slirp4netns)");
        }
        if (probe_on_path("pasta"))
                say(r, OK, "pasta", "installed: --net pasta");
        else
                say(r, WARN, "pasta", "not installed: --net pasta will not work (apt-get install passt)");
        if (tun)
                say(r, OK, "/dev/net/tun", "usable: the helpers can make the sandbox's tap device");
        else
                say(r, WARN, "/dev/net/tun", "missing or not read-write for you: --net slirp and pasta will not "
                    "work (it should be mode 0666)");
        if (egress_nft_path()) {
                say(r, OK, "nftables", "nft is there: Allow=, Deny= and the guard of 10.0.2.2");
        } else {
                say(r, WARN, "nftables", "nft is missing: --net slirp and pasta without "
                    "--allow-host-loopback, and Allow=/Deny=, will not work (apt-get install nftables)");
        }
        int abi = landlock_abi();
        if (abi >= 4)
                say(r, OK, "Landlock", "ABI %d: --net host with --allow%s", abi,
                    abi >= 6 ? ", and the host's abstract sockets kept out" : "");
        else
                say(r, WARN, "Landlock", "%s: --net host with --allow will be refused (it needs ABI 4, Linux 6.7)",
                    abi ? "ABI too old" : "not available");
}

static void check_desktop(struct report *r)
{
        const char *w = getenv("WAYLAND_DISPLAY"), *d = getenv("DISPLAY");

        if (probe_on_path("xdg-dbus-proxy"))
                say(r, OK, "xdg-dbus-proxy", "installed: --dbus filtered");
        else
                say(r, WARN, "xdg-dbus-proxy", "not installed: --dbus filtered will not work (apt-get install xdg-dbus-proxy)");
        if ((w && *w) || (d && *d))
                say(r, OK, "display", "%s%s%s%s: --display auto uses %s", w && *w ? "WAYLAND_DISPLAY=" : "",
                    w && *w ? w : "", w && *w && d && *d ? ", DISPLAY=" : d && *d ? "DISPLAY=" : "",
                    d && *d ? d : "", w && *w ? "Wayland" : "X11");
        else
                say(r, OK, "display", "none in this session (--display needs a desktop session)");
}

/* One of nook's own programs (lib/libexec.h): what it does when found,
   what will not work without it. */
static void check_own_helper(struct report *r, const char *name, const char *does, const char *without)
{
        _cleanup_free_ char *path = helper_path(name);

        if (path)
                say(r, OK, name, "%s: %s", path, does);
        else
                say(r, FAIL, name, "not found beside nook nor in " NOOK_LIBEXECDIR ": %s (reinstall nook)", without);
}

static void check_rest(struct report *r)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0)
                say(r, OK, "seccomp", "available");
        else
                say(r, FAIL, "seccomp", "not available in this kernel");
        char base[4096];
        struct stat st;
        rundir_base(base, sizeof(base));
        /* looked at, not made: doctor changes nothing */
        if (lstat(base, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)))
                say(r, FAIL, "run directory", "%s is not a private directory of yours: every sandbox will fail "
                    "(remove it, or set XDG_RUNTIME_DIR)", base);
        else if (xdg && xdg[0] == '/' && access(xdg, W_OK) == 0)
                say(r, OK, "run directory", "%s", base);
        else
                say(r, WARN, "run directory", "XDG_RUNTIME_DIR is unset or not writable: run state goes to %s", base);
        check_own_helper(r, "nook-image", "the image store's commands", "nook image will not work");
        check_own_helper(r, "nook-squashfs", "serves squashfs images to their sandboxes",
                         "squashfs images (and shared stores) will not run");
}

/* The configuration files nook reads, and their problems (the defaults
   hold where a file has one). */
static void check_config(struct report *r, const char *user_file, const struct diag *d)
{
        const char *files[] = { cli_conf_site_file(), user_file };
        char what[2][4200];

        for (size_t i = 0; i < 2; i++)
                if (str_fmt(what[i], sizeof(what[i]), "%s (%s)", files[i] ? files[i] : "?",
                            files[i] && access(files[i], R_OK) == 0 ? "read" : "absent") < 0)
                        snprintf(what[i], sizeof(what[i]), "(a path too long to show)");
        if (d->n == 0)
                say(r, OK, "configuration", "%s, %s", what[0], what[1]);
        else
                say(r, WARN, "configuration", "%s, %s: %zu problem%s, the defaults hold where they are (first: %s; "
                    "see nook info)", what[0], what[1], d->n, d->n == 1 ? "" : "s", d->msgs[0]);
}

/* What the store's file system gives: tried in the store, or the nearest
   directory of its path that exists, with a file made there and removed. */
static void check_store_fs(struct report *r, const char *store)
{
        struct store_fs f;
        int e = store_fs_probe_path(store, &f);

        if (e < 0) {
                say(r, WARN, "store file system", "cannot try %s or the nearest directory of it that exists: %s (the "
                    "store must be writable)", store, strerror(-e));
                return;
        }
        if (f.xattr && f.flock && !store_fs_remote(&f)) {
                say(r, OK, "store file system", "%s: user xattrs and flock(2) work there", f.type);
                return;
        }
        say(r, WARN, "store file system", "%s%s: user xattrs %s, flock(2) %s there%s%s%s%s (put the store on a "
            "node-local disk: [Store] Path= in nook.conf, e.g. Path=/var/tmp/%s/nook, or NOOK_STORE)", f.type,
            store_fs_nfs(&f) ? " (NFS)" : store_fs_remote(&f) ? " (network or FUSE)" : "",
            f.xattr ? "work" : "fail", f.flock ? "works" : "fails",
            !f.xattr ? "; images run with fuse-overlayfs only" : "",
            !f.flock ? "; importing and removing images will fail" : "",
            store_fs_remote(&f) ? "; persistent sandboxes use fuse-overlayfs" : "",
            store_fs_remote(&f) ? "; a subordinate range cannot own files there (import with --map single)" : "",
            getenv("USER") ? getenv("USER") : "$USER");
}

/* The image store of the configuration, where it comes from, its free
   space and its file system. */
static void check_store(struct report *r, const struct nook_conf *conf)
{
        const char *path = conf_get(conf, CONF_STORE_PATH);
        const char *origin = conf->v[CONF_STORE_PATH].origin;
        _cleanup_free_ char *store = path ? strdup(path) : store_default_root();
        _cleanup_free_ char *probe = store ? strdup(store) : NULL;
        struct statvfs fs;

        if (!probe) {
                say(r, WARN, "image store", "no place for it: set HOME or XDG_DATA_HOME, or [Store] Path= in nook.conf");
                return;
        }
        /* the nearest existing directory tells the free space */
        while (statvfs(probe, &fs) < 0 && strrchr(probe, '/') && strrchr(probe, '/') != probe)
                *strrchr(probe, '/') = '\0';
        double gb = statvfs(probe, &fs) == 0 ? (double)fs.f_bavail * (double)fs.f_frsize / 1e9 : -1;
        if (gb >= 0)
                say(r, gb < 1 ? WARN : OK, "image store", "%s, %.1f GB free there%s (from %s)", store, gb,
                    gb < 1 ? ": little room for images" : "", origin ? origin : "the default");
        check_store_fs(r, store);
}

int cmd_doctor(int argc, char **argv)
{
        struct report r = { 0 };
        struct host_facts h = { 0 };
        struct nook_err e = { 0 };
        struct nook_conf conf;
        _cleanup_(diag_free) struct diag d;
        struct vars vs;
        _cleanup_free_ char *user_file = NULL;

        if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "nook: doctor takes no arguments, got '%s' (see nook doctor --help)\n", nook_val(argv[1]));
                return NOOK_EXIT_FAILURE;
        }
        if (host_facts_read(&h, &e) < 0 || vars_init(&vs, &h, &e) < 0) {
                nook_err_print(&e);
                host_facts_free(&h);
                return NOOK_EXIT_FAILURE;
        }
        /* a bad configuration is reported, and its defaults hold */
        memset(&conf, 0, sizeof(conf));
        diag_init(&d);
        user_file = cli_conf_user_file(&vs);
        if (cli_conf_load(&conf, &vs, &d) < 0) {
                conf_free(&conf);
                memset(&conf, 0, sizeof(conf));
        }
        vars_free(&vs);
        /* the whole name: the subordinate ids are looked up by it */
        struct user_entry pw;
        _cleanup_free_ char *name = users_by_uid(h.uid, &pw) ? strdup(pw.name) : str_dupf("%u", (unsigned)h.uid);
        if (!name) {
                fprintf(stderr, "nook: doctor: out of memory\n");
                host_facts_free(&h);
                return NOOK_EXIT_FAILURE;
        }
        printf("nook %s on this host, for %s (uid %u)\n", NOOK_VERSION, name, (unsigned)h.uid);
        check_userns(&r);
        check_kernel(&r);
        check_ids(&r, name);
        check_overlay(&r);
        check_network(&r);
        check_desktop(&r);
        check_rest(&r);
        check_config(&r, user_file, &d);
        check_store(&r, &conf);
        printf("%u failed, %u warning%s\n", r.fails, r.warns, r.warns == 1 ? "" : "s");
        host_facts_free(&h);
        conf_free(&conf);
        return r.fails ? 1 : 0;
}
