#include "lib/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

/* A message is only ever shown, never used as a path or an argument: one
   longer than its buffer is cut, and then ends with "…" (on a character
   boundary), so that the reader sees it was. */
static void mark_cut(char *msg, size_t size, int n)
{
        static const char ellipsis[] = "\u2026";
        size_t at = size - sizeof(ellipsis);

        if (n < 0 || (size_t)n < size)
                return;
        while (at > 0 && ((unsigned char)msg[at] & 0xC0) == 0x80)
                at--;
        memcpy(msg + at, ellipsis, sizeof(ellipsis));
}

int nook_errf(struct nook_err *e, int code, const char *fmt, ...)
{
        va_list ap;

        if (code < 0)
                code = -code;
        if (code == 0)
                code = EINVAL;
        e->code = code;
        /* %m in fmt must name this code, not whatever errno is by now */
        errno = code;
        va_start(ap, fmt);
        int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        mark_cut(e->msg, sizeof(e->msg), n);
        return -code;
}

int nook_err_prefix(struct nook_err *e, const char *fmt, ...)
{
        char head[256], old[sizeof(e->msg)];
        va_list ap;

        /* shown only: a cut context ends with "…" */
        va_start(ap, fmt);
        int hn = vsnprintf(head, sizeof(head), fmt, ap);
        va_end(ap);
        mark_cut(head, sizeof(head), hn);
        memcpy(old, e->msg, sizeof(old));
        /* truncation is acceptable: the message stays one readable line */
        size_t n = strlen(head);
        if (n > sizeof(e->msg) - 3)
                n = sizeof(e->msg) - 3;
        memcpy(e->msg, head, n);
        memcpy(e->msg + n, ": ", 2);
        size_t room = sizeof(e->msg) - n - 3;
        size_t len = strnlen(old, room);
        memcpy(e->msg + n + 2, old, len);
        e->msg[n + 2 + len] = '\0';
        return -(e->code ? e->code : EINVAL);
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when
   p starts no such sequence: an overlong form, a surrogate, beyond U+10FFFF,
   or cut short. */
static size_t utf8_len(const unsigned char *p)
{
        unsigned char c = p[0];
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;

        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                n = 2;
        else if (c >= 0xE0 && c <= 0xEF)
                n = 3;
        else if (c >= 0xF0 && c <= 0xF4)
                n = 4;
        else
                return 0;
        if (c == 0xE0)
                lo = 0xA0;
        else if (c == 0xED)
                hi = 0x9F;
        else if (c == 0xF0)
                lo = 0x90;
        else if (c == 0xF4)
                hi = 0x8F;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (p[i] < 0x80 || p[i] > 0xBF)
                        return 0;
        return n;
}

/* "\\xHH" of byte c at out; returns 4. */
static size_t hex_escape(char *out, unsigned char c)
{
        static const char digits[] = "0123456789abcdef";

        out[0] = '\\';
        out[1] = 'x';
        out[2] = digits[c >> 4];
        out[3] = digits[c & 15];
        return 4;
}

/* The next unit of in as shown (a character, or an escape of one byte or
   of a C1 control) into unit; returns its length, *len the bytes read. */
static size_t show_unit(const unsigned char *p, char unit[static 9], size_t *len)
{
        size_t n = utf8_len(p);

        /* C0 controls, DEL and the C1 controls (U+0080..U+009F, which some
           terminals obey as ESC [ ...): shown, not sent */
        if (n == 1 && (*p < 0x20 || *p == 0x7F)) {
                *len = 1;
                if (*p == '\n' || *p == '\t' || *p == '\r') {
                        unit[0] = '\\';
                        unit[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
                        return 2;
                }
                return hex_escape(unit, *p);
        }
        if (n == 0 || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
                *len = n ? 2 : 1;
                size_t o = hex_escape(unit, p[0]);
                return *len == 2 ? o + hex_escape(unit + o, p[1]) : o;
        }
        memcpy(unit, p, n);
        *len = n;
        return n;
}

size_t nook_escape(char *out, size_t size, const char *in, size_t max)
{
        static const char ellipsis[] = "\u2026";      /* … */
        const size_t el = sizeof(ellipsis) - 1;
        const unsigned char *p;
        size_t o = 0, total = 0, len;
        char unit[9];

        if (size == 0)
                return 0;
        if (max > size - 1)
                max = size - 1;
        for (p = (const unsigned char *)in; *p; p += len)
                total += show_unit(p, unit, &len);
        /* cut only what is too long, never inside a character or an escape */
        size_t room = total <= max ? max : max >= el ? max - el : 0;
        for (p = (const unsigned char *)in; *p; p += len) {
                size_t ulen = show_unit(p, unit, &len);
                if (o + ulen > room)
                        break;
                memcpy(out + o, unit, ulen);
                o += ulen;
        }
        if (*p && o + el <= max) {
                memcpy(out + o, ellipsis, el);
                o += el;
        }
        out[o] = '\0';
        return o;
}

char *nook_val_into(char *buf, size_t size, const char *v)
{
        nook_escape(buf, size, v ? v : "(null)", NOOK_VAL_MAX);
        return buf;
}

void nook_err_print(const struct nook_err *e)
{
        char line[NOOK_LINE_MAX + 1];

        nook_escape(line, sizeof(line), e->msg[0] ? e->msg : "unknown error", NOOK_LINE_MAX);
        fprintf(stderr, "nook: %s\n", line);
}

void nook_say(const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        char line[NOOK_LINE_MAX + 1];
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        nook_escape(line, sizeof(line), r < 0 ? "out of memory" : msg, NOOK_LINE_MAX);
        fprintf(stderr, "nook: %s\n", line);
}

void nook_copy_lines(FILE *in, FILE *out)
{
        _cleanup_free_ char *line = NULL;
        char shown[NOOK_LINE_MAX + 1];
        size_t cap = 0;
        ssize_t n;

        while ((n = getline(&line, &cap, in)) > 0) {
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                nook_escape(shown, sizeof(shown), line, NOOK_LINE_MAX);
                fprintf(out, "%s\n", shown);
        }
}
