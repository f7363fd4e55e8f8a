/* Writing and removing the user's entries of `nook desktop` (the reading
   is desktop-apps.c): each written whole under a temporary name and renamed
   into place, so a launcher never reads half of one. */
#include "cli/desktop-apps.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desktop/desktop-file.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

#define MARKER "# written by nook desktop install"

/* Writes d to dir/name (dir made when missing), mode 0644, under a
   temporary name first; head, when given, is its first line. */
static int write_file(const char *dir, const char *name, const char *head, const struct dentry *d)
{
        _cleanup_free_ char *path = str_dupf("%s/%s", dir, name), *tmp = NULL;
        int r = !path ? -ENOMEM : mkdir_p(dir, 0755);

        if (r < 0) {
                fprintf(stderr, "nook: cannot create %s: %s\n", dir, strerror(-r));
                return r;
        }
        int fd = file_create_beside(path, 0644, &tmp);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
                r = fd < 0 ? fd : -errno;
                if (fd >= 0)
                        close(fd);
        } else {
                if ((head && fprintf(f, "%s\n", head) < 0) || dentry_write(d, f) < 0)
                        r = -EIO;
                if (fclose(f) != 0 && r == 0)
                        r = -errno;
                if (r == 0 && rename(tmp, path) < 0)
                        r = -errno;
        }
        if (r < 0) {
                fprintf(stderr, "nook: cannot write %s: %s\n", path, strerror(-r));
                if (tmp)
                        unlink(tmp);
        }
        return r;
}

/* "NOOK run PROFILE -- " before the command line as it was written: its
   quoting and field codes stay as they are. */
static int wrap_exec(struct dentry *d, const char *group, const struct desktop_ctx *c, const char *profile)
{
        const char *exec = dentry_get(d, group, "Exec");

        if (!exec)
                return 0;
        _cleanup_free_ char *v = str_dupf("%s run %s -- %s", c->nook, profile, exec);
        return v ? dentry_set(d, group, "Exec", v) : -ENOMEM;
}

/* The system's D-Bus service file of a DBusActivatable app: NAME.service
   in XDG_DATA_DIRS/dbus-1/services, NAME the id without .desktop. */
