#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cli/learn-update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/learn-report.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* Keys a profile may repeat, each line adding one more. */
static const char *const list_keys[] = { "Bind", "BindReadOnly", "Device", "Allow" };

struct lines {
        char **v;
        size_t n;
};

static void lines_free(struct lines *l)
{
        strv_free(l->v);
}

static int split_lines(const char *text, struct lines *out)
{
        while (*text) {
                size_t n = strcspn(text, "\n");
                _cleanup_free_ char *line = strndup(text, n);
                if (!line || strv_push(&out->v, &out->n, line) < 0)
                        return -ENOMEM;
                text += n + (text[n] == '\n');
        }
        return 0;
}

static bool copy_n(char *dst, size_t size, const char *src, size_t n)
{
        if (n >= size)
                return false;
        memcpy(dst, src, n);
        dst[n] = '\0';
        return true;
}

/* A section's header; a name too long for any of nook's is kept as "". */
static bool is_section(const char *l, char *name, size_t size)
{
        const char *end = strchr(l, ']');

        if (l[0] != '[' || !end)
                return false;
        if (!copy_n(name, size, l + 1, (size_t)(end - l - 1)))
                name[0] = '\0';
        return true;
}

/* KEY=VALUE, blanks around both and a " #" comment after the value cut. */
static bool key_line(const char *l, char *key, size_t ksize, char *val, size_t vsize)
{
        while (*l == ' ' || *l == '\t')
                l++;
        const char *eq = strchr(l, '=');
        if (l[0] == '#' || l[0] == ';' || l[0] == '[' || !eq)
                return false;
        size_t kn = (size_t)(eq - l);
        while (kn && (l[kn - 1] == ' ' || l[kn - 1] == '\t'))
                kn--;
        const char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
                v++;
        size_t vn = strlen(v);
        for (size_t i = 1; i < vn; i++)
                if (v[i] == '#' && (v[i - 1] == ' ' || v[i - 1] == '\t'))
                        vn = i;
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
        return copy_n(key, ksize, l, kn) && copy_n(val, vsize, v, vn);
}

static bool is_list_key(const char *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(list_keys); i++)
                if (strcmp(key, list_keys[i]) == 0)
                        return true;
        return false;
}

/* Whether the user's profile lacks KEY=VAL of section sec: the same line,
   a bind that covers it (Bind= any access, BindReadOnly= reading) or, for
   a key given once, any value of the user's, which is kept (and said). */
static bool wanted(const struct lines *old, const char *sec, const char *key, const char *val,
                   const struct learn_facts *lf)
{
        char cur[64] = "", k[64], v[4096], val_path[4200], v_path[4200];
        bool bind = strcmp(key, "Bind") == 0 || strcmp(key, "BindReadOnly") == 0;

        /* ${HOME}/.config and ${XDG_CONFIG_HOME} may name one directory */
        if (bind && !learn_value_path(lf, val, val_path, sizeof(val_path)))
                bind = false;

        for (size_t i = 0; i < old->n; i++) {
                if (is_section(old->v[i], cur, sizeof(cur)) || strcmp(cur, sec) != 0 ||
                    !key_line(old->v[i], k, sizeof(k), v, sizeof(v)))
                        continue;
                if (strcmp(k, key) == 0 && strcmp(v, val) == 0)
                        return false;
                if (bind && (strcmp(k, "Bind") == 0 || strcmp(k, key) == 0) &&
                    learn_value_path(lf, v, v_path, sizeof(v_path)) && path_is_below(val_path, v_path))
                        return false;
                if (strcmp(k, key) == 0 && !is_list_key(key)) {
                        fprintf(stderr, "nook: kept %s=", key);
                        learn_put_text(stderr, v);
                        fprintf(stderr, " of [%s] (this run: %s=", sec, key);
                        learn_put_text(stderr, val);
                        fputs(")\n", stderr);
                        return false;
                }
        }
        return true;
}

/* What is added to one section: its own (found in the user's file, after
   its last line) or new (at the end). */
struct section_add {
        char name[64];
        size_t after;           /* the user's line it follows; SIZE_MAX: a new section */
        struct buf text;
};

struct merge {
        struct section_add *s;
        size_t n;
        size_t added;
};

static void merge_free(struct merge *m)
{
        for (size_t i = 0; i < m->n; i++)
                buf_free(&m->s[i].text);
        free(m->s);
}

