#include "cli/desktop-apps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desktop/desktop-file.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

#define PLAIN "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_/.:=+,@%-"

/* nook's own path as an Exec= word: as it is when plain, quoted when it
   needs no escape, else "nook" (found on PATH). */
static char *nook_word(void)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0 || (size_t)n >= sizeof(self) - 1)
                return strdup("nook");
        self[n] = '\0';
        if (strspn(self, PLAIN) == (size_t)n)
                return strdup(self);
        if (strpbrk(self, "\"`$\\\n"))
                return strdup("nook");
        return str_dupf("\"%s\"", self);
}

static struct desktop_app *app_add(struct desktop_ctx *c, const char *id)
{
        struct desktop_app *v = reallocarray(c->apps, c->n_apps + 1, sizeof(*v));

        if (!v)
                return NULL;
        c->apps = v;
        memset(&v[c->n_apps], 0, sizeof(*v));
        if (!(v[c->n_apps].id = strdup(id)))
                return NULL;
        return &v[c->n_apps++];
}

static struct desktop_app *app_find(struct desktop_ctx *c, const char *id)
{
        for (size_t i = 0; i < c->n_apps; i++)
                if (strcmp(c->apps[i].id, id) == 0)
                        return &c->apps[i];
        return NULL;
}

/* The profile an entry's app has: one named as its id ("vim"), as the
   last part of a reverse-DNS id in lower case ("org.gnome.Evince" ->
   "evince"), or as its program ("Exec=/usr/bin/firefox-esr %u"). */
static char *guess_profile(const struct desktop_ctx *c, const char *id, const struct dentry *d)
{
        _cleanup_free_ char *base = strndup(id, strlen(id) - strlen(".desktop"));
        char **argv = NULL;
        struct nook_err ignored = { 0 };

        if (!base)
                return NULL;
        if (profile_exists(&c->pe, base))
                return steal_ptr(&base);
        const char *dot = strrchr(base, '.');
        if (dot) {
                _cleanup_free_ char *last = strdup(dot + 1);
                for (char *p = last; p && *p; p++)
                        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
                if (last && *last && profile_exists(&c->pe, last))
                        return steal_ptr(&last);
        }
        const char *exec = dentry_get(d, "Desktop Entry", "Exec");
        if (!exec || exec_split(exec, &argv, &ignored) < 0)
                return NULL;
        size_t i = 0;
        /* env VAR=value ... program */
        if (strcmp(argv[0], "env") == 0 || strcmp(argv[0], "/usr/bin/env") == 0)
                for (i = 1; argv[i] && strchr(argv[i], '='); i++)
                        ;
        char *prog = argv[i] ? strrchr(argv[i], '/') : NULL;
        prog = argv[i] ? (prog ? prog + 1 : argv[i]) : NULL;
        char *out = prog && profile_exists(&c->pe, prog) ? strdup(prog) : NULL;
        strv_free(argv);
        return out;
}

/* One system entry at path, of desktop file id id. */
static void take_system_entry(struct desktop_ctx *c, const char *path, const char *id)
{
        struct dentry d;
        struct nook_err ignored = { 0 };

        if (app_find(c, id) || dentry_read(path, &d, &ignored) < 0)
                return;
        const char *type = dentry_get(&d, "Desktop Entry", "Type"), *hidden = dentry_get(&d, "Desktop Entry", "Hidden");
        struct desktop_app *app = type && strcmp(type, "Application") == 0 && !(hidden && strcmp(hidden, "true") == 0)
                                          ? app_add(c, id)
                                          : NULL;
        if (app) {
                app->source = strdup(path);
                app->source_hash = d.hash;
                app->profile = guess_profile(c, id, &d);
        }
        dentry_free(&d);
}

