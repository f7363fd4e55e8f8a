#include "profiles/loader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

#ifndef NOOK_SYSCONF_PROFILES
#define NOOK_SYSCONF_PROFILES "/etc/nook/profiles"
#endif
#ifndef NOOK_DATA_PROFILES
#define NOOK_DATA_PROFILES "/usr/share/nook/profiles"
#endif

/* Larger than any sensible profile; keeps a hostile file from costing much. */
#define PROFILE_MAX_SIZE (1 << 20)

const char profile_cli_origin[] = "command line";

bool profile_is_cli(const char *file)
{
        return strcmp(file, profile_cli_origin) == 0;
}

int profile_env_init(struct profile_env *pe, const struct host_facts *h, struct nook_err *e)
{
        int r;

        memset(pe, 0, sizeof(*pe));
        r = vars_init(&pe->vars, h, e);
        if (r < 0)
                return r;
        const char *lib = getenv("NOOK_PROFILES_DIR");
        if (asprintf(&pe->dirs[0], "%s/nook/profiles", pe->vars.v[VAR_XDG_CONFIG_HOME]) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        pe->dirs[1] = strdup(NOOK_SYSCONF_PROFILES);
        pe->dirs[2] = strdup(lib && lib[0] == '/' ? lib : NOOK_DATA_PROFILES);
        pe->n_dirs = 3;
        if (!pe->dirs[1] || !pe->dirs[2])
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

void profile_env_free(struct profile_env *pe)
{
        for (size_t i = 0; i < pe->n_dirs; i++)
                free(pe->dirs[i]);
        vars_free(&pe->vars);
        memset(pe, 0, sizeof(*pe));
}

static bool is_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* NAME or NAME.profile in dir. */
static char *in_dir(const char *dir, const char *name)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s%s", dir, name, has_suffix(name, ".profile") ? "" : ".profile") < 0)
                return NULL;
        if (is_file(p))
                return p;
        free(p);
        return NULL;
}

static bool valid_profile_name(const char *name)
{
        return *name && name[0] != '.' && !strchr(name, '/');
}

int profile_find(const struct profile_env *pe, const char *name, char **path)
{
        if (strchr(name, '/')) {
                if (!is_file(name))
                        return -ENOENT;
                *path = strdup(name);
                return *path ? 0 : -ENOMEM;
        }
        if (!valid_profile_name(name))
                return -EINVAL;
        for (size_t i = 0; i < pe->n_dirs; i++) {
                char *p = in_dir(pe->dirs[i], name);
                if (p) {
                        *path = p;
                        return 0;
                }
        }
        return -ENOENT;
}

bool profile_exists(const struct profile_env *pe, const char *name)
{
        _cleanup_free_ char *p = NULL;

        if (strchr(name, '/') && !has_suffix(name, ".profile"))
                return false;
        return profile_find(pe, name, &p) == 0;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_names(const struct profile_env *pe, char ***names, size_t *n)
{
        char **v = NULL;
        size_t k = 0;

        for (size_t i = 0; i < pe->n_dirs; i++) {
                DIR *dp = opendir(pe->dirs[i]);
                struct dirent *de;
                while (dp && (de = readdir(dp))) {
                        size_t len = strlen(de->d_name);
                        if (de->d_name[0] == '.' || len <= 8 || !has_suffix(de->d_name, ".profile"))
                                continue;
                        bool seen = false;
                        for (size_t j = 0; j < k; j++)
                                seen |= strncmp(v[j], de->d_name, len - 8) == 0 && v[j][len - 8] == '\0';
                        if (seen)
                                continue;
                        char *name = strndup(de->d_name, len - 8);
                        char **nv = name ? reallocarray(v, k + 2, sizeof(*nv)) : NULL;
                        if (!nv) {
                                free(name);
                                closedir(dp);
                                strv_free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        v[k++] = name;
                        v[k] = NULL;
                }
                if (dp)
                        closedir(dp);
        }
        if (k)
                qsort(v, k, sizeof(*v), cmp_name);
        *names = v;
        *n = k;
        return 0;
}

static int read_file(const char *path, char **text, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > PROFILE_MAX_SIZE)
                return -EFBIG;
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                n += (size_t)r;
                if (n > (size_t)st.st_size)
                        return -EFBIG;   /* grew while we read */
        }
        *text = steal_ptr(&buf);
        *len = n;
        return 0;
}

struct loader {
        const struct profile_env *pe;
        struct keyfile *out;
        struct diag *d;
        char *chain[PROFILE_MAX_DEPTH + 2];     /* real paths being loaded */
        size_t depth;
};

/* "a -> b -> last", whole (diag_add shortens what it shows). */
static int chain_text(const struct loader *L, const char *last, struct buf *b)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < L->depth; i++)
                r = buf_appendf(b, "%s -> ", L->chain[i]);
        return r < 0 ? r : buf_appendf(b, "%s", last);
}

