/* nook-squashfs: a squashfs image's lower layer served over FUSE, in a
   program of its own (it links libfuse3 and libsquashfs, which `nook run`
   does not load). nook starts it, confined, for each squashfs sandbox:

       nook-squashfs --socket N [--root-owned] IMAGE

   IMAGE is the image (nook passes /proc/self/fd/K, the file it opened);
   fd N a unix socket on which the /dev/fuse of the mount comes (pid 1
   makes the mount) and on which a byte goes back once the kernel's INIT
   has come. --root-owned shows every file as 0:0, for a sandbox with one
   id mapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/squashfs-serve.h"

static int usage(void)
{
        fprintf(stderr, "usage: nook-squashfs --socket N [--root-owned] IMAGE (started by nook run, not by hand)\n");
        return 2;
}

int main(int argc, char **argv)
{
        struct squashfs_serve_opts o = { .sock = -1 };
        int i = 1;

        for (; i < argc && argv[i][0] == '-'; i++) {
                char *end = NULL;
                if (strcmp(argv[i], "--root-owned") == 0)
                        o.root_owned = true;
                else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
                        long fd = strtol(argv[++i], &end, 10);
                        if (!*argv[i] || *end || fd < 3 || fd > 1 << 20)
                                return usage();
                        o.sock = (int)fd;
                } else
                        return usage();
        }
        if (argc - i != 1 || o.sock < 0)
                return usage();
        o.image = argv[i];
        return squashfs_serve(&o);
}
