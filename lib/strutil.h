/* Small parsers shared by the CLI and the profile parser. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "512", "64K", "256M", "1G", "2T" (powers of 1024; an optional trailing
   "B" or "iB" is accepted). -EINVAL when it is not a size, -ERANGE when it
   is over 2^63. */
int parse_size(const char *s, uint64_t *out);

/* A decimal number in [0, max]. -EINVAL when not a number, -ERANGE above max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/* An absolute path with "//" and "/./" folded and no trailing "/"; a ".."
   component is refused (-EINVAL) rather than resolved, since the sandbox
   root is not the host's. Returns a new string or NULL with errno set. */
char *path_normalize(const char *p);

bool str_has_prefix(const char *s, const char *prefix);

/* True when path is base or below it ("/usr" covers "/usr/lib", not "/usrx"). */
bool path_is_below(const char *path, const char *base);

/* Seconds since the epoch as an RFC 3339 UTC string ("2026-12-04T14:33:00Z"),
   as JSON output gives times. buf needs 21 bytes or more; "" when secs is
   no date. */
void format_rfc3339(int64_t secs, char *buf, size_t size);

/* A string that grows as it is built and is never cut short: for paths and
   option lists whose length depends on input (700 image layers, a long
   store path). */
struct buf {
        char *p;                /* NUL-terminated once anything was appended */
        size_t len, cap;
};

/* Appends; -ENOMEM (and b unchanged) when memory runs out. */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);
/* The text so far ("" when nothing was appended). */
static inline const char *buf_str(const struct buf *b) { return b->p ? b->p : ""; }

/* A new string, formatted (free it); NULL only when memory runs out. For
   a path or an argument whose length depends on input. */
char *str_dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc));
char *str_vdupf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), malloc));

/* A NULL-terminated list of copies: appends a copy of str to *v. */
int strv_push(char ***v, size_t *n, const char *str);
void strv_free(char **v);

/* The one way to format into a fixed buffer: 0, or -ENAMETOOLONG when the
   result would not fit, and then buf holds "" (never a cut path that names
   another file). For a length that depends on input, use struct buf. */
int str_fmt(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), warn_unused_result));
#define STR_FMT(array, ...) str_fmt((array), sizeof(array), __VA_ARGS__)
