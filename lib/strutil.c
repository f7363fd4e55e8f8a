#include "lib/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (v > max)
                return -ERANGE;
        *out = v;
        return 0;
}

int parse_size(const char *s, uint64_t *out)
{
        static const char units[] = "KMGT";
        char digits[32];
        size_t n = 0;
        unsigned shift = 0;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        while (isdigit((unsigned char)s[n]))
                n++;
        if (n == 0 || n >= sizeof(digits))
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(digits, s, n);
        digits[n] = '\0';
        const char *rest = s + n;
        if (*rest) {
                const char *u = strchr(units, toupper((unsigned char)*rest));
                if (u && *rest != '\0') {
                        shift = 10 * (unsigned)(u - units + 1);
                        rest++;
                }
                if (strcmp(rest, "") != 0 && strcmp(rest, "B") != 0 &&
                    !(shift && strcmp(rest, "iB") == 0))
                        return -EINVAL;
        }
        r = parse_u64(digits, UINT64_MAX, &v);
        if (r < 0)
                return r;
        if (shift && v > (UINT64_C(1) << 63) >> shift)
                return -ERANGE;
        v <<= shift;
        if (v > (UINT64_C(1) << 63))
                return -ERANGE;
        *out = v;
        return 0;
}

char *path_normalize(const char *p)
{
        size_t len;
        char *out, *o;

        if (!p || p[0] != '/') {
                errno = EINVAL;
                return NULL;
        }
        len = strlen(p);
        out = malloc(len + 2);
        if (!out)
                return NULL;
        o = out;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 1 && p[0] == '.') {
                        p = end;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        free(out);
                        errno = EINVAL;
                        return NULL;
                }
                *o++ = '/';
                memcpy(o, p, n);
                o += n;
                p = end;
        }
        if (o == out)
                *o++ = '/';
        *o = '\0';
        return out;
}

bool str_has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool path_is_below(const char *path, const char *base)
{
        size_t n = strlen(base);

        if (strcmp(base, "/") == 0)
                return path[0] == '/';
        return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void format_rfc3339(int64_t secs, char *buf, size_t size)
{
        time_t t = (time_t)secs;
        struct tm tm;

        if (size)
                buf[0] = '\0';
        if (gmtime_r(&t, &tm) && strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && size)
                buf[0] = '\0';
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        size_t need = b->len + (size_t)n + 1;
        if (need > b->cap) {
                size_t cap = b->cap ? b->cap : 64;
                while (cap < need)
                        cap *= 2;
                char *p = realloc(b->p, cap);
                if (!p)
                        return -ENOMEM;
                b->p = p;
                b->cap = cap;
        }
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return 0;
}

char *str_vdupf(const char *fmt, va_list ap)
{
        char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;       /* undefined after a failure */
        return s;
}

char *str_dupf(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        char *s = str_vdupf(fmt, ap);
        va_end(ap);
        return s;
}

void buf_free(struct buf *b)
{
        free(b->p);
        *b = (struct buf){ 0 };
}

int strv_push(char ***v, size_t *n, const char *str)
{
        char **a = reallocarray(*v, *n + 2, sizeof(char *));

        if (!a)
                return -ENOMEM;
        *v = a;
        if (!(a[*n] = strdup(str)))
                return -ENOMEM;
        a[++*n] = NULL;
        return 0;
}

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

int str_fmt(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size) {
                if (size)
                        buf[0] = '\0';
                return -ENAMETOOLONG;
        }
        return 0;
}
