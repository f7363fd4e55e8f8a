#include "cli/cmd-profile.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sys/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileutil.h"
#include "profiles/loader.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "cli/cmd-profile-import.h"
#include "cli/cmd-run.h"
#include "spec/host.h"

static void usage(FILE *out)
{
        fputs("Usage: nook profile COMMAND\n"
              "\n"
              "  ls                    list every profile in the search path: name,\n"
              "                        description, source file\n"
              "  show NAME|FILE        print the merged profile, each line with the\n"
              "                        file:line it came from\n"
              "  show --json NAME|FILE print the resolved sandbox spec as JSON\n"
              "  check NAME|FILE...    validate profiles: exit 0 when all are valid, 1\n"
              "                        with one diagnostic a line otherwise\n"
              "  keys                  list every key the parser knows, as Section.Key\n"
              "  desktop-entry [--install] NAME\n"
              "                        print a launcher (.desktop file) that runs the\n"
              "                        profile, or write it to\n"
              "                        $XDG_DATA_HOME/applications/nook-NAME.desktop\n"
              "  import firejail [-o FILE | --dir DIR] FILE|NAME...\n"
              "                        convert firejail profiles (see 'nook profile\n"
              "                        import --help')\n"
              "\n"
              "Search path, first match wins: $XDG_CONFIG_HOME/nook/profiles, "
              NOOK_SYSCONF_PROFILES ",\n" NOOK_DATA_PROFILES " (or $NOOK_PROFILES_DIR).\n"
              "See nook.profile(5).\n",
              out);
}

struct env {
        struct host_facts host;
        struct profile_env pe;
};

static int env_init(struct env *v, struct nook_err *e)
{
        memset(v, 0, sizeof(*v));
        int r = host_facts_read(&v->host, e);
        if (r == 0)
                r = profile_env_init(&v->pe, &v->host, e);
        return r;
}

static void env_free(struct env *v)
{
        profile_env_free(&v->pe);
        host_facts_free(&v->host);
}

/* Loads, merges and applies one profile; every problem goes to d. */
static int evaluate(const struct env *v, const char *name, struct resolved *res, struct nook_spec *spec,
                    struct diag *d)
{
        struct keyfile kf;
        int r;

        keyfile_init(&kf);
        r = profile_load(&v->pe, name, &kf, d);
        /* go on after load errors, to report the key errors too */
        if (r != -ENOMEM) {
                int r2 = profile_resolve(&v->pe, &kf, res, d);
                if (r2 == 0 || r2 == -EINVAL) {
                        int r3 = profile_apply(res, spec, d);
                        if (r3 == -ENOMEM)
                                r2 = r3;
                }
                if (r2 == -ENOMEM)
                        r = r2;
        }
        keyfile_free(&kf);
        if (r == -ENOMEM)
                return r;
        return d->n ? -EINVAL : 0;
}

/* One profile, loaded for a command that shows it: the environment, the
   resolved files and the spec. */
struct loaded {
        struct env v;
        struct resolved res;
        struct nook_spec spec;
        struct diag d;
};

static void print_diags(const struct diag *d);

/* 0, or the command's exit status after saying why not (2: no environment,
   1: the profile is not valid). */
static int load_one(const char *name, struct loaded *l)
{
        struct nook_err e = { 0 };

        memset(&l->res, 0, sizeof(l->res));
        spec_init(&l->spec);
        diag_init(&l->d);
        if (env_init(&l->v, &e) < 0) {
                nook_err_print(&e);
                return 2;
        }
        if (evaluate(&l->v, name, &l->res, &l->spec, &l->d) < 0) {
                print_diags(&l->d);
                return 1;
        }
        return 0;
}

static void loaded_free(struct loaded *l)
{
        resolved_free(&l->res);
        spec_free(&l->spec);
        diag_free(&l->d);
        env_free(&l->v);
}

static void print_diags(const struct diag *d)
{
        for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "%s\n", d->msgs[i]);
}

