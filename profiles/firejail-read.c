#include "profiles/firejail-read.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

/* firejail's own limit is 16 nested includes too */
#define FJ_MAX_DEPTH 16
#define FJ_MAX_LINE 4096

struct reader {
        const struct fj_read_opts *o;
        struct fj_tree *t;
        struct nook_err *e;
        const char *chain[FJ_MAX_DEPTH + 1];
        size_t depth;
};

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *find_in(const struct fj_read_opts *o, const char *name)
{
        const char *dirs[] = { o->user_dir, o->sys_dir };

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                if (!dirs[i])
                        continue;
                char *p = str_dupf("%s/%s", dirs[i], name);
                if (!p || access(p, F_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

int fj_find(const struct fj_read_opts *o, const char *name, char **path)
{
        if (strchr(name, '/')) {
                *path = strdup(name);
                return *path ? (access(name, F_OK) == 0 ? 0 : -ENOENT) : -ENOMEM;
        }
        *path = find_in(o, name);
        if (!*path && !ends_with(name, ".profile")) {
                _cleanup_free_ char *withext = str_dupf("%s.profile", name);
                if (withext)
                        *path = find_in(o, withext);
        }
        return *path ? 0 : -ENOENT;
}

const char *fj_split(const char *text, char word[64])
{
        size_t n = strcspn(text, " \t");

        if (n >= 64)
                n = 63;
        memcpy(word, text, n);
        word[n] = '\0';
        const char *arg = text + strcspn(text, " \t");
        arg += strspn(arg, " \t");
        return *arg ? arg : NULL;
}

void fj_tree_free(struct fj_tree *t)
{
        for (size_t i = 0; i < t->n_files; i++) {
                struct fj_file *f = &t->files[i];
                for (size_t j = 0; j < f->n_items; j++) {
                        free(f->items[j].written);
                        free(f->items[j].text);
                        free(f->items[j].note);
                }
                free(f->items);
                free(f->path);
                free(f->description);
        }
        free(t->files);
        strv_free(t->noblack);
        strv_free(t->nowhite);
        strv_free(t->ignore);
        memset(t, 0, sizeof(*t));
}

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* firejail's rule: a line is ignored when an ignore given before it is
   its start, as a whole word ("ignore noexec ${HOME}", "ignore include
   whitelist-common.inc"). */
static const char *ignored_by(const struct fj_tree *t, const char *text)
{
        for (size_t i = 0; i < t->n_ignore; i++) {
                size_t n = strlen(t->ignore[i]);
                if (strncmp(text, t->ignore[i], n) == 0 && (text[n] == '\0' || text[n] == ' ' || text[n] == '\t'))
                        return t->ignore[i];
        }
        return NULL;
}

static bool cond_on(const struct fj_read_opts *o, const char *cond)
{
        for (size_t i = 0; i < o->n_with; i++)
                if (strcmp(o->with[i], cond) == 0)
                        return true;
        return false;
}

static struct fj_item *add_item(struct fj_file *f, unsigned line, const char *written)
{
        struct fj_item *v = realloc(f->items, (f->n_items + 1) * sizeof(*v));
        if (!v)
                return NULL;
        f->items = v;
        struct fj_item *it = &v[f->n_items];
        memset(it, 0, sizeof(*it));
        it->line = line;
        it->written = strdup(written);
        if (!it->written)
                return NULL;
        f->n_items++;
        return it;
}

static int set_note(struct fj_item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_note(struct fj_item *it, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        it->kind = FJ_NOTE;
        it->note = str_vdupf(fmt, ap);
        va_end(ap);
        return it->note ? 0 : -ENOMEM;
}

static int read_file(struct reader *r, const char *path, size_t parent, size_t *index);

/* include NAME: ${CFG} and ${HOME} may start it; a bare name is searched
   as fj_find does, without adding .profile. */
static int do_include(struct reader *r, size_t fi, size_t ii, const char *arg)
{
        _cleanup_free_ char *name = NULL;
        const struct fj_read_opts *o = r->o;

        if (str_has_prefix(arg, "${CFG}/"))
                name = str_dupf("%s/%s", o->sys_dir, arg + 7);
        else if (str_has_prefix(arg, "${HOME}/"))
                name = str_dupf("%s/%s", o->home, arg + 8);
        else
                name = strdup(arg);
        if (!name)
                return -ENOMEM;
        _cleanup_free_ char *path = strchr(name, '/') ? strdup(name) : find_in(o, name);
        if (!path || access(path, R_OK) < 0) {
                if (ends_with(name, ".local"))
                        return set_note(&r->t->files[fi].items[ii], "none found: nothing to include (%s)", name);
                return nook_errf(r->e, ENOENT, "%s:%u: cannot find the include %s (searched %s, %s)", r->t->files[fi].path,
                                 r->t->files[fi].items[ii].line, name, o->user_dir ? o->user_dir : "-", o->sys_dir);
        }
        size_t child;
        int ret = read_file(r, path, fi, &child);
        if (ret < 0)
                return ret;
        struct fj_item *it = &r->t->files[fi].items[ii];
        it->kind = FJ_INCLUDE;
        it->child = child;
        return 0;
}

/* One line of file fi, already trimmed and not a comment. */
static int do_line(struct reader *r, size_t fi, unsigned ln, char *s)
{
        struct fj_tree *t = r->t;
        struct fj_item *it = add_item(&t->files[fi], ln, s);
        if (!it)
                return -ENOMEM;
        size_t ii = t->files[fi].n_items - 1;
        if (s[0] == '?') {
                char *colon = strchr(s, ':');
                size_t n = strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
                if (!colon || colon != s + 1 + n || n == 0)
                        return nook_errf(r->e, EINVAL, "%s:%u: '%s' is not a conditional line (?NAME: directive)",
                                         t->files[fi].path, ln, s);
                *colon = '\0';
                if (!cond_on(r->o, s + 1))
                        return set_note(it, "%s is off (--with turns it on)", s + 1);
                s = trim(colon + 1);
        }
        /* firejail takes no trailing comment; a few shipped lines have one */
        char *hash = strstr(s, " #");
        if (hash)
                *hash = '\0';
        s = trim(s);
        const char *by = ignored_by(t, s);
        if (by)
                return set_note(it, "ignored: 'ignore %s' came before", by);
        it->text = strdup(s);
        it->n_noblack = t->n_noblack;
        it->n_nowhite = t->n_nowhite;
        if (!it->text)
                return -ENOMEM;
        char word[64];
        const char *arg = fj_split(s, word);
        if (strcmp(word, "ignore") == 0 && arg) {
                if (strv_push(&t->ignore, &t->n_ignore, arg) < 0)
                        return -ENOMEM;
                return set_note(it, "read by the importer: the lines after it that start with '%s' are left out", arg);
        }
        if (strcmp(word, "include") == 0 && arg)
                return do_include(r, fi, ii, arg);
        if (strcmp(word, "noblacklist") == 0 && arg && strv_push(&t->noblack, &t->n_noblack, arg) < 0)
                return -ENOMEM;
        if (strcmp(word, "nowhitelist") == 0 && arg && strv_push(&t->nowhite, &t->n_nowhite, arg) < 0)
                return -ENOMEM;
        it->kind = FJ_DIRECTIVE;
        return 0;
}

static int take_description(struct fj_file *f, const char *s)
{
        if (f->description || !str_has_prefix(s, "# Description:"))
                return 0;
        char *d = strdup(s + 14);
        if (!d)
                return -ENOMEM;
        f->description = d;
        char *p = trim(d);
        memmove(d, p, strlen(p) + 1);
        return 0;
}

static int read_lines(struct reader *r, size_t fi, FILE *f)
{
        _cleanup_free_ char *buf = NULL;
        size_t cap = 0;
        unsigned ln = 0;
        ssize_t n;

        while ((n = getline(&buf, &cap, f)) >= 0) {
                ln++;
                if (n > FJ_MAX_LINE)
                        return nook_errf(r->e, EINVAL, "%s:%u: line longer than %d bytes", r->t->files[fi].path, ln, FJ_MAX_LINE);
                char *s = trim(buf);
                if (*s == '#') {
                        if (take_description(&r->t->files[fi], s) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (*s == '\0')
                        continue;
                int ret = do_line(r, fi, ln, s);
                if (ret == -ENOMEM)
                        return nook_errf(r->e, ENOMEM, "out of memory");
                if (ret < 0)
                        return ret;
        }
        if (ferror(f))
                return nook_errf(r->e, EIO, "cannot read %s: %m", r->t->files[fi].path);
        return 0;
}

static int read_file(struct reader *r, const char *path, size_t parent, size_t *index)
{
        for (size_t i = 0; i < r->depth; i++)
                if (strcmp(r->chain[i], path) == 0)
                        return nook_errf(r->e, ELOOP, "%s: included by itself (through %s)", path, r->chain[r->depth - 1]);
        if (r->depth > FJ_MAX_DEPTH)
                return nook_errf(r->e, ELOOP, "%s: includes nested more than %d deep", path, FJ_MAX_DEPTH);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return nook_errf(r->e, errno, "cannot open %s: %m", path);
        struct fj_tree *t = r->t;
        struct fj_file *v = realloc(t->files, (t->n_files + 1) * sizeof(*v));
        if (!v)
                return nook_errf(r->e, ENOMEM, "out of memory");
        t->files = v;
        size_t fi = t->n_files++;
        memset(&v[fi], 0, sizeof(v[fi]));
        v[fi].parent = parent;
        v[fi].path = strdup(path);
        if (!v[fi].path)
                return nook_errf(r->e, ENOMEM, "out of memory");
        r->chain[r->depth++] = t->files[fi].path;
        int ret = read_lines(r, fi, f);
        r->depth--;
        *index = fi;
        return ret;
}

int fj_read(const struct fj_read_opts *o, const char *path, struct fj_tree *t, struct nook_err *e)
{
        struct reader r = { .o = o, .t = t, .e = e };
        size_t top;

        memset(t, 0, sizeof(*t));
        return read_file(&r, path, SIZE_MAX, &top);
}
