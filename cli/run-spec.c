/* From `nook run`'s parsed options and the profiles to one spec: the
   profile loaded under the options, podman's --user and --entrypoint, an
   image's config, the command chosen. */
#include "cli/run-spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/conf-load.h"
#include "cli/run-options.h"
#include "cred/userns.h"
#include "cred/users.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "profiles/conf.h"
#include "profiles/loader.h"
#include "spec/image-spec.h"

/* The profile a run uses: the one named, else "default" (silently empty when
   it is not installed, so a build tree works as it is). */
static int load_profile(const struct run_args *a, const struct profile_env *pe, struct keyfile *kf, struct diag *d)
{
        if (a->noprofile && !a->profile)
                return 0;
        const char *name = a->profile ? a->profile : "default";
        _cleanup_free_ char *path = NULL;
        if (!a->profile && profile_find(pe, name, &path) == -ENOENT)
                return 0;
        return profile_load(pe, name, kf, d);
}

static char *profile_basename(const char *name)
{
        const char *b = strrchr(name, '/');
        char *n = strdup(b ? b + 1 : name);
        size_t len = n ? strlen(n) : 0;

        if (n && len > 8 && strcmp(n + len - 8, ".profile") == 0)
                n[len - 8] = '\0';
        return n;
}

/* --user USER[:GROUP] of a host sandbox: ids as they are, names from the
   host's passwd and group files, which the sandbox shows as they are. */
static int host_user(struct nook_spec *s, const char *user, struct nook_err *e)
{
        _cleanup_free_ char *u = strdup(user);
        if (!u)
                return nook_errf(e, ENOMEM, "out of memory");
        char *g = strchr(u, ':');
        if (g)
                *g++ = '\0';
        if (!*u || (g && !*g))
                return nook_errf(e, EINVAL, "--user '%s' is not USER[:GROUP]", nook_val(user));
        uint64_t v;
        bool gid_from_user = false;
        gid_t user_gid = 0;
        if (parse_u64(u, UINT32_MAX - 1, &v) == 0) {
                int r = spec_set_id(s, false, u, e);
                if (r < 0)
                        return r;
        } else {
                struct user_entry pw;
                if (!users_by_name(u, &pw))
                        return nook_errf(e, ENOENT, "--user %s: no such user on this host (give an id, or see /etc/passwd)",
                                         nook_val(u));
                s->uid = pw.uid;
                s->uid_set = true;
                gid_from_user = true;
                user_gid = pw.gid;
        }
        if (g && parse_u64(g, UINT32_MAX - 1, &v) == 0)
                return spec_set_id(s, true, g, e);
        if (g) {
                gid_t gid;
                if (!groups_by_name(g, &gid))
                        return nook_errf(e, ENOENT, "--user %s: no such group on this host (give an id, or see /etc/group)",
                                         nook_val(user));
                s->gid = gid;
                s->gid_set = true;
        } else if (gid_from_user) {
                s->gid = user_gid;
                s->gid_set = true;
        }
        return 0;
}