static int do_check(int argc, char **argv)
{
        struct env v;
        struct nook_err e = { 0 };
        int bad = 0;

        if (argc < 1) {
                fprintf(stderr, "nook: profile check needs at least one NAME or FILE\n");
                return 2;
        }
        if (env_init(&v, &e) < 0) {
                nook_err_print(&e);
                env_free(&v);
                return 2;
        }
        for (int i = 0; i < argc; i++) {
                struct resolved res = { 0 };
                struct nook_spec spec;
                struct diag d;
                spec_init(&spec);
                diag_init(&d);
                int r = evaluate(&v, argv[i], &res, &spec, &d);
                if (r < 0) {
                        bad = 1;
                        print_diags(&d);
                        if (r == -ENOMEM)
                                fprintf(stderr, "nook: out of memory\n");
                }
                resolved_free(&res);
                spec_free(&spec);
                diag_free(&d);
        }
        env_free(&v);
        return bad;
}

static json_t *strv_json(char **v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; v && i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *argv_json(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return v ? strv_json(v, n) : json_null();
}

static json_t *spec_json(const struct nook_spec *s)
{
        static const char *const homes[] = { "tmpfs", "private", "host", "none" };
        static const char *const limits[] = { "NoFile", "Processes", "CPUTime", "FileSize", "Core", "Stack", "AddressSpace" };
        json_t *o = json_object();
        json_t *binds = json_array(), *tmpfs = json_array(), *env = json_array(), *lim = json_object();

        json_object_set_new(o, "description", s->description ? json_string(s->description) : json_null());
        json_object_set_new(o, "command", argv_json(s->command));
        json_object_set_new(o, "working_directory", s->chdir ? json_string(s->chdir) : json_null());
        json_object_set_new(o, "uid", s->uid_set ? json_integer(s->uid) : json_null());
        json_object_set_new(o, "gid", s->gid_set ? json_integer(s->gid) : json_null());
        json_object_set_new(o, "hostname", s->hostname ? json_string(s->hostname) : json_null());
        json_object_set_new(o, "clear_environment", json_boolean(s->clearenv));
        for (size_t i = 0; i < s->n_env; i++)
                json_array_append_new(env, json_pack("{s:s,s:s}", "op", s->env[i].op == SPEC_ENV_SET ? "set" : s->env[i].op == SPEC_ENV_PASS ? "pass" : "unset",
                                                     "value", s->env[i].arg));
        json_object_set_new(o, "environment", env);
        for (size_t i = 0; i < s->n_binds; i++)
                json_array_append_new(binds, json_pack("{s:s,s:s,s:b,s:b}", "source", s->binds[i].src, "destination",
                                                       s->binds[i].dst, "read_only", !!(s->binds[i].flags & SPEC_BIND_RO),
                                                       "try", !!(s->binds[i].flags & SPEC_BIND_TRY)));
        json_object_set_new(o, "binds", binds);
        for (size_t i = 0; i < s->n_tmpfs; i++)
                json_array_append_new(tmpfs, json_pack("{s:s,s:I}", "destination", s->tmpfs[i].dst, "size",
                                                       (json_int_t)s->tmpfs[i].size));
        json_object_set_new(o, "tmpfs", tmpfs);
        json_object_set_new(o, "hide", strv_json(s->hide, s->n_hide));
        json_object_set_new(o, "home", json_string(homes[s->home]));
        json_object_set_new(o, "cwd", json_boolean(!s->no_cwd));
        json_object_set_new(o, "devices", strv_json(s->devices, s->n_devices));
        json_object_set_new(o, "devices_if_present", strv_json(s->devices_try, s->n_devices_try));
        json_object_set_new(o, "network", json_string(s->share_net ? "host" : s->slirp ? "slirp" : s->pasta ? "pasta" : "none"));
        json_object_set_new(o, "seccomp", json_string(s->seccomp == SPEC_SECCOMP_NONE ? "none" : "default"));
        json_object_set_new(o, "syscall_deny", strv_json(s->syscall_deny, s->n_syscall_deny));
        json_object_set_new(o, "syscall_allow", strv_json(s->syscall_allow, s->n_syscall_allow));
        json_t *caps = json_array();
        for (int c = 0; s->caps_set && c < 64; c++)
                if (s->caps_keep >> c & 1) {
                        char *name = cap_to_name(c);
                        json_array_append_new(caps, json_string(name));
                        cap_free(name);
                }
        json_object_set_new(o, "capabilities", caps);
        for (int i = 0; i < SPEC_LIMIT_COUNT; i++)
                if (s->limits[i].set)
                        json_object_set_new(lim, limits[i], s->limits[i].value == UINT64_MAX
                                                                    ? json_string("infinity")
                                                                    : json_integer((json_int_t)s->limits[i].value));
        json_object_set_new(o, "limits", lim);
        static const char *const displays[] = { "none", "x11", "wayland", "auto" };
        static const char *const audios[] = { "none", "pulseaudio", "pipewire", "auto" };
        static const char *const gpus[] = { "no", "yes", "auto" };
        json_object_set_new(o, "desktop", json_pack("{s:s,s:s,s:s,s:o,s:s,s:s?,s:s?}", "display", displays[s->display],
                                                    "audio", audios[s->audio], "dbus",
                                                    s->dbus == SPEC_DBUS_FILTERED ? "filtered" : "none", "talk",
                                                    strv_json(s->talk, s->n_talk), "gpu", gpus[s->gpu], "name",
                                                    s->desktop_name, "icon", s->icon));
        return o;
}

static int do_show(int argc, char **argv)
{
        bool json = false;
        const char *name = NULL;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--resolved") == 0)
                        json = true;
                else if (!name)
                        name = argv[i];
                else {
                        fprintf(stderr, "nook: profile show takes one NAME or FILE\n");
                        return 2;
                }
        }
        if (!name) {
                fprintf(stderr, "nook: profile show needs a NAME or FILE (see 'nook profile ls')\n");
                return 2;
        }
        struct loaded l;
        int rc = load_one(name, &l);

        if (rc == 0 && json) {
                json_t *o = spec_json(&l.spec);
                json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                json_decref(o);
        } else if (rc == 0) {
                profile_print(&l.res, stdout);
        }
        loaded_free(&l);
        return rc;
}

