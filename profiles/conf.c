#include "profiles/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "lib/suggest.h"
#include "profiles/keyfile.h"

/* Larger than any sensible configuration; a hostile file costs little. */
#define CONF_MAX_SIZE (256 << 10)

enum conf_kind { KIND_PATH, KIND_CHOICE };

static const struct conf_def {
        const char *section, *key, *env, *dflt;
        enum conf_kind kind;
        const char *const choices[5];
} defs[CONF_COUNT] = {
        [CONF_STORE_PATH] = { "Store", "Path", "NOOK_STORE", "$XDG_DATA_HOME/nook", KIND_PATH, { NULL } },
        [CONF_STORE_SHARED] = { "Store", "Shared", "NOOK_SHARED_STORES", "none", KIND_PATH, { NULL } },
        [CONF_OVERLAY] = { "Defaults", "Overlay", "NOOK_OVERLAY", "auto", KIND_CHOICE, { "auto", "kernel", "fuse" } },
        [CONF_NETWORK] = { "Defaults", "Network", "NOOK_NETWORK", "none", KIND_CHOICE,
                           { "none", "host", "slirp", "pasta" } },
        [CONF_MAP] = { "Defaults", "Map", "NOOK_MAP", "auto", KIND_CHOICE, { "auto", "single", "range" } },
        [CONF_FAKE_IDS] = { "Defaults", "FakeIds", "NOOK_FAKE_IDS", "auto", KIND_CHOICE, { "auto", "yes", "no" } },
        [CONF_RUNTIME_DIR] = { "Run", "RuntimeDir", "NOOK_RUNTIME_DIR", "/tmp/nook-$UID", KIND_PATH, { NULL } },
};

const char *conf_key_env(enum conf_key k)
{
        return defs[k].env;
}

const char *conf_key_default(enum conf_key k)
{
        return defs[k].dflt;
}

const char *conf_key_name(enum conf_key k)
{
        static const char *const names[CONF_COUNT] = {
                [CONF_STORE_PATH] = "[Store] Path", [CONF_STORE_SHARED] = "[Store] Shared",
                [CONF_OVERLAY] = "[Defaults] Overlay", [CONF_NETWORK] = "[Defaults] Network",
                [CONF_MAP] = "[Defaults] Map", [CONF_FAKE_IDS] = "[Defaults] FakeIds",
                [CONF_RUNTIME_DIR] = "[Run] RuntimeDir",
        };
        return names[k];
}

/* The key a section and name stand for; else a diagnostic with the
   nearest known names. */
static int find_key(const struct kf_entry *en, struct diag *d)
{
        const char *names[CONF_COUNT], *near[3];
        size_t n = 0;
        bool section_known = false;

        for (int k = 0; k < CONF_COUNT; k++) {
                if (strcmp(en->section, defs[k].section) != 0)
                        continue;
                section_known = true;
                if (strcmp(en->key, defs[k].key) == 0)
                        return k;
                names[n++] = defs[k].key;
        }
        if (!section_known)
                return diag_add(d, en->file, en->line, "unknown section [%s] (known: [Store], [Defaults], [Run])",
                                nook_val(en->section));
        size_t m = suggest_near(en->key, names, n, near, 1);
        return diag_add(d, en->file, en->line, "unknown key %s= in [%s]%s%s%s", nook_val(en->key), en->section,
                        m ? " (did you mean " : "", m ? near[0] : "", m ? "=?)" : "");
}

/* value checked and made final: a choice among the key's, or an absolute
   path after ${VARIABLES} and ~/. */
static int check_value(enum conf_key k, const char *value, const struct vars *vs, char **out, struct nook_err *e)
{
        const struct conf_def *def = &defs[k];

        if (def->kind == KIND_CHOICE) {
                for (size_t i = 0; i < ARRAY_SIZE(def->choices) && def->choices[i]; i++)
                        if (strcmp(value, def->choices[i]) == 0)
                                return (*out = strdup(value)) ? 0 : nook_errf(e, ENOMEM, "out of memory");
                return nook_errf(e, EINVAL, "%s=%s is not one of %s%s%s%s%s%s%s", def->key, nook_val(value),
                                 def->choices[0], def->choices[1] ? ", " : "", def->choices[1] ? def->choices[1] : "",
                                 def->choices[2] ? ", " : "", def->choices[2] ? def->choices[2] : "",
                                 def->choices[3] ? ", " : "", def->choices[3] ? def->choices[3] : "");
        }
        _cleanup_free_ char *expanded = NULL;
        if (vs) {
                int r = vars_expand(vs, NULL, value, &expanded, e);
                if (r < 0)
                        return r;
        } else if (strchr(value, '$') || value[0] == '~') {
                return nook_errf(e, EINVAL, "%s=%s: variables are not known here", def->key, nook_val(value));
        } else if (!(expanded = strdup(value))) {
                return nook_errf(e, ENOMEM, "out of memory");
        }
        if (expanded[0] != '/')
                return nook_errf(e, EINVAL, "%s=%s is not an absolute path", def->key, nook_val(value));
        *out = path_normalize(expanded);
        if (!*out)
                return nook_errf(e, errno == ENOMEM ? ENOMEM : EINVAL, "%s=%s is not a usable path", def->key,
                                 nook_val(value));
        return 0;
}