static int load_file(struct loader *L, const char *path, const char *shown, const struct kf_entry *from);

/* Whether dir is one of the search path's directories (which no sandbox
   can write: nook's config directory is read-only inside, the others are
   the system's). */
static bool searched_dir(const struct loader *L, const char *dir)
{
        _cleanup_free_ char *real = realpath(dir, NULL);

        for (size_t i = 0; real && i < L->pe->n_dirs; i++) {
                _cleanup_free_ char *d = realpath(L->pe->dirs[i], NULL);
                if (d && strcmp(d, real) == 0)
                        return true;
        }
        return false;
}

/* Include=NAME|PATH: a PATH relative to the including file; a NAME next to
   the including file first when that is in the search path, then the search
   path. A file elsewhere (given by path, in a project's directory, say)
   never includes a neighbour by name: a sandbox with that directory in view
   could have put one there since, for the next run to read. */
static int resolve_include(const struct loader *L, const char *from, const char *value, char **path)
{
        _cleanup_free_ char *copy = strdup(from);
        if (!copy)
                return -ENOMEM;
        const char *dir = dirname(copy);

        if (strchr(value, '/')) {
                if (value[0] == '/')
                        *path = strdup(value);
                else if (asprintf(path, "%s/%s", dir, value) < 0)
                        *path = NULL;
                if (!*path)
                        return -ENOMEM;
                return is_file(*path) ? 0 : -ENOENT;
        }
        if (!valid_profile_name(value))
                return -EINVAL;
        if (searched_dir(L, dir) && (*path = in_dir(dir, value)))
                return 0;
        return profile_find(L->pe, value, path);
}

static int do_include(struct loader *L, const struct kf_entry *en)
{
        _cleanup_free_ char *value = NULL, *path = NULL;
        _cleanup_free_ char *from = strdup(en->file);
        struct nook_err e = { 0 };

        if (!from)
                return -ENOMEM;
        if (!*en->value)
                return 0;
        if (vars_expand(&L->pe->vars, dirname(from), en->value, &value, &e) < 0)
                return diag_add(L->d, en->file, en->line, "%s", e.msg);
        int r = resolve_include(L, en->file, value, &path);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                _cleanup_(buf_free) struct buf searched = { 0 };
                for (size_t i = 0; i < L->pe->n_dirs; i++)
                        if (buf_appendf(&searched, "%s%s", i ? ", " : "", L->pe->dirs[i]) < 0)
                                return -ENOMEM;
                return diag_add(L->d, en->file, en->line, "Include '%s' not found (searched: %s)", nook_val(value),
                                buf_str(&searched));
        }
        return load_file(L, path, path, en);
}

/* Drop-ins NAME.profile.d/NN-name.conf from every search directory, in lexical
   order of their file names; a name in an earlier directory shadows the
   same name in a later one, as systemd does. */
