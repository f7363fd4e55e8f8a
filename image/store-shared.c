#include "image/store-shared.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

int store_open_shared(struct store *s, const char *root, struct nook_err *e)
{
        memset(s, 0, sizeof(*s));
        s->shared = true;
        s->dfd = -1;
        if (!(s->root = strdup(root)))
                return nook_errf(e, ENOMEM, "out of memory");
        s->dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->dfd < 0)
                return nook_errf(e, errno, "cannot open the shared image store %s: %m", root);
        return 0;
}

/* ", DIR, DIR" of the shared stores, for a message. */
static void append_shared(const struct store_search *ss, struct buf *b)
{
        for (size_t i = 0; i < ss->n_shared; i++)
                buf_appendf(b, "%s%s", i ? ", " : "", ss->shared[i]);
}

int store_find_image(const struct store_search *ss, const char *name, struct store *out, json_t **rec,
                     struct nook_err *e)
{
        int r = store_open(out, ss->own, e);

        if (r < 0)
                return r;
        r = store_image_load(out, name, rec, e);
        /* a damaged record of the user's own is said, not passed over */
        if (r != -ENOENT || ss->n_shared == 0)
                return r;
        for (size_t i = 0; i < ss->n_shared; i++) {
                struct store sh;
                struct nook_err ignored = { 0 };
                if (store_open_shared(&sh, ss->shared[i], &ignored) < 0) {
                        store_close(&sh);
                        continue;
                }
                r = store_image_load(&sh, name, rec, e);
                if (r != -ENOENT) {
                        if (r == 0) {
                                store_close(out);
                                *out = sh;
                        } else {
                                store_close(&sh);
                        }
                        return r;
                }
                store_close(&sh);
        }
        _cleanup_(buf_free) struct buf b = { 0 };
        append_shared(ss, &b);
        return nook_errf(e, ENOENT, "no image named %s in your store nor in the shared stores (%s) (see 'nook image ls')",
                         name, buf_str(&b));
}

/* The record of name under root exists, looked at with stat. */
static bool has_record(const char *root, const char *name)
{
        char rel[1024];
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (!root || store_record_rel(name, rel, sizeof(rel)) < 0 || asprintf(&path, "%s/%s", root, rel) < 0)
                return false;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool store_search_has(const struct store_search *ss, const char *name)
{
        _cleanup_free_ char *own = ss->own ? strdup(ss->own) : store_default_root();

        if (has_record(own, name))
                return true;
        for (size_t i = 0; i < ss->n_shared; i++)
                if (has_record(ss->shared[i], name))
                        return true;
        return false;
}
