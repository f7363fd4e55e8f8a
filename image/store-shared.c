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

/* What a reader opens in a shared store, below its directory. */
static const char *const shared_dirs[] = { "images", "blobs", "blobs/sha256" };

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
        /* whoever writes in the store could point these elsewhere (into
           the reader's own files): nook reads them only as directories */
        for (size_t i = 0; i < ARRAY_SIZE(shared_dirs); i++) {
                struct stat st;
                if (fstatat(s->dfd, shared_dirs[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
                        return nook_errf(e, ELOOP, "the shared image store %s is damaged: %s/%s is %s, not a directory (its owner must fix it)",
                                         root, root, shared_dirs[i], S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
        }
        return 0;
}

/* The record rec of name, found in the shared store sh: a squashfs image's,
   the only kind publish writes (a record naming layers would have nook
   read directories that whoever writes in the store made). */
static int shared_record_ok(const struct store *sh, const char *name, json_t *rec, struct nook_err *e)
{
        if (json_is_object(json_object_get(rec, "squashfs")))
                return 0;
        return nook_errf(e, EINVAL, "image %s in the shared store %s is not a squashfs image, the only kind a shared store holds (ask its publisher to publish it again)",
                         name, sh->root);
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
                struct nook_err oe = { 0 };
                /* a store not there (not mounted on this node) is passed
                   over; one damaged is said */
                r = store_open_shared(&sh, ss->shared[i], &oe);
                if (r == -ELOOP) {
                        store_close(&sh);
                        *e = oe;
                        return r;
                }
                if (r < 0) {
                        store_close(&sh);
                        continue;
                }
                r = store_image_load(&sh, name, rec, e);
                if (r == 0 && (r = shared_record_ok(&sh, name, *rec, e)) < 0) {
                        json_decref(*rec);
                        *rec = NULL;
                }
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
