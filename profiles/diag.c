#include "profiles/diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

void diag_init(struct diag *d)
{
        memset(d, 0, sizeof(*d));
}

void diag_free(struct diag *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->msgs[i]);
        free(d->msgs);
        memset(d, 0, sizeof(*d));
}

int diag_add(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        int r = diag_vadd(d, file, line, fmt, ap);
        va_end(ap);
        return r;
}

int diag_vadd(struct diag *d, const char *file, unsigned line, const char *fmt, va_list ap)
{
        _cleanup_free_ char *body = NULL, *raw = NULL;
        char *msg = NULL;
        int r = vasprintf(&body, fmt, ap);

        if (r < 0)
                return -ENOMEM;
        if (file && line)
                r = asprintf(&raw, "%s:%u: %s", file, line, body);
        else if (file)
                r = asprintf(&raw, "%s: %s", file, body);
        else
                r = asprintf(&raw, "%s", body);
        /* a profile's values and file names, as one line of text: `nook
           profile check` prints these as they are */
        if (r < 0 || !(msg = malloc(NOOK_LINE_MAX + 1)))
                return -ENOMEM;
        nook_escape(msg, NOOK_LINE_MAX + 1, raw, NOOK_LINE_MAX);
        char **v = reallocarray(d->msgs, d->n + 1, sizeof(*v));
        if (!v) {
                free(msg);
                return -ENOMEM;
        }
        d->msgs = v;
        d->msgs[d->n++] = msg;
        return -EINVAL;
}

int diag_to_err(const struct diag *d, struct nook_err *e)
{
        if (d->n == 0)
                return 0;
        int code = d->code ? d->code : EINVAL;
        if (d->n == 1)
                return nook_errf(e, code, "%s", d->msgs[0]);
        return nook_errf(e, code, "%s (and %zu more problem%s: run 'nook profile check')", d->msgs[0], d->n - 1,
                         d->n == 2 ? "" : "s");
}
