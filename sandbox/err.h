/* One error type, carried up from where a thing fails to where it is printed. */
#pragma once

#include <stdarg.h>

struct nook_err {
        int code;       /* errno-style cause, positive; 0 when unset */
        int status;     /* exit status `nook run` should use; 0 means 125 */
        char msg[512];  /* one line a user can act on, without the "nook: " prefix */
};

/* Fills e with a formatted message (%m expands to strerror(code)) and returns
   -code, so a caller can write `return nook_errf(e, errno, "...")`. */
int nook_errf(struct nook_err *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in e with more context: "CONTEXT: old". */
int nook_err_prefix(struct nook_err *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Prints "nook: MSG" on stderr. */
void nook_err_print(const struct nook_err *e);
