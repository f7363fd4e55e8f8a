#include "cli/cmd-profile-import.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred/users.h"
#include "lib/cleanup.h"
#include "lib/err.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "profiles/firejail-map.h"
#include "profiles/firejail-read.h"

static void usage(FILE *out)
{
        fputs("Usage: nook profile import firejail [--with COND]... [-o FILE | --dir DIR] [--force] FILE|NAME...\n"
              "\n"
              "Converts firejail profiles into nook profiles. A NAME is looked up as firejail\n"
              "does, in ~/.config/firejail, then /etc/firejail (NAME or NAME.profile); their\n"
              "includes too. Shared includes (disable-common.inc, ...) become nook include\n"
              "files, firejail-NAME.profile, written once beside the profiles.\n"
              "\n"
              "  -o, --output FILE  write the one profile given to FILE\n"
              "  -d, --dir DIR      write NAME.profile for each one into DIR (made if missing)\n"
              "                     default: the user's nook profiles, $XDG_CONFIG_HOME/nook/profiles,\n"
              "                     where an existing NAME.profile is kept unless --force\n"
              "  -f, --force        replace an existing NAME.profile there\n"
              "  -w, --with COND    turn firejail's conditional lines ?COND: on (HAS_APPIMAGE,\n"
              "                     BROWSER_ALLOW_DRM, ALLOW_TRAY, ...); they are off otherwise\n"
              "\n"
              "Every directive becomes keys that carry it as a comment, or a comment saying\n"
              "why none is needed or possible (# unsupported: LINE (why)).\n"
              "Exit status: 0 everything translated, 2 something left unsupported (listed on\n"
              "stderr, FILE:LINE), 1 an error. See doc/from-firejail.md and nook.profile(5).\n",
              out);
}

struct import {
        struct fj_read_opts ro;
        struct fj_map_opts mo;
        char *user_dir, *home, *runuser, *userdirs[6];
        const char *out_file;
        char *dir;              /* --dir */
        char *out_dir;          /* where the files go */
        int dir_fd;
        bool force;
};

static char *userdir(const char *home, const char *key, const char *fallback)
{
        const char *xdg = getenv("XDG_CONFIG_HOME");
        _cleanup_free_ char *path = xdg && xdg[0] == '/' ? str_dupf("%s/user-dirs.dirs", xdg)
                                                         : str_dupf("%s/.config/user-dirs.dirs", home);
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        while (f && getline(&line, &cap, f) > 0) {
                _cleanup_free_ char *k = str_dupf("XDG_%s_DIR=\"$HOME/", key);
                if (!k || strncmp(line, k, strlen(k)) != 0)
                        continue;
                char *v = line + strlen(k);
                v[strcspn(v, "\"")] = '\0';
                if (*v && !strstr(v, ".."))
                        return str_dupf("%s/%s", home, v);
        }
        return str_dupf("%s/%s", home, fallback);
}

static int import_init(struct import *im, struct nook_err *e)
{
        static const char *const keys[] = { "DESKTOP", "DOCUMENTS", "DOWNLOAD", "MUSIC", "PICTURES", "VIDEOS" };
        static const char *const dflt[] = { "Desktop", "Documents", "Downloads", "Music", "Pictures", "Videos" };
        const char *home = getenv("HOME");
        struct user_entry pw;
        bool from_db = !(home && home[0] == '/') && users_by_uid(getuid(), &pw);

        im->dir_fd = -1;
        im->home = path_normalize(from_db ? pw.home : home ? home : "/");
        im->runuser = str_dupf("/run/user/%u", (unsigned)getuid());
        im->user_dir = im->home ? str_dupf("%s/.config/firejail", im->home) : NULL;
        if (!im->home || !im->runuser || !im->user_dir)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < 6; i++)
                if (!(im->userdirs[i] = userdir(im->home, keys[i], dflt[i])))
                        return nook_errf(e, ENOMEM, "out of memory");
        im->ro.user_dir = im->user_dir;
        im->ro.sys_dir = "/etc/firejail";
        im->ro.home = im->home;
        im->mo.home = im->home;
        im->mo.runuser = im->runuser;
        im->mo.cfg = "/etc/firejail";
        for (size_t i = 0; i < 6; i++)
                im->mo.userdirs[i] = im->userdirs[i];
        im->mo.cache = fj_glob_cache_new();
        return im->mo.cache ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static void import_free(struct import *im)
{
        free(im->user_dir);
        free(im->home);
        free(im->runuser);
        free(im->dir);
        free(im->out_dir);
        for (size_t i = 0; i < 6; i++)
                free(im->userdirs[i]);
        strv_free(im->ro.with);
        fj_glob_cache_free(im->mo.cache);
        if (im->dir_fd >= 0)
                close(im->dir_fd);
}

