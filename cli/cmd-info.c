#include "cli/cmd-info.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cmd-run.h"
#include "cli/conf-load.h"
#include "cli/probe.h"
#include "cred/subid.h"
#include "cred/users.h"
#include "netns/egress.h"
#include "image/store-fs.h"
#include "image/store.h"
#include "lib/cleanup.h"
#include "lib/libexec.h"
#include "lib/strutil.h"
#include "profiles/loader.h"
#include "sandbox/landlock.h"
#include "state/rundir.h"

/* The helpers nook starts, in the order `nook info` lists them. */
static const char *const helpers[] = { "slirp4netns", "pasta",    "fuse-overlayfs", "xdg-dbus-proxy", "newuidmap",
                                       "newgidmap",   "tar2sqfs", "skopeo" };

/* nook's own, found beside nook or in its libexec directory */
static const char *const own_helpers[] = { "nook-image", "nook-squashfs" };

static void usage(FILE *out)
{
        fputs("Usage: nook info [--json]\n"
              "\n"
              "Show the configuration in effect (nook.conf(5)) and where each value came\n"
              "from (FILE:LINE, the environment, or the default), the paths in use (image\n"
              "store, shared stores, run directory, profile search path, configuration\n"
              "files), the version of nook and of each helper it finds, and what this\n"
              "host gives (user namespaces, overlayfs, subordinate ids, Landlock, seccomp,\n"
              "cgroups). Changes nothing. See 'nook doctor' for advice.\n"
              "\n"
              "      --json   one JSON object\n"
              "\n"
              "Exit status: 0, or 1 when the configuration has problems (listed on stderr).\n"
              "See nook(1) and nook.conf(5).\n",
              out);
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

/* "Store.Path": the value (NULL: the default holds), its origin, the default. */
static json_t *conf_keys_json(const struct nook_conf *c)
{
        json_t *keys = json_object();

        for (int k = 0; k < CONF_COUNT; k++) {
                const char *name = conf_key_name(k);       /* "[Store] Path" */
                char dotted[64];
                const char *close = strchr(name, ']');
                if (str_fmt(dotted, sizeof(dotted), "%.*s.%s", (int)(close - name - 1), name + 1, close + 2) < 0)
                        continue;
                json_t *o = json_pack("{s:o,s:s,s:s}", "value", str_or_null(conf_get(c, k)), "origin",
                                      c->v[k].origin ? c->v[k].origin : "default", "default", conf_key_default(k));
                if (k == CONF_STORE_SHARED) {
                        json_t *vals = json_array(), *origins = json_array();
                        for (size_t i = 0; i < c->n_shared; i++) {
                                json_array_append_new(vals, json_string(c->shared[i].value));
                                json_array_append_new(origins, json_string(c->shared[i].origin));
                        }
                        json_object_set_new(o, "value", vals);
                        json_object_set_new(o, "origins", origins);
                }
                json_object_set_new(keys, dotted, o);
        }
        return keys;
}

/* The configuration: its files, every key, and its problems. */
static json_t *config_json(const struct nook_conf *c, const char *user_file, const struct diag *d)
{
        const char *files[] = { cli_conf_site_file(), user_file };
        json_t *jf = json_array(), *problems = json_array();

        for (size_t i = 0; i < 2; i++)
                json_array_append_new(jf, json_pack("{s:s,s:b}", "path", files[i], "read", access(files[i], R_OK) == 0));
        for (size_t i = 0; i < d->n; i++)
                json_array_append_new(problems, json_string(d->msgs[i]));
        return json_pack("{s:o,s:o,s:o}", "files", jf, "keys", conf_keys_json(c), "problems", problems);
}

/* Where things are: the store, the shared stores, the run directories'
   base and why there, the profile search path. */
static json_t *paths_json(const struct nook_conf *c, const struct profile_env *pe)
{
        const char *store = conf_get(c, CONF_STORE_PATH);
        _cleanup_free_ char *dflt = store ? NULL : store_default_root();
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        char base[4096];
        json_t *shared = json_array(), *profiles = json_array();

        for (size_t i = 0; i < c->n_shared; i++)
                json_array_append_new(shared, json_string(c->shared[i].value));
        for (size_t i = 0; i < pe->n_dirs; i++)
                json_array_append_new(profiles, json_string(pe->dirs[i]));
        rundir_base(base, sizeof(base));
        const char *why = xdg && xdg[0] == '/' && access(xdg, W_OK) == 0 ? "XDG_RUNTIME_DIR"
                          : conf_get(c, CONF_RUNTIME_DIR)                 ? "[Run] RuntimeDir"
                                                                          : "default";
        /* the doctor's facts of the store's file system, tried in it (or
           the nearest directory of its path) with a file made and removed */
        struct store_fs f;
        json_t *fs = (store || dflt) && store_fs_probe_path(store ? store : dflt, &f) == 0
                             ? json_pack("{s:s,s:b,s:b,s:b}", "type", f.type, "user_xattrs", f.xattr, "flock", f.flock,
                                         "network_or_fuse", store_fs_remote(&f))
                             : json_null();
        return json_pack("{s:o,s:o,s:o,s:s,s:s,s:o}", "store", str_or_null(store ? store : dflt), "store_filesystem", fs,
                         "shared_stores", shared, "run_directory_base", base, "run_directory_from", why,
                         "profile_search_path", profiles);
}

/* Each helper's path and first line of --version; null when not found. */
static json_t *helpers_json(void)
{
        json_t *o = json_object();

        for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
                _cleanup_free_ char *path = probe_which(helpers[i]);
                char v[256] = "";
                /* newuidmap has no --version: whether it can map is the fact */
                if (path && strncmp(helpers[i], "new", 3) != 0)
                        probe_version_named(helpers[i], path, v, sizeof(v));
                json_object_set_new(o, helpers[i], path ? json_pack("{s:s,s:o}", "path", path, "version",
                                                                    str_or_null(v[0] ? v : NULL))
                                                        : json_null());
        }
        for (size_t i = 0; i < ARRAY_SIZE(own_helpers); i++) {
                _cleanup_free_ char *path = helper_path(own_helpers[i]);
                json_object_set_new(o, own_helpers[i],
                                    path ? json_pack("{s:s,s:s}", "path", path, "version", NOOK_VERSION) : json_null());
        }
        return o;
}

