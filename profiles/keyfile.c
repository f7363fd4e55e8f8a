#include "profiles/keyfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

/* Long enough for any honest profile line, short enough that a hostile one
   costs nothing. */
#define KF_MAX_LINE 65536

void keyfile_init(struct keyfile *kf)
{
        memset(kf, 0, sizeof(*kf));
}

void keyfile_free(struct keyfile *kf)
{
        for (size_t i = 0; i < kf->n; i++) {
                free(kf->v[i].section);
                free(kf->v[i].key);
                free(kf->v[i].value);
        }
        free(kf->v);
        for (size_t i = 0; i < kf->n_files; i++)
                free(kf->files[i]);
        free(kf->files);
        memset(kf, 0, sizeof(*kf));
}

const char *keyfile_intern(struct keyfile *kf, const char *file)
{
        for (size_t i = 0; i < kf->n_files; i++)
                if (strcmp(kf->files[i], file) == 0)
                        return kf->files[i];
        char **v = reallocarray(kf->files, kf->n_files + 1, sizeof(*v));
        if (!v)
                return NULL;
        kf->files = v;
        if (!(v[kf->n_files] = strdup(file)))
                return NULL;
        return v[kf->n_files++];
}

int keyfile_add(struct keyfile *kf, const char *section, const char *key, const char *value,
                const char *file, unsigned line)
{
        const char *f = keyfile_intern(kf, file);
        struct kf_entry *v = reallocarray(kf->v, kf->n + 1, sizeof(*v));

        if (!f || !v)
                return -ENOMEM;
        kf->v = v;
        struct kf_entry *en = &v[kf->n];
        en->section = strdup(section);
        en->key = strdup(key);
        en->value = strdup(value);
        en->file = f;
        en->line = line;
        if (!en->section || !en->key || !en->value) {
                free(en->section);
                free(en->key);
                free(en->value);
                return -ENOMEM;
        }
        kf->n++;
        return 0;
}

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        return s;
}

static bool is_comment(const char *s)
{
        return *s == '#' || *s == ';';
}

/* Cuts a " # comment" after a value; "\#" keeps a literal '#'. */
static void cut_trailing_comment(char *v)
{
        char *w = v;
        for (char *r = v; *r; r++) {
                if (r[0] == '\\' && r[1] == '#') {
                        *w++ = '#';
                        r++;
                        continue;
                }
                if (*r == '#' && r > v && isspace((unsigned char)r[-1]))
                        break;
                *w++ = *r;
        }
        *w = '\0';
}

static bool valid_name(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
                        return false;
        return true;
}

struct parser {
        struct keyfile *kf;
        struct diag *d;
        const char *file;
        char section[128];
        bool bad_section;
        int errors;
};

__attribute__((format(printf, 3, 4)))
static int report(struct parser *p, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int r = diag_vadd(p->d, p->file, line, fmt, ap);
        va_end(ap);
        p->errors++;
        return r == -ENOMEM ? -ENOMEM : 0;
}

static int parse_line(struct parser *p, char *s, unsigned line)
{
        s = trim(s);
        if (!*s || is_comment(s))
                return 0;
        if (*s == '[') {
                size_t n = strlen(s);
                /* until the next good header, keys belong to no section,
                   rather than to the one before the bad header */
                if (n < 3 || s[n - 1] != ']') {
                        p->section[0] = '\0';
                        p->bad_section = true;
                        return report(p, line, "malformed section header '%s' (write [Name])", nook_val(s));
                }
                s[n - 1] = '\0';
                char *name = trim(s + 1);
                if (!valid_name(name) || strlen(name) >= sizeof(p->section)) {
                        p->section[0] = '\0';
                        p->bad_section = true;
                        return report(p, line, "malformed section name '%s'", nook_val(name));
                }
                p->bad_section = false;
                strcpy(p->section, name);
                return 0;
        }
        char *eq = strchr(s, '=');
        if (!eq)
                return report(p, line, "expected Key=Value, found '%s'", nook_val(s));
        *eq = '\0';
        char *key = trim(s), *value = eq + 1;
        cut_trailing_comment(value);
        value = trim(value);
        if (!valid_name(key))
                return report(p, line, "'%s' is not a valid key name", nook_val(key));
        if (p->bad_section)
                return 0;       /* its header was reported already */
        if (!p->section[0])
                return report(p, line, "key '%s' appears before any [Section]", nook_val(key));
        return keyfile_add(p->kf, p->section, key, value, p->file, line);
}

int keyfile_parse(struct keyfile *kf, const char *text, size_t len, const char *file, struct diag *d)
{
        struct parser p = { .kf = kf, .d = d, .file = keyfile_intern(kf, file) };
        _cleanup_free_ char *buf = NULL;
        size_t used = 0, start_line = 0;
        unsigned line = 0;
        size_t i = 0;

        if (!p.file)
                return -ENOMEM;
        p.file = keyfile_intern(kf, file);
        /* a UTF-8 byte order mark, as some editors write, is not content */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
                text += 3;
                len -= 3;
        }
        if (memchr(text, '\0', len)) {
                diag_add(d, p.file, 0, "contains a NUL byte: not a text file");
                return 1;
        }
        buf = malloc(KF_MAX_LINE + 1);
        if (!buf)
                return -ENOMEM;
        while (i < len) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
                const char *raw = text + i;
                i += n + (nl ? 1 : 0);
                line++;
                if (n > 0 && raw[n - 1] == '\r')
                        n--;
                /* inside a continuation, comment lines are skipped */
                if (used > 0) {
                        size_t k = 0;
                        while (k < n && isspace((unsigned char)raw[k]))
                                k++;
                        if (k < n && is_comment(raw + k)) {
                                if (i < len)
                                        continue;
                                /* the file ends inside a continuation: the
                                   assignment so far still counts */
                                if (parse_line(&p, buf, (unsigned)start_line) < 0)
                                        return -ENOMEM;
                                used = 0;
                                continue;
                        }
                } else {
                        start_line = line;
                }
                if (used + n + 1 > KF_MAX_LINE) {
                        if (report(&p, (unsigned)start_line, "line is longer than %s bytes", "65536") < 0)
                                return -ENOMEM;
                        used = 0;
                        continue;
                }
                memcpy(buf + used, raw, n);
                used += n;
                buf[used] = '\0';
                if (used > 0 && buf[used - 1] == '\\' && !(used > 1 && buf[used - 2] == '\\')) {
                        buf[used - 1] = ' ';
                        if (i < len)
                                continue;
                }
                if (parse_line(&p, buf, (unsigned)start_line) < 0)
                        return -ENOMEM;
                used = 0;
        }
        return p.errors;
}