static bool same_content(int dir_fd, const char *name, const char *text)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = 0;

        if (fd < 0)
                return false;
        _cleanup_free_ char *have = read_all(fd, 4 << 20, &len);
        return have && len == strlen(text) && memcmp(have, text, len) == 0;
}

/* Through a temporary name and rename(2): a reader never sees half a file. */
static int write_file(int dir_fd, const char *name, const char *text, struct nook_err *e)
{
        _cleanup_free_ char *tmp = str_dupf(".%s.tmp%ld", name, (long)getpid());
        if (!tmp)
                return nook_errf(e, ENOMEM, "out of memory");
        unlinkat(dir_fd, tmp, 0); /* an earlier run's, with this pid; O_EXCL then makes it anew */
        _cleanup_close_ int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return nook_errf(e, errno, "cannot create %s: %m", tmp);
        size_t len = strlen(text), off = 0;
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        unlinkat(dir_fd, tmp, 0);
                        return nook_errf(e, errno ? errno : EIO, "cannot write %s: %m", name);
                }
                off += (size_t)n;
        }
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                unlinkat(dir_fd, tmp, 0);
                return nook_errf(e, errno, "cannot write %s: %m", name);
        }
        return 0;
}

/* An include file keeps its plain name while every profile needs the same
   text; a different translation of it (another profile's noblacklist or
   private-etc changes what it may hide) gets a name of its own. */
static int place(void *ctx, const char *base, const char *text, char **name, struct nook_err *e)
{
        struct import *im = ctx;
        uint32_t h = 2166136261u;

        for (const char *p = text; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        for (int attempt = 0; attempt < 2; attempt++) {
                size_t stem = strlen(base) - strlen(".profile");
                _cleanup_free_ char *n = attempt ? str_dupf("%.*s-%08x.profile", (int)stem, base, (unsigned)h) : strdup(base);
                if (!n)
                        return nook_errf(e, ENOMEM, "out of memory");
                struct stat st;
                bool exists = fstatat(im->dir_fd, n, &st, AT_SYMLINK_NOFOLLOW) == 0;
                if (exists && !same_content(im->dir_fd, n, text))
                        continue;
                if (!exists && write_file(im->dir_fd, n, text, e) < 0)
                        return -EIO;
                *name = steal_ptr(&n);
                return 0;
        }
        _cleanup_free_ char *n = str_dupf("%.*s-%08x.profile", (int)(strlen(base) - 8), base, (unsigned)h);
        if (!n || write_file(im->dir_fd, n, text, e) < 0)
                return n ? -EIO : nook_errf(e, ENOMEM, "out of memory");
        *name = steal_ptr(&n);
        return 0;
}

static int open_dir(struct import *im, const char *dir, struct nook_err *e)
{
        if (mkdir_p(dir, 0755) < 0)
                return nook_errf(e, errno, "cannot make %s: %m", dir);
        if (!(im->out_dir = strdup(dir)))
                return nook_errf(e, ENOMEM, "out of memory");
        im->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (im->dir_fd < 0)
                return nook_errf(e, errno, "cannot open %s: %m", dir);
        return 0;
}

/* One profile: 0, 2 (something unsupported) or 1 (an error, said). */
static int import_one(struct import *im, const char *arg)
{
        struct nook_err e = { 0 };
        _cleanup_free_ char *path = NULL;

        if (fj_find(&im->ro, arg, &path) < 0) {
                nook_say("no firejail profile %s (searched %s, %s)", nook_val(arg), im->user_dir, im->ro.sys_dir);
                return 1;
        }
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        _cleanup_free_ char *name = strndup(base, strlen(base) - (strlen(base) > 8 && strcmp(base + strlen(base) - 8, ".profile") == 0 ? 8 : 0));
        const char *given = im->out_file && strrchr(im->out_file, '/') ? strrchr(im->out_file, '/') + 1 : im->out_file;
        _cleanup_free_ char *out = given ? strdup(given) : str_dupf("%s.profile", name ? name : "");
        struct fj_tree t = { 0 };
        struct fj_output o;
        int r = name && out ? fj_read(&im->ro, path, &t, &e) : nook_errf(&e, ENOMEM, "out of memory");

        if (r == 0) {
                im->mo.place = place;
                im->mo.place_ctx = im;
                r = fj_map(&t, name, &im->mo, &o, &e);
                if (r == 0) {
                        struct stat st;
                        if (!im->force && !im->dir && !im->out_file && fstatat(im->dir_fd, out, &st, 0) == 0)
                                r = nook_errf(&e, EEXIST, "%s/%s exists already: --force replaces it", im->out_dir, out);
                        else
                                r = write_file(im->dir_fd, out, o.text, &e);
                        for (size_t i = 0; r == 0 && i < o.n_unsupported; i++)
                                fprintf(stderr, "%s: unsupported: %s\n", name, o.unsupported[i]);
                        r = r < 0 ? r : o.n_unsupported ? 2 : 0;
                        fj_output_free(&o);
                }
        }
        fj_tree_free(&t);
        if (r < 0)
                nook_err_print(&e);
        return r < 0 ? 1 : r;
}

static int parse(struct import *im, int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "dir", required_argument, NULL, 'd' },
                { "with", required_argument, NULL, 'w' },   { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },         { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "o:d:w:fh", opts, NULL)) != -1) {
                if (c == 'o')
                        im->out_file = optarg;
                else if (c == 'd' && !(im->dir = strdup(optarg)))
                        return -ENOMEM;
                else if (c == 'w' && strv_push(&im->ro.with, &im->ro.n_with, optarg) < 0)
                        return -ENOMEM;
                else if (c == 'f')
                        im->force = true;
                else if (c == 'h') {
                        usage(stdout);
                        return 1;
                } else if (c == '?') {
                        nook_say("profile import firejail: %s option '%s' (see --help)",
                                 optopt && strchr("odw", optopt) ? "a value is missing after the" : "unknown",
                                 nook_val(argv[optind - 1]));
                        return -EINVAL;
                }
        }
        return 0;
}