static char *find_service(const struct desktop_ctx *c, const char *name)
{
        for (size_t i = 0; c->data_dirs && c->data_dirs[i]; i++) {
                char *p = str_dupf("%s/dbus-1/services/%s.service", c->data_dirs[i], name);
                if (p && access(p, R_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* DBusActivatable=true: launchers ask the bus to start the app. A service
   file of the user's own, of the same name, starts it through nook; with
   none on the system, activation is turned off and Exec= is used. */
static int handle_activation(struct desktop_ctx *c, const struct desktop_app *app, struct dentry *d)
{
        const char *act = dentry_get(d, "Desktop Entry", "DBusActivatable");
        if (!act || strcmp(act, "true") != 0)
                return 0;
        _cleanup_free_ char *name = strndup(app->id, strlen(app->id) - strlen(".desktop"));
        _cleanup_free_ char *sys = name ? find_service(c, name) : NULL;
        if (!name)
                return -ENOMEM;
        if (!sys)
                return dentry_set(d, "Desktop Entry", "DBusActivatable", "false");
        struct dentry s;
        struct nook_err e = { 0 };
        if (dentry_read(sys, &s, &e) < 0) {
                nook_err_print(&e);
                return -EINVAL;
        }
        _cleanup_free_ char *head = str_dupf("%s: %s, from %s", MARKER, app->profile, sys), *file = str_dupf("%s.service", name);
        int r = head && file ? wrap_exec(&s, "D-BUS Service", c, app->profile) : -ENOMEM;
        if (r == 0)
                r = write_file(c->service_dir, file, head, &s);
        dentry_free(&s);
        return r;
}

int desktop_app_install(struct desktop_ctx *c, struct desktop_app *app, bool force)
{
        struct dentry d;
        struct nook_err e = { 0 };
        char hash[24];

        if (!app->profile) {
                fprintf(stderr, "nook: %s runs no program that has a nook profile: give one with --profile NAME\n", app->id);
                return -ENOENT;
        }
        if (strspn(app->profile, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(app->profile)) {
                fprintf(stderr, "nook: profile name %s cannot be written in Exec= as it is: rename the profile\n", nook_val(app->profile));
                return -EINVAL;
        }
        if (app->user_own && !force) {
                fprintf(stderr, "nook: %s/%s is an entry of yours that nook did not write: move it away, or use --force\n",
                        c->user_dir, app->id);
                return -EEXIST;
        }
        if (!app->source) {
                fprintf(stderr, "nook: %s has no system entry any more: 'nook desktop sync' removes nook's\n", app->id);
                return -ENOENT;
        }
        if (dentry_read(app->source, &d, &e) < 0) {
                nook_err_print(&e);
                return -EINVAL;
        }
        char **groups = dentry_groups(&d);
        int r = groups ? 0 : -ENOMEM;
        for (size_t i = 0; r == 0 && groups[i]; i++)
                if (strcmp(groups[i], "Desktop Entry") == 0 || strncmp(groups[i], "Desktop Action ", 15) == 0)
                        r = wrap_exec(&d, groups[i], c, app->profile);
        strv_free(groups);
        snprintf(hash, sizeof(hash), "%016" PRIx64, d.hash);
        if (r == 0)
                r = handle_activation(c, app, &d);
        if (r == 0 && (dentry_set(&d, "Desktop Entry", "X-Nook-Profile", app->profile) < 0 ||
                       dentry_set(&d, "Desktop Entry", "X-Nook-Source", app->source) < 0 ||
                       dentry_set(&d, "Desktop Entry", "X-Nook-Source-Hash", hash) < 0))
                r = -ENOMEM;
        if (r == 0)
                r = write_file(c->user_dir, app->id, NULL, &d);
        else if (r == -ENOENT)
                fprintf(stderr, "nook: %s has no [Desktop Entry] group\n", app->source);
        dentry_free(&d);
        if (r == 0) {
                app->ours = true;
                app->user_own = false;
                app->recorded_hash = app->source_hash;
                printf("%s: %s\n", app->id, app->profile);
        }
        return r;
}

/* Removes path when its first line is nook's mark (a service file). */
static void remove_marked(const char *path)
{
        FILE *f = fopen(path, "re");
        char line[sizeof(MARKER) + 1] = "";

        if (!f)
                return;
        bool ours = fgets(line, sizeof(line), f) && strncmp(line, MARKER, strlen(MARKER)) == 0;
        fclose(f);
        if (ours)
                unlink(path);
}

static int remove_app(struct desktop_ctx *c, struct desktop_app *app)
{
        _cleanup_free_ char *path = str_dupf("%s/%s", c->user_dir, app->id);
        _cleanup_free_ char *svc = str_dupf("%s/%.*s.service", c->service_dir, (int)(strlen(app->id) - 8), app->id);

        if (!path || !svc)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT) {
                fprintf(stderr, "nook: cannot remove %s: %s\n", path, strerror(errno));
                return -errno;
        }
        remove_marked(svc);
        app->ours = false;
        printf("%s: removed\n", app->id);
        return 0;
}

int desktop_remove_override(struct desktop_ctx *c, const char *name)
{
        size_t n = strlen(name);
        int r = -ENOENT;

        for (size_t i = 0; i < c->n_apps; i++) {
                struct desktop_app *app = &c->apps[i];
                bool named = strcmp(app->id, name) == 0 ||
                             (strncmp(app->id, name, n) == 0 && strcmp(app->id + n, ".desktop") == 0) ||
                             (app->profile && strcmp(app->profile, name) == 0);
                if (named && app->ours) {
                        int one = remove_app(c, app);
                        r = r == -ENOENT || one < 0 ? one : r;
                }
        }
        return r;
}

int desktop_remove_all(struct desktop_ctx *c)
{
        int r = 0;

        for (size_t i = 0; i < c->n_apps; i++)
                if (c->apps[i].ours && remove_app(c, &c->apps[i]) < 0)
                        r = -EIO;
        return r;
}

int desktop_sync(struct desktop_ctx *c)
{
        int r = 0;

        for (size_t i = 0; i < c->n_apps; i++) {
                struct desktop_app *app = &c->apps[i];
                if (!app->ours)
                        continue;
                if (!app->source)
                        r |= remove_app(c, app);
                else if (app->source_hash != app->recorded_hash)
                        r |= desktop_app_install(c, app, true);
        }
        return r < 0 ? -EIO : 0;
}