static int set_value(struct nook_conf *c, enum conf_key k, char *value, const char *origin)
{
        char *o = strdup(origin);

        if (!o) {
                free(value);
                return -ENOMEM;
        }
        if (k == CONF_STORE_SHARED) {
                struct conf_value *v = reallocarray(c->shared, c->n_shared + 1, sizeof(*v));
                if (!v) {
                        free(value);
                        free(o);
                        return -ENOMEM;
                }
                c->shared = v;
                c->shared[c->n_shared++] = (struct conf_value){ value, o };
        }
        struct conf_value *cv = &c->v[k];
        free(cv->value);
        free(cv->origin);
        /* Shared= keeps every value in shared; v[] holds copies of the last */
        cv->value = k == CONF_STORE_SHARED ? strdup(value) : value;
        cv->origin = k == CONF_STORE_SHARED ? strdup(o) : o;
        return cv->value && cv->origin ? 0 : -ENOMEM;
}

/* Reads one file into kf; a missing file is fine. */
static int read_conf_file(struct keyfile *kf, const char *path, struct diag *d)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        size_t len = 0;

        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : diag_add(d, path, 0, "cannot read it: %m");
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return diag_add(d, path, 0, "not a regular file");
        if (st.st_size > CONF_MAX_SIZE)
                return diag_add(d, path, 0, "larger than %d KiB: not a configuration file", CONF_MAX_SIZE >> 10);
        _cleanup_free_ char *text = read_all(fd, CONF_MAX_SIZE, &len);
        if (!text)
                return -ENOMEM;
        int r = keyfile_parse(kf, text, len, path, d);
        return r < 0 ? r : 0;
}

static int apply_entries(struct nook_conf *c, const struct keyfile *kf, const struct vars *vs, struct diag *d)
{
        for (size_t i = 0; i < kf->n; i++) {
                const struct kf_entry *en = &kf->v[i];
                struct nook_err e = { 0 };
                char origin[4200];
                char *value = NULL;
                int k = find_key(en, d);

                if (k < 0)
                        continue;
                if (check_value((enum conf_key)k, en->value, vs, &value, &e) < 0) {
                        diag_add(d, en->file, en->line, "%s", e.msg);
                        continue;
                }
                if (STR_FMT(origin, "%s:%u", en->file, en->line) < 0 ||
                    set_value(c, (enum conf_key)k, value, origin) < 0)
                        return diag_add(d, en->file, en->line, "out of memory");
        }
        return 0;
}

/* NOOK_SHARED_STORES is a list, DIR:DIR; every other variable one value. */
static int apply_environment(struct nook_conf *c, const struct vars *vs, struct diag *d)
{
        for (int k = 0; k < CONF_COUNT; k++) {
                const char *env = getenv(defs[k].env);
                char origin[64];

                if (!env || !env[0])
                        continue;
                if (STR_FMT(origin, "environment %s", defs[k].env) < 0)
                        return -ENAMETOOLONG;
                _cleanup_free_ char *copy = strdup(env);
                char *save = NULL;
                if (!copy)
                        return -ENOMEM;
                if (k == CONF_STORE_SHARED) {
                        /* the environment replaces the files' list */
                        for (size_t i = 0; i < c->n_shared; i++) {
                                free(c->shared[i].value);
                                free(c->shared[i].origin);
                        }
                        c->n_shared = 0;
                }
                for (char *one = k == CONF_STORE_SHARED ? strtok_r(copy, ":", &save) : copy; one;
                     one = k == CONF_STORE_SHARED ? strtok_r(NULL, ":", &save) : NULL) {
                        struct nook_err e = { 0 };
                        char *value = NULL;
                        if (check_value((enum conf_key)k, one, vs, &value, &e) < 0)
                                diag_add(d, NULL, 0, "%s: %s", defs[k].env, e.msg);
                        else if (set_value(c, (enum conf_key)k, value, origin) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int conf_load(struct nook_conf *c, const char *site_file, const char *user_file, const struct vars *vs,
              struct diag *d)
{
        const char *files[] = { site_file, user_file };
        size_t before = d->n;
        int r = 0;

        memset(c, 0, sizeof(*c));
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(files); i++) {
                struct keyfile kf;
                if (!files[i])
                        continue;
                keyfile_init(&kf);
                r = read_conf_file(&kf, files[i], d);
                if (r == -ENOMEM || (r == 0 && apply_entries(c, &kf, vs, d) == -ENOMEM))
                        r = -ENOMEM;
                else
                        r = 0;
                keyfile_free(&kf);
        }
        if (r == 0)
                r = apply_environment(c, vs, d);
        if (r == 0 && d->n > before)
                r = -EINVAL;
        return r;
}

void conf_free(struct nook_conf *c)
{
        for (int k = 0; k < CONF_COUNT; k++) {
                free(c->v[k].value);
                free(c->v[k].origin);
        }
        for (size_t i = 0; i < c->n_shared; i++) {
                free(c->shared[i].value);
                free(c->shared[i].origin);
        }
        free(c->shared);
        memset(c, 0, sizeof(*c));
}