static int load_dropins(struct loader *L, const char *profile_path)
{
        _cleanup_free_ char *copy = strdup(profile_path);
        char **names = NULL, **paths = NULL;
        size_t n = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        char *base = basename(copy);
        if (has_suffix(base, ".profile"))
                base[strlen(base) - strlen(".profile")] = '\0';
        for (size_t i = 0; i < L->pe->n_dirs && r == 0; i++) {
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "%s/%s.profile.d", L->pe->dirs[i], base) < 0) {
                        dir = NULL;
                        r = -ENOMEM;
                        break;
                }
                /* one too long for the kernel cannot be there */
                DIR *dp = opendir(dir);
                if (!dp)
                        continue;
                struct dirent *de;
                while ((de = readdir(dp)) && r == 0) {
                        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".conf"))
                                continue;
                        bool seen = false;
                        for (size_t k = 0; k < n; k++)
                                seen |= strcmp(names[k], de->d_name) == 0;
                        if (seen)
                                continue;
                        char **nn = reallocarray(names, n + 1, sizeof(*nn));
                        char **pp = nn ? reallocarray(paths, n + 1, sizeof(*pp)) : NULL;
                        if (nn)
                                names = nn;
                        if (pp)
                                paths = pp;
                        if (!nn || !pp) {
                                r = -ENOMEM;
                                break;
                        }
                        names[n] = strdup(de->d_name);
                        if (asprintf(&paths[n], "%s/%s", dir, de->d_name) < 0)
                                paths[n] = NULL;
                        n++;
                        if (!names[n - 1] || !paths[n - 1])
                                r = -ENOMEM;
                }
                closedir(dp);
        }
        /* lexical order of the names, whatever directory each came from */
        for (size_t i = 1; i < n && r == 0; i++)
                for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                        char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
                        t = paths[j]; paths[j] = paths[j - 1]; paths[j - 1] = t;
                }
        for (size_t i = 0; i < n && r == 0; i++) {
                int rr = load_file(L, paths[i], paths[i], NULL);
                if (rr == -ENOMEM)
                        r = rr;
        }
        for (size_t i = 0; i < n; i++) {
                free(names[i]);
                free(paths[i]);
        }
        free(names);
        free(paths);
        return r;
}

static int load_file(struct loader *L, const char *path, const char *shown, const struct kf_entry *from)
{
        const char *at = from ? from->file : shown;
        unsigned at_line = from ? from->line : 0;
        _cleanup_free_ char *text = NULL, *real = realpath(path, NULL);
        _cleanup_(buf_free) struct buf chain = { 0 };
        struct keyfile kf;
        size_t len = 0;
        int r;

        if (!real)
                return diag_add(L->d, shown, 0, "cannot open: %s", strerror(errno));
        for (size_t i = 0; i < L->depth; i++)
                if (strcmp(L->chain[i], real) == 0) {
                        if (chain_text(L, real, &chain) < 0)
                                return -ENOMEM;
                        return diag_add(L->d, at, at_line, "Include cycle: %s", buf_str(&chain));
                }
        /* the top profile plus PROFILE_MAX_DEPTH levels of Include= */
        if (L->depth > PROFILE_MAX_DEPTH) {
                if (chain_text(L, real, &chain) < 0)
                        return -ENOMEM;
                return diag_add(L->d, at, at_line, "Includes nest deeper than %d: %s", PROFILE_MAX_DEPTH, buf_str(&chain));
        }
        r = read_file(real, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(L->d, shown, 0, "cannot read: %s", r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
        keyfile_init(&kf);
        r = keyfile_parse(&kf, text, len, shown, L->d);
        L->chain[L->depth++] = steal_ptr(&real);
        /* Included profiles are the base the including one builds on: all
           of them first, in order, then this file's own assignments, so
           that its values win wherever Include= stands in it. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < kf.n && r >= 0; i++) {
                        const struct kf_entry *en = &kf.v[i];
                        bool inc = strcmp(en->section, "Profile") == 0 && strcmp(en->key, "Include") == 0;
                        int rr = 0;
                        if (inc && pass == 0)
                                rr = do_include(L, en);
                        else if (!inc && pass == 1)
                                rr = keyfile_add(L->out, en->section, en->key, en->value, en->file, en->line);
                        if (rr == -ENOMEM)
                                r = rr;
                }
        /* drop-ins belong to profiles, not to drop-ins themselves */
        if (r >= 0 && has_suffix(path, ".profile")) {
                int rr = load_dropins(L, path);
                if (rr == -ENOMEM)
                        r = rr;
        }
        free(L->chain[--L->depth]);
        keyfile_free(&kf);
        return r == -ENOMEM ? r : 0;
}

int profile_load(const struct profile_env *pe, const char *name, struct keyfile *kf, struct diag *d)
{
        struct loader L = { .pe = pe, .out = kf, .d = d };
        _cleanup_free_ char *path = NULL;
        size_t before = d->n;
        int r = profile_find(pe, name, &path);

        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (strchr(name, '/'))
                        return diag_add(d, NULL, 0, "profile file '%s' does not exist", nook_val(name));
                return diag_add(d, NULL, 0, "no profile named '%s' (searched %s, %s, %s; 'nook profile ls' lists them)",
                                nook_val(name), pe->dirs[0], pe->dirs[1], pe->dirs[2]);
        }
        r = load_file(&L, path, path, NULL);
        if (r < 0)
                return r;
        return d->n > before ? -EINVAL : 0;
}

/* --- merge ------------------------------------------------------------- */

static void list_clear(struct resolved_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].value);
                free(l->v[i].file);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void resolved_free(struct resolved *r)
{
        if (r->keys)
                for (size_t k = 0; k < key_table_size; k++)
                        list_clear(&r->keys[k]);
        free(r->keys);
        r->keys = NULL;
}

