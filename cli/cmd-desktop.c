/* nook desktop install|ls|remove|sync: the menu entries of the apps that
   have a nook profile made to start them through nook, for this user only.
   For each system entry (XDG_DATA_DIRS/applications), an entry of the same
   desktop file id in $XDG_DATA_HOME/applications, which every launcher,
   xdg-open and gtk-launch take in its place: each Exec= (the main one and
   every action's) becomes `nook run PROFILE -- ` and the original command
   line as it was written; an app started by D-Bus activation gets a
   per-user service file that starts it the same way. No system file is
   touched; only what nook wrote (X-Nook-Profile=) is ever changed or
   removed. doc/nook.1, DESKTOP. */
#include "cli/cmd-desktop.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/desktop-apps.h"
#include "desktop/desktop-file.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

static void usage(FILE *out)
{
        fputs("Usage: nook desktop COMMAND\n"
              "\n"
              "  install APP...|--all [--profile NAME] [--force]\n"
              "                        make the menu entry of APP (a desktop file id such\n"
              "                        as firefox-esr, or a profile's name) start it\n"
              "                        through 'nook run PROFILE', for you: its actions,\n"
              "                        file associations and D-Bus activation too\n"
              "  ls [--json]           the apps with a system entry and a nook profile:\n"
              "                        sandboxed, not, or changed (its system entry\n"
              "                        changed since: run sync)\n"
              "  remove APP...|--all   take back what install wrote\n"
              "  sync                  write again the entries whose system entry changed\n"
              "                        (after an upgrade), remove those whose app is gone\n"
              "\n"
              "Entries go to $XDG_DATA_HOME/applications (~/.local/share/applications),\n"
              "service files to $XDG_DATA_HOME/dbus-1/services. --profile: the profile\n"
              "of one APP when its name differs; --force: replace an entry of yours that\n"
              "nook did not write. See nook(1), DESKTOP.\n",
              out);
}

struct desktop_args {
        char **apps;
        size_t n_apps;
        bool all, json, force;
        const char *profile;
};

static int parse(int argc, char **argv, struct desktop_args *a, const char *cmd)
{
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--all") == 0)
                        a->all = true;
                else if (strcmp(argv[i], "--json") == 0 && strcmp(cmd, "ls") == 0)
                        a->json = true;
                else if (strcmp(argv[i], "--force") == 0 && strcmp(cmd, "install") == 0)
                        a->force = true;
                else if (strcmp(argv[i], "--profile") == 0 && strcmp(cmd, "install") == 0 && i + 1 < argc)
                        a->profile = argv[++i];
                else if (argv[i][0] == '-') {
                        fprintf(stderr, "nook: unknown option '%s' for 'nook desktop %s' (see 'nook desktop --help')\n",
                                nook_val(argv[i]), cmd);
                        return -EINVAL;
                } else if (strv_push(&a->apps, &a->n_apps, argv[i]) < 0) {
                        fprintf(stderr, "nook: out of memory\n");
                        return -ENOMEM;
                }
        }
        bool takes_apps = strcmp(cmd, "install") == 0 || strcmp(cmd, "remove") == 0;
        if (takes_apps && !a->all == !a->n_apps) {
                fprintf(stderr, "nook: desktop %s takes APP... or --all (see 'nook desktop --help')\n", cmd);
                return -EINVAL;
        }
        if (!takes_apps && (a->n_apps || a->all)) {
                fprintf(stderr, "nook: desktop %s takes no APP\n", cmd);
                return -EINVAL;
        }
        if (a->profile && a->n_apps != 1) {
                fprintf(stderr, "nook: desktop install --profile takes exactly one APP\n");
                return -EINVAL;
        }
        return 0;
}

/* The apps the words of a name: by desktop file id (with or without
   .desktop) or by profile. */
