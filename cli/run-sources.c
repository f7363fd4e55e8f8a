#include "cli/run-sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* A path that does not exist (yet: a BindTry=, a device that may come,
   a file nook makes in its run directory later): the real path of the
   deepest directory above it that does, and the rest as written. */
static char *real_prefix(const char *norm)
{
        _cleanup_free_ char *copy = strdup(norm);
        char *out = NULL;

        for (char *slash = copy ? strrchr(copy, '/') : NULL; slash; slash = strrchr(copy, '/')) {
                *slash = '\0';
                _cleanup_free_ char *real = realpath(slash == copy ? "/" : copy, NULL);
                if (!real && errno == ENOMEM)
                        return NULL;
                if (!real)
                        continue;
                if (asprintf(&out, "%s%s", strcmp(real, "/") == 0 ? "" : real, norm + (slash - copy)) < 0)
                        return NULL;
                return out;
        }
        return copy ? strdup(norm) : NULL;
}

static int exact_path(const struct step *s, char **out, struct nook_err *e)
{
        *out = s->flags & STEP_LINK ? path_real_entry(s->src) : realpath(s->src, NULL);
        if (*out)
                return 0;
        if (errno == ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        _cleanup_free_ char *norm = path_normalize(s->src);
        if (!norm && errno == ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!norm)
                return nook_errf(e, EINVAL, "bind source %s does not exist and has '..' in it: name it without",
                                 nook_val(s->src));
        *out = real_prefix(norm);
        return *out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

int run_pin_sources(struct plan *p, struct nook_err *e)
{
        for (size_t i = 0; i < p->n; i++) {
                struct step *s = &p->steps[i];
                if (s->kind != STEP_BIND || !s->src)
                        continue;
                char *real = NULL;
                int r = exact_path(s, &real, e);
                if (r < 0)
                        return r;
                if ((s->flags & STEP_DEV) && (!path_is_below(real, "/dev") || strcmp(real, "/dev") == 0)) {
                        nook_errf(e, EINVAL, "device %s leads to %s, which is not under /dev (name the device itself)",
                                  nook_val(s->src), nook_val(real));
                        free(real);
                        return -EINVAL;
                }
                free(s->src);
                s->src = real;
        }
        return 0;
}
