#include "desktop/desktop-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

uint64_t dentry_hash(const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t h = UINT64_C(14695981039346656037);

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= UINT64_C(1099511628211);
        }
        return h;
}

static int read_whole(const char *path, char **out, size_t *len, struct nook_err *e)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return nook_errf(e, errno, "cannot read %s: %m", path);
        if (!S_ISREG(st.st_mode) || st.st_size > DENTRY_MAX)
                return nook_errf(e, EINVAL, "%s is not a desktop entry (a regular file of at most %u KiB)", path,
                                 DENTRY_MAX >> 10);
        size_t got = 0;
        char *buf = read_all(fd, DENTRY_MAX, &got);
        if (!buf)
                return nook_errf(e, ENOMEM, "out of memory");
        if (strlen(buf) != got) {
                free(buf);
                return nook_errf(e, EINVAL, "%s is not a desktop entry (it holds a NUL byte)", path);
        }
        *out = buf;
        *len = got;
        return 0;
}

/* One line into d: a group header, a Key=Value, or a line kept as it is. */
static int add_line(struct dentry *d, const char *text, size_t len, char **group)
{
        struct dentry_line *v = reallocarray(d->lines, d->n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        d->lines = v;
        struct dentry_line *l = &d->lines[d->n];
        memset(l, 0, sizeof(*l));
        if (!(l->text = strndup(text, len)))
                return -ENOMEM;
        d->n++;
        if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
                free(*group);
                if (!(*group = strndup(text + 1, len - 2)))
                        return -ENOMEM;
        }
        if (!(l->group = strdup(*group)))
                return -ENOMEM;
        const char *eq = memchr(text, '=', len);
        if (text[0] == '#' || text[0] == '[' || !eq)
                return 0;
        size_t klen = (size_t)(eq - text);
        while (klen && text[klen - 1] == ' ')
                klen--;
        const char *val = eq + 1;
        while (*val == ' ' && val < text + len)
                val++;
        l->key = strndup(text, klen);
        l->value = strndup(val, (size_t)(text + len - val));
        return l->key && l->value ? 0 : -ENOMEM;
}

int dentry_read(const char *path, struct dentry *d, struct nook_err *e)
{
        _cleanup_free_ char *buf = NULL, *group = strdup("");
        size_t len = 0;
        int r = read_whole(path, &buf, &len, e);

        memset(d, 0, sizeof(*d));
        if (r < 0)
                return r;
        if (!group)
                return nook_errf(e, ENOMEM, "out of memory");
        d->hash = dentry_hash(buf, len);
        for (char *p = buf; r == 0 && *p;) {
                char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                r = add_line(d, p, n, &group);
                p += n + (nl ? 1 : 0);
        }
        if (r < 0) {
                dentry_free(d);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        return 0;
}

void dentry_free(struct dentry *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->lines[i].text);
                free(d->lines[i].group);
                free(d->lines[i].key);
                free(d->lines[i].value);
        }
        free(d->lines);
        memset(d, 0, sizeof(*d));
}

const char *dentry_get(const struct dentry *d, const char *group, const char *key)
{
        for (size_t i = 0; i < d->n; i++)
                if (d->lines[i].key && strcmp(d->lines[i].group, group) == 0 && strcmp(d->lines[i].key, key) == 0)
                        return d->lines[i].value;
        return NULL;
}

int dentry_set(struct dentry *d, const char *group, const char *key, const char *value)
{
        ssize_t last = -1;

        for (size_t i = 0; i < d->n; i++) {
                struct dentry_line *l = &d->lines[i];
                if (strcmp(l->group, group) != 0)
                        continue;
                last = (ssize_t)i;
                if (l->key && strcmp(l->key, key) == 0) {
                        char *text = str_dupf("%s=%s", key, value), *v = strdup(value);
                        if (!text || !v) {
                                free(text);
                                free(v);
                                return -ENOMEM;
                        }
                        free(l->text);
                        free(l->value);
                        l->text = text;
                        l->value = v;
                        return 0;
                }
        }
        if (last < 0)
                return -ENOENT;
        /* after the group's last line that is not blank */
        while (last > 0 && d->lines[last].text[0] == '\0' && strcmp(d->lines[last - 1].group, group) == 0)
                last--;
        struct dentry_line *v = reallocarray(d->lines, d->n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        d->lines = v;
        memmove(&d->lines[last + 2], &d->lines[last + 1], (d->n - (size_t)last - 1) * sizeof(*v));
        struct dentry_line *l = &d->lines[last + 1];
        *l = (struct dentry_line){ str_dupf("%s=%s", key, value), strdup(group), strdup(key), strdup(value) };
        d->n++;
        return l->text && l->group && l->key && l->value ? 0 : -ENOMEM;
}

char **dentry_groups(const struct dentry *d)
{
        char **v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < d->n; i++) {
                const struct dentry_line *l = &d->lines[i];
                /* a header: the line that opened its group */
                if (l->text[0] == '[' && !l->key && l->group[0] && (i == 0 || strcmp(d->lines[i - 1].group, l->group) != 0) &&
                    strv_push(&v, &n, l->group) < 0) {
                        strv_free(v);
                        return NULL;
                }
        }
        return v ? v : calloc(1, sizeof(char *));
}

int dentry_write(const struct dentry *d, FILE *f)
{
        for (size_t i = 0; i < d->n; i++)
                if (fprintf(f, "%s\n", d->lines[i].text) < 0)
                        return -EIO;
        return 0;
}

/* The string escapes of a value undone: \s \n \t \r \\ (others kept). */
static char *unescape(const char *v)
{
        char *out = malloc(strlen(v) + 1), *w = out;

        for (const char *p = v; out && *p; p++) {
                if (*p != '\\' || !p[1]) {
                        *w++ = *p;
                        continue;
                }
                const char *from = "sntr\\", *to = " \n\t\r\\", *hit = strchr(from, p[1]);
                if (hit) {
                        *w++ = to[hit - from];
                        p++;
                } else {
                        *w++ = *p;
                }
        }
        if (out)
                *w = '\0';
        return out;
}

int exec_split(const char *value, char ***argv, struct nook_err *e)
{
        _cleanup_free_ char *s = unescape(value), *word = s ? malloc(strlen(s) + 1) : NULL;
        char **v = NULL;
        size_t n = 0;

        if (!word)
                return nook_errf(e, ENOMEM, "out of memory");
        for (const char *p = s; *p;) {
                if (*p == ' ' || *p == '\t') {
                        p++;
                        continue;
                }
                size_t w = 0;
                bool quoted = false;
                for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (quoted && *p == '\\' && p[1] && strchr("\"`$\\", p[1]))
                                word[w++] = *++p;
                        else
                                word[w++] = *p;
                }
                word[w] = '\0';
                if (quoted) {
                        strv_free(v);
                        return nook_errf(e, EINVAL, "Exec=%s: a quote is left open", nook_val(value));
                }
                if (strv_push(&v, &n, word) < 0) {
                        strv_free(v);
                        return nook_errf(e, ENOMEM, "out of memory");
                }
        }
        if (!v)
                return nook_errf(e, EINVAL, "Exec= is empty");
        *argv = v;
        return 0;
}