static int pick_dir(struct import *im, struct nook_err *e)
{
        if (im->out_file) {
                const char *slash = strrchr(im->out_file, '/');
                _cleanup_free_ char *d = slash ? strndup(im->out_file, (size_t)(slash - im->out_file) + (slash == im->out_file))
                                               : strdup(".");
                return d ? open_dir(im, d, e) : nook_errf(e, ENOMEM, "out of memory");
        }
        if (im->dir)
                return open_dir(im, im->dir, e);
        const char *xdg = getenv("XDG_CONFIG_HOME");
        _cleanup_free_ char *d = xdg && xdg[0] == '/' ? str_dupf("%s/nook/profiles", xdg)
                                                      : str_dupf("%s/.config/nook/profiles", im->home);
        return d ? open_dir(im, d, e) : nook_errf(e, ENOMEM, "out of memory");
}

int cmd_profile_import(int argc, char **argv)
{
        struct import im = { 0 };
        struct nook_err e = { 0 };

        if (argc < 2 || strcmp(argv[1], "firejail") != 0) {
                if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                        usage(stdout);
                        return 0;
                }
                nook_say("profile import: the first word is the format, and nook knows firejail's only "
                         "(nook profile import firejail NAME)");
                return 2;
        }
        int r = parse(&im, argc - 1, argv + 1);
        int status = r ? (r > 0 ? 0 : 2) : -1;
        if (status < 0 && optind + 1 >= argc) {
                nook_say("profile import firejail: name a firejail profile (see --help)");
                status = 2;
        } else if (status < 0 && im.out_file && (im.dir || optind + 2 < argc)) {
                nook_say("profile import firejail: -o takes one profile and no --dir");
                status = 2;
        }
        if (status < 0 && (import_init(&im, &e) < 0 || pick_dir(&im, &e) < 0)) {
                nook_err_print(&e);
                status = 1;
        }
        if (status < 0) {
                status = 0;
                for (int i = optind + 1; i < argc; i++) {
                        int one = import_one(&im, argv[i]);
                        if (one == 1 || (one == 2 && status == 0))
                                status = one;
                }
        }
        import_free(&im);
        return status;
}