/* The Description= of a profile file, without following its includes. */
static char *description_of(const struct env *v, const char *path)
{
        struct keyfile kf;
        struct diag d;
        char *desc = NULL;

        keyfile_init(&kf);
        diag_init(&d);
        FILE *f = fopen(path, "re");
        if (f) {
                char buf[65536];
                size_t n = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                keyfile_parse(&kf, buf, n, path, &d);
                for (size_t i = 0; i < kf.n; i++)
                        if (strcmp(kf.v[i].section, "Profile") == 0 && strcmp(kf.v[i].key, "Description") == 0) {
                                free(desc);
                                desc = strdup(kf.v[i].value);
                        }
        }
        (void)v;
        keyfile_free(&kf);
        diag_free(&d);
        return desc;
}

static int do_ls(int argc, char **argv)
{
        struct env v;
        struct nook_err e = { 0 };
        char **names = NULL;
        size_t n = 0;

        (void)argv;
        if (argc > 0) {
                fprintf(stderr, "nook: profile ls takes no arguments\n");
                return 2;
        }
        if (env_init(&v, &e) < 0) {
                nook_err_print(&e);
                env_free(&v);
                return 2;
        }
        if (profile_names(&v.pe, &names, &n) < 0) {
                fprintf(stderr, "nook: out of memory\n");
                env_free(&v);
                return 2;
        }
        printf("%-20s %-50s %s\n", "NAME", "DESCRIPTION", "SOURCE");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *desc = NULL;
                if (profile_find(&v.pe, names[i], &path) == 0)
                        desc = description_of(&v, path);
                printf("%-20s %-50s %s\n", names[i], desc ? desc : "-", path ? path : "?");
        }
        strv_free(names);
        env_free(&v);
        return 0;
}

/* A desktop entry's string: no newline, and \ escaped as the spec asks. */
static void put_entry_string(FILE *f, const char *key, const char *v)
{
        fprintf(f, "%s=", key);
        for (; *v; v++) {
                if (*v == '\n')
                        fputs("\\n", f);
                else if (*v == '\\')
                        fputs("\\\\", f);
                else
                        fputc(*v, f);
        }
        fputc('\n', f);
}

static void write_entry(FILE *f, const char *profile, const struct nook_spec *s, const char *nook)
{
        fputs("[Desktop Entry]\nType=Application\n", f);
        put_entry_string(f, "Name", s->desktop_name ? s->desktop_name : s->description ? s->description : profile);
        if (s->description)
                put_entry_string(f, "Comment", s->description);
        if (s->icon)
                put_entry_string(f, "Icon", s->icon);
        /* Exec's arguments are quoted as the spec says: every word in "" */
        fprintf(f, "Exec=\"%s\" run \"%s\" %%U\n", nook, profile);
        /* a program that draws on nothing wants a terminal */
        fprintf(f, "Terminal=%s\n", s->display == SPEC_DISPLAY_NONE ? "true" : "false");
        fputs("Categories=Utility;\nX-Nook-Profile=", f);
        fprintf(f, "%s\n", profile);
}