/* The entries under dir, prefix the id so far ("kde-" for applications/kde/). */
static void scan_dir(struct desktop_ctx *c, const char *dir, const char *prefix, int depth)
{
        DIR *dp = opendir(dir);
        struct dirent *de;

        while (dp && (de = readdir(dp))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = str_dupf("%s/%s", dir, de->d_name), *id = str_dupf("%s%s", prefix, de->d_name);
                struct stat st;
                size_t n = strlen(de->d_name);
                if (!path || !id || stat(path, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && depth < 4) {
                        _cleanup_free_ char *sub = str_dupf("%s%s-", prefix, de->d_name);
                        if (sub)
                                scan_dir(c, path, sub, depth + 1);
                } else if (S_ISREG(st.st_mode) && n > 8 && strcmp(de->d_name + n - 8, ".desktop") == 0) {
                        take_system_entry(c, path, id);
                }
        }
        if (dp)
                closedir(dp);
}

/* The user's entries: nook's marked as such, the user's own noted. */
static void scan_user(struct desktop_ctx *c)
{
        DIR *dp = opendir(c->user_dir);
        struct dirent *de;

        while (dp && (de = readdir(dp))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n <= 8 || strcmp(de->d_name + n - 8, ".desktop") != 0)
                        continue;
                _cleanup_free_ char *path = str_dupf("%s/%s", c->user_dir, de->d_name);
                struct dentry d;
                struct nook_err ignored = { 0 };
                if (!path || dentry_read(path, &d, &ignored) < 0)
                        continue;
                const char *profile = dentry_get(&d, "Desktop Entry", "X-Nook-Profile");
                const char *hash = dentry_get(&d, "Desktop Entry", "X-Nook-Source-Hash");
                const char *source = dentry_get(&d, "Desktop Entry", "X-Nook-Source");
                struct desktop_app *app = app_find(c, de->d_name);
                /* nook profile desktop-entry's own launchers (nook-NAME) are
                   no override of a system entry */
                if (profile && source && !app)
                        app = app_add(c, de->d_name);
                if (app && profile && source) {
                        app->ours = true;
                        app->recorded_hash = hash ? strtoull(hash, NULL, 16) : 0;
                        free(app->profile);
                        app->profile = strdup(profile);
                } else if (app) {
                        app->user_own = true;
                }
                dentry_free(&d);
        }
        if (dp)
                closedir(dp);
}

static char **split_dirs(const char *list)
{
        _cleanup_free_ char *copy = strdup(list && *list ? list : "/usr/local/share:/usr/share");
        char **v = NULL, *save = NULL;
        size_t n = 0;

        for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save))
                if (d[0] == '/' && strv_push(&v, &n, d) < 0)
                        break;
        return v;
}

int desktop_ctx_open(struct desktop_ctx *c, struct nook_err *e)
{
        const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        _cleanup_free_ char *base = data && data[0] == '/' ? strdup(data) : str_dupf("%s/.local/share", home ? home : "");

        memset(c, 0, sizeof(*c));
        int r = host_facts_read(&c->host, e);
        if (r == 0)
                r = profile_env_init(&c->pe, &c->host, e);
        if (r < 0)
                return r;
        c->user_dir = base ? str_dupf("%s/applications", base) : NULL;
        c->service_dir = base ? str_dupf("%s/dbus-1/services", base) : NULL;
        c->nook = nook_word();
        c->data_dirs = split_dirs(getenv("XDG_DATA_DIRS"));
        if (!c->user_dir || !c->service_dir || !c->nook)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; c->data_dirs && c->data_dirs[i]; i++) {
                _cleanup_free_ char *dir = str_dupf("%s/applications", c->data_dirs[i]);
                if (dir)
                        scan_dir(c, dir, "", 0);
        }
        scan_user(c);
        return 0;
}

void desktop_ctx_close(struct desktop_ctx *c)
{
        for (size_t i = 0; i < c->n_apps; i++) {
                free(c->apps[i].id);
                free(c->apps[i].source);
                free(c->apps[i].profile);
        }
        free(c->apps);
        free(c->user_dir);
        free(c->service_dir);
        free(c->nook);
        strv_free(c->data_dirs);
        profile_env_free(&c->pe);
        host_facts_free(&c->host);
}

int desktop_app_set_profile(struct desktop_ctx *c, struct desktop_app *app, const char *profile)
{
        if (!profile_exists(&c->pe, profile)) {
                fprintf(stderr, "nook: no profile is named %s (see 'nook profile ls')\n", nook_val(profile));
                return -ENOENT;
        }
        free(app->profile);
        app->profile = strdup(profile);
        return app->profile ? 0 : -ENOMEM;
}

const char *desktop_app_state(const struct desktop_app *app)
{
        if (app->ours)
                return !app->source ? "gone" : app->source_hash != app->recorded_hash ? "changed" : "sandboxed";
        return app->user_own ? "yours" : "no";
}
