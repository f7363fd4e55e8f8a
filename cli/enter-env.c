#include "cli/enter-env.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"

/* The length of NAME in "NAME=value" (the whole string when it has no '='). */
static size_t name_len(const char *var)
{
        const char *eq = strchr(var, '=');

        return eq ? (size_t)(eq - var) : strlen(var);
}

/* NAME, or PREFIX* for every name that starts so (SLURM_*). */
static bool in_list(const char *list, const char *name, size_t len)
{
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ",");
                if (n == len && strncmp(p, name, len) == 0)
                        return true;
                if (n > 0 && p[n - 1] == '*' && n - 1 <= len && strncmp(p, name, n - 1) == 0)
                        return true;
                p += n + (p[n] == ',');
        }
        return false;
}

/* The index in env of the variable named var's name, or -1. */
static long find_var(char *const *env, const char *var)
{
        size_t len = name_len(var);

        for (long i = 0; env && env[i]; i++)
                if (name_len(env[i]) == len && strncmp(env[i], var, len) == 0)
                        return i;
        return -1;
}

int enter_env_merge(char ***env, char *const *caller, const char *keep, struct nook_err *e)
{
        size_t n = 0;

        while (*env && (*env)[n])
                n++;
        for (size_t i = 0; caller && caller[i]; i++) {
                const char *var = caller[i];
                if (!strchr(var, '='))
                        continue;
                long at = find_var(*env, var);
                if (at < 0) {
                        if (strv_push(env, &n, var) < 0)
                                return nook_errf(e, ENOMEM, "out of memory");
                        continue;
                }
                if (!in_list(keep, var, name_len(var)))
                        continue;
                char *copy = strdup(var);
                if (!copy)
                        return nook_errf(e, ENOMEM, "out of memory");
                free((*env)[at]);
                (*env)[at] = copy;
        }
        return 0;
}