/* cgroup v2, and whether this process's own cgroup is the user's to
   divide (systemd's delegation). */
static json_t *cgroup_json(void)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096] = "", path[4200];
        bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0, delegated = false;

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0)
                        break;
        if (f)
                fclose(f);
        line[strcspn(line, "\n")] = '\0';
        if (v2 && strncmp(line, "0::", 3) == 0 && str_fmt(path, sizeof(path), "/sys/fs/cgroup%s", line + 3) == 0)
                delegated = access(path, W_OK) == 0;
        return json_pack("{s:i,s:b}", "version", v2 ? 2 : 1, "delegated", delegated);
}

static json_t *subids_json(void)
{
        struct user_entry pw;
        struct subid_pair p = { 0 };
        struct nook_err e = { 0 };

        if (!users_by_uid(getuid(), &pw) || subid_lookup(pw.name, getuid(), getgid(), &p, &e) < 0 || !p.found)
                return json_null();
        return json_pack("{s:I,s:I,s:I,s:I}", "uid_start", (json_int_t)p.uid_start, "uid_count",
                         (json_int_t)p.uid_count, "gid_start", (json_int_t)p.gid_start, "gid_count",
                         (json_int_t)p.gid_count);
}

/* The doctor's facts, without its verdicts. */
static json_t *host_json(void)
{
        struct utsname u;
        bool restricted = probe_apparmor_restricts_userns();

        json_t *o = json_pack("{s:s,s:b,s:b,s:o}", "kernel", uname(&u) == 0 ? u.release : "unknown",
                              "user_namespaces", probe_in_child(probe_userns) == 0, "apparmor_restricts_userns",
                              restricted, "subordinate_ids", subids_json());
        json_object_set_new(o, "newuidmap_can_map", json_boolean(probe_setuid_or_capable("/usr/bin/newuidmap") &&
                                                                  probe_setuid_or_capable("/usr/bin/newgidmap")));
        json_object_set_new(o, "overlay_in_userns", json_boolean(probe_in_child(probe_overlay) == 0));
        json_object_set_new(o, "dev_fuse", json_boolean(probe_device_usable("/dev/fuse")));
        json_object_set_new(o, "dev_net_tun", json_boolean(probe_device_usable("/dev/net/tun")));
        json_object_set_new(o, "nftables", json_boolean(egress_nft_path() != NULL));
        json_object_set_new(o, "landlock_abi", json_integer(landlock_abi()));
        json_object_set_new(o, "seccomp", json_boolean(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0));
        json_object_set_new(o, "cgroup", cgroup_json());
        return o;
}