static int list_add(struct resolved_list *l, char *value, const char *file, unsigned line)
{
        struct resolved_value *v = reallocarray(l->v, l->n + 1, sizeof(*v));
        char *f = strdup(file);

        if (!v || !f) {
                free(value);
                free(f);
                if (v)
                        l->v = v;
                return -ENOMEM;
        }
        l->v = v;
        v[l->n++] = (struct resolved_value){ value, f, line };
        return 0;
}

/* Messages about the command line carry no file:line. */
__attribute__((format(printf, 4, 5))) static int report(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int r = profile_is_cli(file) ? diag_vadd(d, NULL, 0, fmt, ap) : diag_vadd(d, file, line, fmt, ap);
        va_end(ap);
        return r;
}

static int unknown_key(struct diag *d, const struct kf_entry *en)
{
        if (!key_section_known(en->section)) {
                const char *hint = key_suggest_section(en->section);
                if (hint)
                        return report(d, en->file, en->line, "unknown section [%s] (did you mean [%s]?)", en->section, hint);
                return report(d, en->file, en->line,
                              "unknown section [%s] (known: Profile Image Run Filesystem Network Security Limits Desktop)",
                              en->section);
        }
        const char *home = key_home_section(en->key);
        const char *hint = key_suggest(en->section, en->key);
        if (home)
                return report(d, en->file, en->line, "key '%s' belongs in [%s], not [%s]", nook_val(en->key), home,
                              en->section);
        if (hint)
                return report(d, en->file, en->line, "unknown key '%s' in [%s] (did you mean '%s'?)", nook_val(en->key),
                              en->section, nook_val(hint));
        return report(d, en->file, en->line, "unknown key '%s' in [%s]", nook_val(en->key), en->section);
}