/* $XDG_DATA_HOME/applications/nook-NAME.desktop (~/.local/share without
   it), written whole through a temporary file beside it. A path longer
   than the kernel takes is refused before anything is made: cut short, it
   once made a directory of another name. */
static int install_entry(const char *name, const struct nook_spec *spec, const char *nook)
{
        const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        _cleanup_free_ char *dir = data && data[0] == '/' ? str_dupf("%s/applications", data)
                                                         : str_dupf("%s/.local/share/applications", home ? home : "");
        _cleanup_free_ char *path = dir ? str_dupf("%s/nook-%s.desktop", dir, name) : NULL;
        _cleanup_free_ char *tmp = NULL;

        if (!path) {
                fprintf(stderr, "nook: profile desktop-entry: out of memory\n");
                return 1;
        }
        if (strlen(path) + sizeof(".tmp-4294967295-99") > PATH_MAX) {
                fprintf(stderr, "nook: cannot write the desktop entry %s: the path is too long (over %d bytes; set XDG_DATA_HOME to a shorter directory)\n",
                        nook_val(path), PATH_MAX - 1);
                return 1;
        }
        int fd = mkdir_p(dir, 0755) == 0 ? file_create_beside(path, 0644, &tmp) : -1;
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (fd >= 0 && !f)
                close(fd);
        if (fd < -1)
                errno = -fd;
        if (f) {
                write_entry(f, name, spec, nook);
                if (fclose(f) != 0 || rename(tmp, path) < 0)
                        f = NULL;
        }
        if (!f) {
                fprintf(stderr, "nook: cannot write %s: %s\n", path, strerror(errno));
                if (tmp)
                        unlink(tmp);
                return 1;
        }
        printf("%s\n", path);
        return 0;
}

/* nook profile desktop-entry [--install] NAME: a launcher for the profile,
   printed, or written to $XDG_DATA_HOME/applications/nook-NAME.desktop. */
static int do_desktop_entry(int argc, char **argv)
{
        bool install = false;
        const char *name = NULL;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--install") == 0)
                        install = true;
                else if (!name && argv[i][0] != '-')
                        name = argv[i];
                else {
                        fprintf(stderr, "nook: profile desktop-entry takes [--install] and one NAME, not '%s'\n", nook_val(argv[i]));
                        return 2;
                }
        }
        if (!name || strchr(name, '/')) {
                fprintf(stderr, "nook: profile desktop-entry needs the NAME of a profile (see 'nook profile ls')\n");
                return 2;
        }
        /* nook's own path for Exec=, when it is one a desktop file can
           quote (and readlink did not cut it) */
        char nook[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", nook, sizeof(nook) - 1);
        nook[n > 0 ? n : 0] = '\0';
        if (n <= 0 || (size_t)n >= sizeof(nook) - 1 || strchr(nook, '"') || strchr(nook, '\n'))
                memcpy(nook, "nook", sizeof("nook"));
        struct loaded l;
        int status = load_one(name, &l);
        if (status == 0 && !install)
                write_entry(stdout, name, &l.spec, nook);
        else if (status == 0)
                status = install_entry(name, &l.spec, nook);
        loaded_free(&l);
        return status;
}

static int do_keys(void)
{
        for (size_t i = 0; i < key_table_size; i++)
                printf("%s.%s%s\n", key_table[i].section, key_table[i].key,
                       key_table[i].flags & KEY_LATER ? " (not supported yet)" : "");
        return 0;
}

int cmd_profile(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        const char *sub = argv[1];
        if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
                return do_ls(argc - 2, argv + 2);
        if (strcmp(sub, "show") == 0)
                return do_show(argc - 2, argv + 2);
        if (strcmp(sub, "check") == 0)
                return do_check(argc - 2, argv + 2);
        if (strcmp(sub, "keys") == 0)
                return do_keys();
        if (strcmp(sub, "import") == 0)
                return cmd_profile_import(argc - 1, argv + 1);
        if (strcmp(sub, "desktop-entry") == 0)
                return do_desktop_entry(argc - 2, argv + 2);
        fprintf(stderr, "nook: unknown profile command '%s' (see 'nook profile --help')\n", nook_val(sub));
        return 2;
}