/* What podman's habits ask for that is not a profile key: --rm, --user. */
static int podman_habits(const struct run_args *a, struct nook_spec *s, struct nook_err *e)
{
        if (a->rm && s->persist)
                return nook_errf(e, EINVAL, "--rm and --persist contradict each other: a sandbox is removed when its command ends unless --persist keeps it (drop one)");
        if (a->entrypoint && !s->image)
                return nook_errf(e, EINVAL, "--entrypoint replaces an image's Entrypoint, and this sandbox has no image (give the command itself after --)");
        if (!a->user)
                return 0;
        for (size_t i = 0; i < a->cli.n; i++)
                if (strcmp(a->cli.v[i].section, "Run") == 0 &&
                    (strcmp(a->cli.v[i].key, "User") == 0 || strcmp(a->cli.v[i].key, "Group") == 0))
                        return nook_errf(e, EINVAL, "--user and --uid/--gid both say who runs the command: give one");
        /* over a profile's User= and Group=, as options are */
        s->uid_set = s->gid_set = false;
        if (!s->image)
                return host_user(s, a->user, e);
        if (!*a->user || a->user[0] == ':' || a->user[strlen(a->user) - 1] == ':')
                return nook_errf(e, EINVAL, "--user '%s' is not USER[:GROUP]", nook_val(a->user));
        s->user = strdup(a->user);
        return s->user ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* --entrypoint of an image: replaces its Entrypoint and, as in podman, its
   Cmd (a command given still follows it); "" clears it. */
static int replace_entrypoint(struct nook_spec *s, const char *entrypoint, struct nook_err *e)
{
        size_t n = 0, m = 0;

        strv_free(s->image_entrypoint);
        s->image_entrypoint = NULL;
        strv_free(s->command);
        s->command = NULL;
        if (*entrypoint && (strv_push(&s->image_entrypoint, &n, entrypoint) < 0 ||
                            strv_push(&s->command, &m, entrypoint) < 0))
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* A default of nook.conf's as a key under the profile's, with the
   configuration's FILE:LINE (or "environment NOOK_X") for its messages. */
static int add_conf_default(struct keyfile *kf, const struct nook_conf *c, enum conf_key k, const char *section,
                            const char *key)
{
        const struct conf_value *v = c ? &c->v[k] : NULL;

        if (!v || !v->value)
                return 0;
        _cleanup_free_ char *file = strdup(v->origin);
        if (!file)
                return -ENOMEM;
        char *colon = strrchr(file, ':');
        unsigned line = 0;
        if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
                line = (unsigned)strtoul(colon + 1, NULL, 10);
                *colon = '\0';
        }
        return keyfile_add(kf, section, key, v->value, file, line);
}

/* The defaults of nook.conf (and the environment's NOOK_OVERLAY and
   NOOK_NETWORK, which it holds), then the keys of the profile, then the
   options over them, resolved and applied to s; the profile's files (and
   the configuration file a default came from) are kept read-only inside
   wherever a bind would show them. */
static int merge_profile_and_options(const struct run_args *a, const struct nook_conf *conf,
                                     const struct profile_env *pe, struct nook_spec *s, struct nook_err *e)
{
        _cleanup_(keyfile_free) struct keyfile kf;
        _cleanup_(resolved_free) struct resolved res = { 0 };
        _cleanup_(diag_free) struct diag d;
        int r;

        keyfile_init(&kf);
        diag_init(&d);
        /* Network= as the built-in none is: a profile's Mode= replaces it */
        r = add_conf_default(&kf, conf, CONF_OVERLAY, "Image", "Overlay");
        if (r == 0)
                r = add_conf_default(&kf, conf, CONF_NETWORK, "Network", "Mode");
        if (r == 0)
                r = load_profile(a, pe, &kf, &d);
        for (size_t i = 0; r == 0 && i < a->cli.n; i++) {
                const struct kf_entry *en = &a->cli.v[i];
                r = keyfile_add(&kf, en->section, en->key, en->value, profile_cli_origin, 0);
        }
        for (size_t i = 0; r == 0 && i < kf.n_files; i++) {
                char *real = profile_is_cli(kf.files[i]) ? NULL : realpath(kf.files[i], NULL);
                if (real && strv_push(&s->protect, &s->n_protect, real) < 0)
                        r = -ENOMEM;
                free(real);
        }
        if (r == 0)
                r = profile_resolve(pe, &kf, &res, &d);
        if (r == 0)
                r = profile_apply(&res, s, &d);
        if (r == -ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        return r < 0 ? diag_to_err(&d, e) : 0;
}

/* The image first: its Entrypoint and Cmd are defaults of the command. */
static int resolve_image(struct run_args *a, struct nook_spec *s, struct nook_err *e)
{
        s->store = steal_ptr(&a->direct.store);
        s->shared_stores = steal_ptr(&a->direct.shared_stores);
        s->n_shared_stores = a->direct.n_shared_stores;
        a->direct.n_shared_stores = 0;
        s->map_mode = a->direct.map_mode;
        if (!s->image && s->persist)
                return nook_errf(e, EINVAL, "--persist keeps the writable layer of an image: give one (nook run --name NAME --persist IMAGE)");
        if (!s->image)
                return 0;
        int r = image_spec_resolve(s, e);
        if (r == 0 && a->entrypoint)
                r = replace_entrypoint(s, a->entrypoint, e);
        return r;
}

static int append_words(char ***argv, size_t *n, char **words, struct nook_err *e)
{
        for (char **p = words; p && *p; p++)
                if (strv_push(argv, n, *p) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* The command: one given replaces an image's Cmd after its Entrypoint (as
   docker and podman do) and a profile's Command=; words after a profile's
   name are appended to its Command=. */
static int choose_command(const struct run_args *a, struct nook_spec *s, struct nook_err *e)
{
        size_t n = 0;
        int r;

        if (a->command) {
                r = append_words(&s->argv, &n, s->image_entrypoint, e);
                if (r == 0)
                        r = append_words(&s->argv, &n, a->command, e);
        } else {
                s->argv = steal_ptr(&s->command);
                while (s->argv && s->argv[n])
                        n++;
                r = append_words(&s->argv, &n, a->args, e);
        }
        if (r < 0 || (s->argv && s->argv[0]))
                return r;
        if (a->profile)
                return nook_errf(e, EINVAL, "no command given, and profile '%s' has no Command= (give one after --)", nook_val(a->profile));
        return nook_errf(e, EINVAL, "no command given (usage: nook run [OPTIONS] [--] COMMAND [ARG...])");
}

/* What the options say that is no profile key. */
static void take_direct(struct run_args *a, struct nook_spec *s)
{
        s->verbose = a->direct.verbose;
        s->detach = a->direct.detach;
        s->audit = a->direct.audit;
        s->tty = a->direct.tty;
        s->keep_fds = steal_ptr(&a->direct.keep_fds);
        s->n_keep_fds = a->direct.n_keep_fds;
        a->direct.n_keep_fds = 0;
}

/* Profile, then options, merged into one spec. */
static int build_spec(struct run_args *a, const struct nook_conf *conf, const struct profile_env *pe,
                      struct nook_spec *s, struct nook_err *e)
{
        int r = merge_profile_and_options(a, conf, pe, s, e);

        if (r < 0)
                return r;
        s->profile_name = profile_basename(a->profile ? a->profile : "default");
        if (!s->profile_name)
                return nook_errf(e, ENOMEM, "out of memory");
        r = podman_habits(a, s, e);
        if (r == 0)
                r = resolve_image(a, s, e);
        if (r == 0)
                r = choose_command(a, s, e);
        if (r == 0)
                take_direct(a, s);
        return r;
}

/* [Store] Path= and [Defaults] Map= as if given first: --store and --map
   replace them; [Store] Shared= as it is (searched after either). */
static int conf_direct_defaults(struct run_args *a, const struct nook_conf *conf, struct nook_err *e)
{
        const char *store = conf ? conf_get(conf, CONF_STORE_PATH) : NULL;
        const char *map = conf ? conf_get(conf, CONF_MAP) : NULL;

        if (store && !(a->direct.store = strdup(store)))
                return nook_errf(e, ENOMEM, "out of memory");
        if (cli_conf_shared_dirs(conf, &a->direct.shared_stores, &a->direct.n_shared_stores) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (map)
                a->direct.map_mode = strcmp(map, "single") == 0  ? USERNS_SINGLE
                                     : strcmp(map, "range") == 0 ? USERNS_RANGE
                                                                 : USERNS_AUTO;
        return 0;
}

int run_spec_from_argv(int argc, char **argv, const struct nook_conf *conf, const struct profile_env *pe,
                       struct nook_spec *s, struct nook_err *e)
{
        _cleanup_(run_args_free) struct run_args a;

        run_args_init(&a);
        int r = conf_direct_defaults(&a, conf, e);
        if (r == 0)
                r = run_args_parse(&a, argc, argv, pe, e);
        return r != 0 ? r : build_spec(&a, conf, pe, s, e);
}