/* One value as text: strings as they are, lists joined, null as words. */
static void print_value(const json_t *v, const char *null_word)
{
        if (json_is_string(v))
                fputs(json_string_value(v), stdout);
        else if (json_is_true(v) || json_is_false(v))
                fputs(json_is_true(v) ? "yes" : "no", stdout);
        else if (json_is_integer(v))
                printf("%lld", (long long)json_integer_value(v));
        else if (json_is_null(v))
                fputs(null_word, stdout);
        else if (json_is_array(v) && json_array_size(v) == 0)
                fputs("none", stdout);
        else {
                size_t i;
                json_t *x;
                const char *k;
                json_array_foreach(v, i, x) {
                        fputs(i ? ", " : "", stdout);
                        print_value(x, null_word);
                }
                json_object_foreach((json_t *)v, k, x) {
                        printf("%s=", k);
                        print_value(x, null_word);
                        putchar(' ');
                }
        }
}

static void print_section(const char *title, const json_t *o, const char *null_word)
{
        const char *k;
        json_t *v;

        printf("%s:\n", title);
        json_object_foreach((json_t *)o, k, v) {
                printf("  %-26s ", k);
                print_value(v, null_word);
                putchar('\n');
        }
}

/* "/usr/bin/slirp4netns (slirp4netns version 1.2.0)", or "not found" */
static void print_helpers(const json_t *o)
{
        const char *k;
        json_t *v;

        printf("helpers:\n");
        json_object_foreach((json_t *)o, k, v) {
                const char *version = json_string_value(json_object_get(v, "version"));
                if (json_is_null(v))
                        printf("  %-26s not found\n", k);
                else
                        printf("  %-26s %s%s%s%s\n", k, json_string_value(json_object_get(v, "path")),
                               version ? " (" : "", version ? version : "", version ? ")" : "");
        }
}

static void print_text(const json_t *info)
{
        const json_t *config = json_object_get(info, "config");
        const char *k;
        json_t *v, *f;
        size_t i;

        printf("nook %s\n", json_string_value(json_object_get(info, "version")));
        printf("configuration:\n");
        json_array_foreach(json_object_get(config, "files"), i, f)
                printf("  %-26s %s\n", json_string_value(json_object_get(f, "path")),
                       json_is_true(json_object_get(f, "read")) ? "read" : "not there");
        json_object_foreach(json_object_get(config, "keys"), k, v) {
                json_t *val = json_object_get(v, "value");
                printf("  %-26s ", k);
                if (json_is_null(val) || (json_is_array(val) && json_array_size(val) == 0))
                        printf("%s (default)\n", json_string_value(json_object_get(v, "default")));
                else {
                        print_value(val, "");
                        printf(" (%s)\n", json_string_value(json_object_get(v, "origin")));
                }
        }
        print_section("paths", json_object_get(info, "paths"), "none");
        print_helpers(json_object_get(info, "helpers"));
        print_section("host", json_object_get(info, "host"), "none");
}

int cmd_info(int argc, char **argv)
{
        bool as_json = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(argv[i], "--json") != 0) {
                        fprintf(stderr, "nook: info takes only --json, got '%s' (see nook info --help)\n", nook_val(argv[i]));
                        return NOOK_EXIT_FAILURE;
                }
                as_json = true;
        }
        _cleanup_(host_facts_free) struct host_facts h = { 0 };
        _cleanup_(profile_env_free) struct profile_env pe = { 0 };
        _cleanup_(conf_free) struct nook_conf c = { 0 };
        _cleanup_(diag_free) struct diag d;
        struct nook_err e = { 0 };

        diag_init(&d);
        if (host_facts_read(&h, &e) < 0 || profile_env_init(&pe, &h, &e) < 0) {
                nook_err_print(&e);
                return NOOK_EXIT_FAILURE;
        }
        _cleanup_free_ char *user_file = cli_conf_user_file(&pe.vars);
        int r = user_file ? cli_conf_load(&c, &pe.vars, &d) : -ENOMEM;
        if (r == -ENOMEM) {
                fprintf(stderr, "nook: out of memory\n");
                return NOOK_EXIT_FAILURE;
        }
        /* a bad configuration is shown, problems and all: info is where to look */
        for (size_t i = 0; i < d.n; i++)
                nook_say("%s", d.msgs[i]);
        json_t *info = json_pack("{s:s,s:o,s:o,s:o,s:o}", "version", NOOK_VERSION, "config",
                                 config_json(&c, user_file, &d), "paths", paths_json(&c, &pe), "helpers",
                                 helpers_json(), "host", host_json());
        if (as_json)
                json_dumpf(info, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        else
                print_text(info);
        if (as_json)
                putchar('\n');
        json_decref(info);
        return d.n ? 1 : 0;
}
