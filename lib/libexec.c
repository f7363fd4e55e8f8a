#include "lib/libexec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/strutil.h"

#ifndef NOOK_LIBEXECDIR
#define NOOK_LIBEXECDIR "/usr/libexec/nook"
#endif

char *helper_path(const char *name)
{
        char self[PATH_MAX], path[PATH_MAX + 64];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        if (STR_FMT(path, "%s/%s", self, name) == 0 && access(path, X_OK) == 0)
                                return strdup(path);
                }
        }
        if (STR_FMT(path, "%s/%s", NOOK_LIBEXECDIR, name) < 0)
                return NULL;
        return access(path, X_OK) == 0 ? strdup(path) : NULL;
}

char *helper_find(const char *name, struct nook_err *e)
{
        char *path = helper_path(name);

        if (!path)
                nook_errf(e, ENOENT, "%s is missing (looked beside nook and in %s): reinstall nook", name, NOOK_LIBEXECDIR);
        return path;
}

int helper_exec(const char *name, char **argv, struct nook_err *e)
{
        char *path = helper_find(name, e);

        if (!path)
                return -e->code;
        execv(path, argv);
        int err = errno;
        free(path);
        return nook_errf(e, err, "cannot run %s: %m", name);
}
