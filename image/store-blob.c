/* Writing blobs into the store: the one part of the store that needs
   sha256, kept apart so that `nook run` does not load a crypto library. */
#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"

int store_put_blob(const struct store *s, int fd, const char *expected, char out[DIGEST_STR_LEN + 1],
                   uint64_t *size, struct nook_err *e)
{
        char tmp[64], final[128];
        _cleanup_free_ char *buf = malloc(1 << 20);
        struct digest_ctx *d = digest_new();
        uint64_t total = 0;

        if (!buf || !d) {
                digest_free(d);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        /* everything relative to the store's fd: its path may be long */
        _cleanup_close_ int w = store_mkstemp(s, "blob-", tmp, sizeof(tmp), e);
        if (w < 0) {
                digest_free(d);
                return w;
        }
        for (;;) {
                ssize_t n = read(fd, buf, 1 << 20);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int err = errno;
                        digest_free(d);
                        unlinkat(s->dfd, tmp, 0);
                        return nook_errf(e, err, "cannot read a blob: %m");
                }
                if (n == 0)
                        break;
                digest_update(d, buf, (size_t)n);
                for (ssize_t off = 0; off < n;) {
                        ssize_t m = write(w, buf + off, (size_t)(n - off));
                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m < 0) {
                                int err = errno;
                                digest_free(d);
                                unlinkat(s->dfd, tmp, 0);
                                return nook_errf(e, err, "cannot write to the image store %s: %m", s->root);
                        }
                        off += m;
                }
                total += (uint64_t)n;
        }
        digest_final(d, out);
        if (expected && strcmp(expected, out) != 0) {
                unlinkat(s->dfd, tmp, 0);
                return nook_errf(e, EBADMSG, "digest mismatch: expected %s, got %s (the image is corrupt or was tampered with)",
                                 expected, out);
        }
        snprintf(final, sizeof(final), "blobs/sha256/%s", digest_hex(out));
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

        if ((size_t)snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex) >= sizeof(rel))
                return nook_errf(e, ENAMETOOLONG, "blob %.80s...: not a digest", hex);
        _cleanup_close_ int fd = openat(s->dfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return nook_errf(e, errno, "cannot read blob sha256:%s: %m", hex);
        if (fstat(fd, &st) < 0)
                return nook_errf(e, errno, "cannot read blob sha256:%s: %m", hex);
        if (!S_ISREG(st.st_mode))
                return nook_errf(e, EINVAL, "blob sha256:%s is not a regular file", hex);
        _cleanup_free_ char *buf = malloc(1 << 20);
        struct digest_ctx *d = digest_new();
        if (!buf || !d) {
                digest_free(d);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        for (;;) {
                ssize_t n = read(fd, buf, 1 << 20);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int err = errno;
                        digest_free(d);
                        return nook_errf(e, err, "cannot read blob sha256:%s: %m", hex);
                }
                if (n == 0)
                        break;
                digest_update(d, buf, (size_t)n);
        }
        digest_final(d, out);
        return 0;
}