static struct section_add *section_of(struct merge *m, const struct lines *old, const char *name)
{
        char cur[64] = "";
        size_t after = SIZE_MAX;

        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->s[i].name, name) == 0)
                        return &m->s[i];
        for (size_t i = 0; i < old->n; i++) {
                if (is_section(old->v[i], cur, sizeof(cur)))
                        after = strcmp(cur, name) == 0 ? i : after;
                else if (strcmp(cur, name) == 0 && old->v[i][strspn(old->v[i], " \t")])
                        after = i;
        }
        struct section_add *v = reallocarray(m->s, m->n + 1, sizeof(*v));
        if (!v)
                return NULL;
        m->s = v;
        v[m->n] = (struct section_add){ .after = after };
        snprintf(v[m->n].name, sizeof(v[m->n].name), "%s", name);
        return &v[m->n++];
}

/* The new profile's lines the user's lacks, each with the comments above
   it, gathered by section. [Profile] is the user's. */
static int gather(struct merge *m, const struct lines *old, const struct lines *new, const struct learn_facts *lf)
{
        char sec[64] = "", k[64], v[4096];
        _cleanup_(buf_free) struct buf notes = { 0 };

        for (size_t i = 0; i < new->n; i++) {
                const char *l = new->v[i];
                if (is_section(l, sec, sizeof(sec)) || !l[0]) {
                        buf_free(&notes);
                        continue;
                }
                if (l[0] == '#') {
                        if (buf_appendf(&notes, "%s\n", l) < 0)
                                return -ENOMEM;
                        continue;
                }
                bool add = key_line(l, k, sizeof(k), v, sizeof(v)) && strcmp(sec, "Profile") != 0 &&
                           wanted(old, sec, k, v, lf);
                if (add) {
                        struct section_add *s = section_of(m, old, sec);
                        if (!s || buf_appendf(&s->text, "%s%s\n", buf_str(&notes), l) < 0)
                                return -ENOMEM;
                        m->added++;
                }
                buf_free(&notes);
        }
        return 0;
}

static void put_added(FILE *f, const struct section_add *s, const char *prog)
{
        fputs("# added by nook learn --update, from a run of ", f);
        learn_put_text(f, prog);
        fprintf(f, "\n%s", buf_str(&s->text));
}

static void write_merged(FILE *f, const struct merge *m, const struct lines *old, const char *prog)
{
        for (size_t i = 0; i < old->n; i++) {
                fprintf(f, "%s\n", old->v[i]);
                for (size_t j = 0; j < m->n; j++)
                        if (m->s[j].after == i)
                                put_added(f, &m->s[j], prog);
        }
        for (size_t j = 0; j < m->n; j++)
                if (m->s[j].after == SIZE_MAX) {
                        fprintf(f, "\n[%s]\n", m->s[j].name);
                        put_added(f, &m->s[j], prog);
                }
}

int learn_update_open(const char *path, int *fd, struct nook_err *e)
{
        struct stat st;

        *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (*fd < 0)
                return nook_errf(e, errno, "cannot read %s: %m (--update needs a profile to update; -o writes a new one)", path);
        if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(*fd);
                *fd = -1;
                return nook_errf(e, EINVAL, "cannot read %s: not a regular file (--update needs a profile to update)", path);
        }
        return 0;
}

static int read_text(int fd, const char *path, char **out, struct nook_err *e)
{
        size_t len = 0;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return nook_errf(e, errno, "cannot read %s: %m", path);
        *out = read_all(fd, 1 << 20, &len);
        return *out ? 0 : nook_errf(e, errno ? errno : EIO, "cannot read %s: %m", path);
}

int learn_update(const char *path, int in, const char *learnt, char *const *argv, const struct learn_facts *lf,
                 struct nook_err *e)
{
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        _cleanup_(lines_free) struct lines old = { 0 };
        _cleanup_(lines_free) struct lines new = { 0 };
        _cleanup_(merge_free) struct merge m = { 0 };

        int r = read_text(in, path, &text, e);
        if (r < 0)
                return r;
        if (split_lines(text, &old) < 0 || split_lines(learnt, &new) < 0 || gather(&m, &old, &new, lf) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        int fd = file_create_beside(path, 0644, &tmp);
        FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
        if (!f) {
                r = nook_errf(e, fd < 0 ? -fd : errno, "cannot write beside %s: %m", path);
                if (fd >= 0) {
                        close(fd);
                        unlink(tmp);
                }
                return r;
        }
        write_merged(f, &m, &old, argv[0]);
        bool written = !ferror(f);
        if (fclose(f) == 0 && written && rename(tmp, path) == 0) {
                fprintf(stderr, "nook: updated %s: %zu line%s added\n", path, m.added, m.added == 1 ? "" : "s");
                return 0;
        }
        r = nook_errf(e, errno ? errno : EIO, "cannot write %s: %m", path);
        unlink(tmp);
        return r;
}
