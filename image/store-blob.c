/* Writing blobs into the store: the one part of the store that needs
   sha256, kept apart so that `nook run` does not load a crypto library. */
#include "image/store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

#define CHUNK (1 << 20)

static int write_all(int fd, const char *buf, size_t len)
{
        for (size_t off = 0; off < len;) {
                ssize_t m = write(fd, buf + off, len - off);
                if (m < 0 && errno == EINTR)
                        continue;
                if (m < 0)
                        return -errno;
                off += (size_t)m;
        }
        return 0;
}

/* Reads fd to its end into a digest (out), copying what it reads to copy
   (-1: nowhere) and counting it in *total. 0, or -errno with *writing
   telling whether the copy or the read failed. */
static int digest_fd(int fd, int copy, char out[DIGEST_STR_LEN + 1], uint64_t *total, bool *writing)
{
        _cleanup_free_ char *buf = malloc(CHUNK);
        struct digest_ctx *d = digest_new();
        int r = 0;

        *total = 0;
        *writing = false;
        if (!buf || !d) {
                digest_free(d);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(fd, buf, CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                digest_update(d, buf, (size_t)n);
                r = copy >= 0 ? write_all(copy, buf, (size_t)n) : 0;
                if (r < 0) {
                        *writing = true;
                        break;
                }
                *total += (uint64_t)n;
        }
        if (r < 0)
                digest_free(d);
        else
                digest_final(d, out);
        return r;
}

int store_put_blob(const struct store *s, int fd, const char *expected, char out[DIGEST_STR_LEN + 1],
                   uint64_t *size, struct nook_err *e)
{
        char tmp[64], final[128];
        uint64_t total;
        bool writing;

        /* everything relative to the store's fd: its path may be long */
        _cleanup_close_ int w = store_mkstemp(s, "blob-", tmp, sizeof(tmp), e);
        if (w < 0)
                return w;
        int r = digest_fd(fd, w, out, &total, &writing);
        if (r < 0) {
                unlinkat(s->dfd, tmp, 0);
                if (r == -ENOMEM)
                        return nook_errf(e, ENOMEM, "out of memory");
                if (writing)
                        return nook_errf(e, -r, "cannot write to the image store %s: %m", s->root);
                return nook_errf(e, -r, "cannot read a blob: %m");
        }
        if (expected && strcmp(expected, out) != 0) {
                unlinkat(s->dfd, tmp, 0);
                return nook_errf(e, EBADMSG, "digest mismatch: expected %s, got %s (the image is corrupt or was tampered with)",
                                 expected, out);
        }
        if (STR_FMT(final, "blobs/sha256/%s", digest_hex(out)) < 0) {
                unlinkat(s->dfd, tmp, 0);
                return nook_errf(e, ENAMETOOLONG, "cannot store blob %s: its name is too long", out);
        }
        if (renameat(s->dfd, tmp, s->dfd, final) < 0) {
                int err = errno;
                unlinkat(s->dfd, tmp, 0);
                return nook_errf(e, err, "cannot store blob %s: %m", out);
        }
        if (size)
                *size = total;
        return 0;
}

int store_blob_digest(const struct store *s, const char *hex, char out[DIGEST_STR_LEN + 1], struct nook_err *e)
{
        char rel[128];
        struct stat st;
        uint64_t total;
        bool writing;

        if (STR_FMT(rel, "blobs/sha256/%s", hex) < 0)
                return nook_errf(e, ENAMETOOLONG, "blob %.80s...: not a digest", hex);
        _cleanup_close_ int fd = openat(s->dfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return nook_errf(e, errno, "cannot read blob sha256:%s: %m", hex);
        if (fstat(fd, &st) < 0)
                return nook_errf(e, errno, "cannot read blob sha256:%s: %m", hex);
        if (!S_ISREG(st.st_mode))
                return nook_errf(e, EINVAL, "blob sha256:%s is not a regular file", hex);
        int r = digest_fd(fd, -1, out, &total, &writing);
        if (r == -ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        if (r < 0)
                return nook_errf(e, -r, "cannot read blob sha256:%s: %m", hex);
        return 0;
}
