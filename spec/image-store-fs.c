#include "spec/image-store-fs.h"

#include <errno.h>
#include <stdbool.h>

#include "image/store-fs.h"

#define STORE_ADVICE "put the store on a local disk with [Store] Path= in nook.conf, or --store DIR"

/* st: the store of the layers (with_layers) or only of the writable layer */
static int fit(struct nook_spec *s, const struct store *st, bool with_layers, struct nook_err *e)
{
        struct store_fs f;

        store_fs_get(st, &f);
        /* layers unpacked without xattrs mark opaque directories with the
           OCI marker file, which only fuse-overlayfs reads (a squashfs
           image's one layer is nook-squashfs's, whatever the store) */
        bool layers = with_layers && !f.xattr && !s->squashfs;
        /* a persistent writable layer: kernel overlayfs wants user xattrs
           and a work directory it alone can enter (mode 0), which a server
           or a FUSE daemon running as the user does not let root of a user
           namespace into */
        bool upper = s->persist && (!f.xattr || store_fs_remote(&f));

        if (s->persist && !f.flock)
                return nook_errf(e, ENOLCK, "--persist needs flock(2) to keep a second run of sandbox %s away, and it does not work on %s, the file system of the image store %s (" STORE_ADVICE ")",
                                 s->name ? s->name : "NAME", f.type, st->root);
        if (!layers && !upper)
                return 0;
        if (s->overlay == 1 && layers)
                return nook_errf(e, EOPNOTSUPP, "kernel overlayfs cannot run image %s: the image store %s is on %s, which keeps no user xattrs (use --overlay auto or fuse, or " STORE_ADVICE ")",
                                 s->image, st->root, f.type);
        if (s->overlay == 1)
                return nook_errf(e, EOPNOTSUPP, "kernel overlayfs cannot keep a persistent sandbox's writable layer on %s, the file system of the image store %s (use --overlay auto or fuse, or " STORE_ADVICE ")",
                                 f.type, st->root);
        s->overlay = 2;
        return 0;
}

int image_spec_fit_store(struct nook_spec *s, const struct store *st, struct nook_err *e)
{
        if (!st->shared)
                return fit(s, st, true, e);
        /* a shared store is neither probed nor written: its images are
           squashfs files, and a persistent sandbox's writable layer is in
           the user's own store, whose file system is the one that counts */
        if (!s->persist)
                return 0;
        struct store own;
        int r = store_open(&own, s->store, e);
        if (r == 0)
                r = fit(s, &own, false, e);
        store_close(&own);
        return r;
}
