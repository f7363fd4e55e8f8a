/* One error type, carried up from where a thing fails to where it is printed. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

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

/* Prints "nook: MSG" on stderr, as nook_escape shows it, at most
   NOOK_LINE_MAX bytes: whatever a message took in from elsewhere (an
   argument, a file, a helper's words) reaches the terminal as one line of
   text, never as a control sequence. */
void nook_err_print(const struct nook_err *e);

/* The same for a message of no nook_err: "nook: " and fmt, one line. */
void nook_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define NOOK_LINE_MAX 1000
/* The most of one quoted value a message shows (bytes, as escaped). */
#define NOOK_VAL_MAX 200

/* in as one line of text into out (size bytes): C0 controls, DEL, the C1
   controls and bytes that are not UTF-8 escaped ("\n", "\t", "\r",
   "\x1b", "\xff"); cut to max bytes with a final "…" when longer. Returns
   the length written. */
size_t nook_escape(char *out, size_t size, const char *in, size_t max);

/* Copies the lines of in (a helper's log) to out, each as nook_escape
   shows it: another program's words reach the terminal as text. */
void nook_copy_lines(FILE *in, FILE *out);

/* v escaped and cut to NOOK_VAL_MAX, into buf. */
char *nook_val_into(char *buf, size_t size, const char *v);

/* For a value a message quotes (something nook did not write):
       nook_errf(e, EINVAL, "hostname '%s' is not valid", nook_val(v));
   The buffer is a compound literal of the enclosing block: it lasts as
   long as the statement that uses it needs it. */
#define NOOK_VAL_SIZE (NOOK_VAL_MAX + 1)
#define nook_val(v) nook_val_into((char[NOOK_VAL_SIZE]){ 0 }, NOOK_VAL_SIZE, (v))
