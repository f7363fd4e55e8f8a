#include "cli/run-ids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/resolve.h"
#include "lib/cleanup.h"
#include "spec/fake-ids.h"
#include "state/rundir.h"

/* An image keeps its files' owners through the subordinate ids. */
static int choose_map(struct run_setup *rs, struct nook_err *e)
{
        const struct nook_spec *s = &rs->spec;
        int r = userns_map_choose(&rs->map, (enum userns_mode)s->map_mode, e);

        if (r == 0 && !rs->map.range && s->map_mode == USERNS_AUTO && s->verbose)
                fprintf(stderr, "nook: no /etc/subuid range: the image's files all belong to you inside\n");
        return r;
}

/* A directory of the image, in any layer (whiteouts aside: at worst the
   bind below makes it again). */
static bool image_has_dir(const struct nook_spec *s, const char *path)
{
        if (s->squashfs)        /* what the record keeps: the one asked */
                return s->image_has_apt && strcmp(path, "/etc/apt/apt.conf.d") == 0;
        for (size_t i = s->n_layers; i-- > 0;) {
                _cleanup_close_ int root = open(s->layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int dir = root < 0 ? -1 : resolve_open(root, path, O_PATH | O_DIRECTORY);
                if (dir >= 0)
                        return true;
        }
        return false;
}

/* apt checks that its drop to _apt changed its ids (APT::Sandbox::Verify::IDs,
   on by default, "as all fakeroot-lookalikes should fake that"), which
   faked ids do not: every method would die with "Could not switch group".
   The check goes, the drop stays: apt still runs its methods "as _apt". */
static int bind_apt_config(struct nook_spec *s, struct nook_err *e)
{
        static const char name[] = "apt-fake-ids.conf";
        static const char conf[] = "// nook: FakeIds=yes (nook(1)): ids change in name only, apt must not check them\n"
                                   "APT::Sandbox::Verify::IDs \"false\";\n";
        _cleanup_free_ char *src = NULL;
        char base[4096];

        if (!image_has_dir(s, "/etc/apt/apt.conf.d"))
                return 0;
        rundir_base(base, sizeof(base));
        if (asprintf(&src, "%s/%d/%s", base, (int)getpid(), name) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        int r = spec_push_nook_file(s, name, conf, strlen(conf), 0644, e);
        return r < 0 ? r : spec_push_bind(s, src, "/etc/apt/apt.conf.d/00nook-fake-ids", SPEC_BIND_RO | SPEC_BIND_NOOKS, e);
}

int run_choose_ids(struct run_setup *rs, const char *fake_ids_default, struct nook_err *e)
{
        struct nook_spec *s = &rs->spec;
        enum spec_fake_ids dflt = SPEC_FAKE_IDS_AUTO;
        int r = s->image ? choose_map(rs, e) : 0;

        /* nook.conf's [Defaults] FakeIds= (checked when it was read) */
        if (r == 0 && fake_ids_default)
                r = spec_fake_ids_parse(fake_ids_default, &dflt, e);
        s->single_id = s->image && !rs->map.range;
        if (r == 0)
                r = spec_fake_ids_resolve(s, s->single_id, dflt, e);
        if (r == 0 && s->fake_ids)
                r = bind_apt_config(s, e);
        return r;
}
