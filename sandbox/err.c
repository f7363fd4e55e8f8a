#include "sandbox/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return -code;
}

int nook_err_prefix(struct nook_err *e, const char *fmt, ...)
{
        char head[256], old[sizeof(e->msg)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(head, sizeof(head), fmt, ap);
        va_end(ap);
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

void nook_err_print(const struct nook_err *e)
{
        fprintf(stderr, "nook: %s\n", e->msg[0] ? e->msg : "unknown error");
}