static bool app_named(const struct desktop_app *app, const char *name)
{
        size_t n = strlen(name);

        return strcmp(app->id, name) == 0 || (strncmp(app->id, name, n) == 0 && strcmp(app->id + n, ".desktop") == 0) ||
               (app->profile && strcmp(app->profile, name) == 0);
}

static int do_install(struct desktop_ctx *c, const struct desktop_args *a)
{
        int bad = 0;

        for (size_t i = 0; i < a->n_apps; i++) {
                bool found = false;
                for (size_t k = 0; k < c->n_apps; k++) {
                        struct desktop_app *app = &c->apps[k];
                        if (!app_named(app, a->apps[i]))
                                continue;
                        found = true;
                        if (a->profile && desktop_app_set_profile(c, app, a->profile) < 0) {
                                bad = 1;
                                continue;
                        }
                        bad |= desktop_app_install(c, app, a->force) < 0;
                }
                if (!found) {
                        fprintf(stderr, "nook: no system menu entry is named %s, nor runs a program of that name (see 'nook desktop ls')\n",
                                nook_val(a->apps[i]));
                        bad = 1;
                }
        }
        for (size_t k = 0; a->all && k < c->n_apps; k++)
                if (c->apps[k].profile)
                        bad |= desktop_app_install(c, &c->apps[k], a->force) < 0;
        return bad;
}

static int do_remove(struct desktop_ctx *c, const struct desktop_args *a)
{
        int bad = 0;

        for (size_t i = 0; i < a->n_apps; i++) {
                int r = desktop_remove_override(c, a->apps[i]);
                if (r == -ENOENT)
                        fprintf(stderr, "nook: no menu entry of nook's is named %s (see 'nook desktop ls')\n", nook_val(a->apps[i]));
                bad |= r < 0;
        }
        return a->all ? desktop_remove_all(c) < 0 : bad;
}

static int do_ls(struct desktop_ctx *c, const struct desktop_args *a)
{
        json_t *all = json_array();

        if (!a->json)
                printf("%-40s %-20s %s\n", "APP", "PROFILE", "STATE");
        for (size_t k = 0; k < c->n_apps; k++) {
                const struct desktop_app *app = &c->apps[k];
                if (!app->profile && !app->ours)
                        continue;
                const char *state = desktop_app_state(app);
                if (a->json)
                        json_array_append_new(all, json_pack("{s:s,s:s?,s:s,s:s?}", "app", app->id, "profile", app->profile,
                                                             "state", state, "source", app->source));
                else
                        printf("%-40s %-20s %s\n", app->id, app->profile ? app->profile : "-", state);
        }
        if (a->json) {
                json_dumpf(all, stdout, JSON_INDENT(2));
                putchar('\n');
        }
        json_decref(all);
        return 0;
}

int cmd_desktop(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "install") && strcmp(cmd, "ls") && strcmp(cmd, "list") && strcmp(cmd, "remove") && strcmp(cmd, "sync")) {
                fprintf(stderr, "nook: unknown desktop command '%s' (see 'nook desktop --help')\n", nook_val(cmd));
                return 2;
        }
        struct desktop_args a = { 0 };
        struct desktop_ctx c;
        struct nook_err e = { 0 };
        int r = parse(argc - 2, argv + 2, &a, strcmp(cmd, "list") == 0 ? "ls" : cmd);
        if (r < 0) {
                strv_free(a.apps);
                return 2;
        }
        if (desktop_ctx_open(&c, &e) < 0) {
                nook_err_print(&e);
                strv_free(a.apps);
                return 2;
        }
        if (strcmp(cmd, "install") == 0)
                r = do_install(&c, &a);
        else if (strcmp(cmd, "remove") == 0)
                r = do_remove(&c, &a);
        else if (strcmp(cmd, "sync") == 0)
                r = desktop_sync(&c) < 0;
        else
                r = do_ls(&c, &a);
        desktop_ctx_close(&c);
        strv_free(a.apps);
        return r;
}
