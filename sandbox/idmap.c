#include "sandbox/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/cleanup.h"

static int write_at(int dirfd, const char *file, const char *text, struct nook_err *e)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);

        if (fd < 0)
                return nook_errf(e, errno, "cannot map ids: open %s: %m", file);
        if (write(fd, text, len) != (ssize_t)len)
                return nook_errf(e, errno, "cannot map ids: writing '%.*s' to %s: %m",
                                 (int)strcspn(text, "\n"), text, file);
        return 0;
}

int idmap_write_single(pid_t child, uid_t uid_in, uid_t uid_out, gid_t gid_in, gid_t gid_out,
                       struct nook_err *e)
{
        char path[64], line[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d", (int)child);
        _cleanup_close_ int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot map ids: %s: %m", path);
        r = write_at(dir, "setgroups", "deny", e);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid_in, (unsigned)uid_out);
        r = write_at(dir, "uid_map", line, e);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid_in, (unsigned)gid_out);
        return write_at(dir, "gid_map", line, e);
}