int profile_resolve(const struct profile_env *pe, const struct keyfile *kf, struct resolved *r, struct diag *d)
{
        size_t before = d->n;

        r->keys = calloc(key_table_size, sizeof(*r->keys));
        if (!r->keys)
                return -ENOMEM;
        for (size_t i = 0; i < kf->n; i++) {
                const struct kf_entry *en = &kf->v[i];
                const struct key_def *def = key_lookup(en->section, en->key);
                int rr = 0;

                if (!def && !key_section_known(en->section) && i > 0 &&
                    strcmp(kf->v[i - 1].section, en->section) == 0 && strcmp(kf->v[i - 1].file, en->file) == 0) {
                        continue;       /* one report per unknown section */
                } else if (!def) {
                        rr = unknown_key(d, en);
                } else if (def->flags & KEY_LATER) {
                        rr = report(d, en->file, en->line, "'%s' in [%s] is not supported yet (it arrives with %s)",
                                    nook_val(en->key), en->section, def->later);
                } else if (strcmp(def->key, "Include") == 0) {
                        continue;       /* already followed by the loader */
                } else {
                        struct resolved_list *l = &r->keys[def - key_table];
                        char *value = NULL;
                        struct nook_err e = { 0 };
                        if (profile_is_cli(en->file)) {
                                value = strdup(en->value);
                        } else {
                                _cleanup_free_ char *dir = strdup(en->file);
                                if (dir && vars_expand(&pe->vars, dirname(dir), en->value, &value, &e) < 0) {
                                        rr = report(d, en->file, en->line, "%s", e.msg);
                                        if (rr == -ENOMEM)
                                                return rr;
                                        continue;
                                }
                        }
                        if (!value)
                                return -ENOMEM;
                        /* a scalar keeps its last value; an empty one resets
                           a key to its default, or clears a list */
                        /* on the command line an empty value is a value
                           (and the key's own check refuses it) */
                        bool cli = profile_is_cli(en->file);
                        if (!(def->flags & KEY_LIST) || (!*value && !cli))
                                list_clear(l);
                        if (*value || cli)
                                rr = list_add(l, value, en->file, en->line);
                        else
                                free(value);
                }
                if (rr == -ENOMEM)
                        return rr;
        }
        return d->n > before ? -EINVAL : 0;
}

int profile_apply(const struct resolved *r, struct nook_spec *spec, struct diag *d)
{
        size_t before = d->n;

        for (size_t k = 0; k < key_table_size; k++) {
                const struct key_def *def = &key_table[k];
                const struct resolved_list *l = &r->keys[k];
                for (size_t i = 0; i < l->n; i++) {
                        struct nook_err e = { 0 };
                        if (!def->apply || def->apply(spec, l->v[i].value, &e) == 0)
                                continue;
                        if (e.code == ENOMEM)
                                return -ENOMEM;
                        if (!d->code)
                                d->code = e.code;
                        int rr = profile_is_cli(l->v[i].file)
                                         ? report(d, l->v[i].file, l->v[i].line, "%s", e.msg)
                                         : report(d, l->v[i].file, l->v[i].line, "%s=%s: %s", def->key, l->v[i].value, e.msg);
                        if (rr == -ENOMEM)
                                return -ENOMEM;
                }
        }
        return d->n > before ? -EINVAL : 0;
}

/* KEY=VALUE, whole, padded to 40 columns; a '#' after a blank escaped, as
   it would read back otherwise. */
static void print_assignment(FILE *out, const char *key, const char *value)
{
        int w = fprintf(out, "%s=", key);

        for (const char *c = value; *c; c++) {
                if (*c == '#' && c > value && (c[-1] == ' ' || c[-1] == '\t')) {
                        fputc('\\', out);
                        w++;
                }
                fputc(*c, out);
                w++;
        }
        if (w < 40)
                fprintf(out, "%*s", 40 - w, "");
}

void profile_print(const struct resolved *r, FILE *out)
{
        const char *section = NULL;

        for (size_t k = 0; k < key_table_size; k++) {
                const struct key_def *def = &key_table[k];
                const struct resolved_list *l = &r->keys[k];
                if (l->n == 0)
                        continue;
                if (!section || strcmp(section, def->section) != 0) {
                        fprintf(out, "%s[%s]\n", section ? "\n" : "", def->section);
                        section = def->section;
                }
                for (size_t i = 0; i < l->n; i++) {
                        print_assignment(out, def->key, l->v[i].value);
                        if (profile_is_cli(l->v[i].file))
                                fprintf(out, " # command line\n");
                        else
                                fprintf(out, " # %s:%u\n", l->v[i].file, l->v[i].line);
                }
        }
}
