/* Diagnostics of profile files: every problem found, each naming
   file:line, so that `nook profile check` can report them all at once. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "lib/err.h"

struct diag {
        char **msgs;
        size_t n;
        int code;       /* errno of the first problem, when one was known */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);

/* Adds "file:line: message" (file may be NULL for messages about no file,
   line 0 for a whole file). Returns -EINVAL, for `return diag_add(...)`. */
int diag_add(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int diag_vadd(struct diag *d, const char *file, unsigned line, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));

/* The first message into e (with "and N more" when there are more). */
int diag_to_err(const struct diag *d, struct nook_err *e);
