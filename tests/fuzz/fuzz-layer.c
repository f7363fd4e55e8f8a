/* libFuzzer target for unpacking an image layer: each input is a layer
   (a tar, plain or compressed) that layer_unpack() writes into a fresh,
   empty directory, exactly as `nook image import` does. It exercises the
   entry path checks (absolute paths, "..", paths through symlinks, entries
   that appear twice, hard links out of the layer), the OCI whiteouts
   (".wh.NAME", ".wh..wh..opq") and the overlay attributes a layer must not
   carry.

   What an input may write is bounded: the fuzzer first enters a user and
   mount namespace of its own and unpacks onto a small tmpfs, remounted
   empty after every input, so that a compressed bomb fills 32 MiB at most
   and nothing outlives the input. Where namespaces are refused, it falls
   back on a directory under $TMPDIR, removed after each input, with every
   file limited to 8 MiB (RLIMIT_FSIZE). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/layer-unpack.h"
#include "image/store.h"
#include "lib/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[4096];          /* the tmpfs, or the fallback's parent */
static bool on_tmpfs;

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

        if (fd >= 0)
                close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool enter_namespaces(void)
{
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();

        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                return false;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
        if (write_file("/proc/self/uid_map", map) < 0 || write_file("/proc/self/setgroups", "deny") < 0)
                return false;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
        if (write_file("/proc/self/gid_map", map) < 0)
                return false;
        return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

static int mount_tmpfs(void)
{
        return mount("fuzz-layer", top, "tmpfs", MS_NOSUID | MS_NODEV, "size=32m,nr_inodes=20000,mode=0700");
}

static void remove_top(void)
{
        if (on_tmpfs)
                umount2(top, MNT_DETACH);
        rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(top, sizeof(top), "%s/nook-fuzz-layer.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(top)) {
                perror("fuzz-layer: mkdtemp");
                abort();
        }
        on_tmpfs = enter_namespaces() && mount_tmpfs() == 0;
        atexit(remove_top);
        if (!on_tmpfs) {
                struct rlimit fsize = { 8 << 20, 8 << 20 };
                signal(SIGXFSZ, SIG_IGN);
                setrlimit(RLIMIT_FSIZE, &fsize);
                fprintf(stderr, "fuzz-layer: no namespaces (%m): unpacking under %s, 8 MiB a file\n", top);
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char root[4200], diff_id[DIGEST_STR_LEN + 1];
        struct nook_err e = { 0 };
        int in = memfd_create("layer", MFD_CLOEXEC);

        if (in < 0 || (size && write(in, data, size) != (ssize_t)size) || lseek(in, 0, SEEK_SET) < 0) {
                perror("fuzz-layer: memfd");
                abort();
        }
        snprintf(root, sizeof(root), "%s/root", top);
        if (mkdir(root, 0700) < 0) {
                perror("fuzz-layer: mkdir");
                abort();
        }
        int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                perror("fuzz-layer: open");
                abort();
        }
        /* the ids of every file are ours: fchown is not what is tested */
        layer_unpack(in, rootfd, "fuzz", LAYER_SQUASH_IDS, diff_id, &e);
        close(in);
        if (on_tmpfs) {
                close(rootfd);
                if (umount2(top, MNT_DETACH) < 0 || mount_tmpfs() < 0) {
                        perror("fuzz-layer: remounting the tmpfs");
                        abort();
                }
        } else {
                close(rootfd);
                int r = store_remove_at(AT_FDCWD, root);
                if (r < 0) {
                        fprintf(stderr, "fuzz-layer: cannot remove %s: %s\n", root, strerror(-r));
                        abort();
                }
        }
        return 0;
}
