#include "sandbox/subid.h"

#include <errno.h>
#include <shadow/subid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBID_WANTED 65535UL

static int pick(struct subid_range *r, int n, unsigned long own, const char *what, const char *user,
                unsigned long *start, unsigned long *count, struct nook_err *e)
{
        *count = 0;
        for (int i = 0; i < n; i++) {
                if (r[i].count == 0)
                        continue;
                if (own >= r[i].start && own - r[i].start < r[i].count)
                        return nook_errf(e, EINVAL, "the %s range %lu-%lu of %s contains your own id %lu; refusing it (ask an admin to fix /etc/%s)",
                                         what, r[i].start, r[i].start + r[i].count - 1, user, own, what);
                if (r[i].count > *count) {
                        *start = r[i].start;
                        *count = r[i].count < SUBID_WANTED ? r[i].count : SUBID_WANTED;
                }
        }
        return 0;
}

int subid_lookup(const char *user, uid_t uid, gid_t gid, struct subid_pair *out, struct nook_err *e)
{
        struct subid_range *ur = NULL, *gr = NULL;
        int nu, ng, r;

        memset(out, 0, sizeof(*out));
        /* libsubid logs to stderr by default; we report ourselves */
        FILE *devnull = fopen("/dev/null", "we");
        subid_init("nook", devnull ? devnull : stderr);
        nu = subid_get_uid_ranges(user, &ur);
        ng = subid_get_gid_ranges(user, &gr);
        r = pick(ur, nu > 0 ? nu : 0, uid, "subuid", user, &out->uid_start, &out->uid_count, e);
        if (r == 0)
                r = pick(gr, ng > 0 ? ng : 0, gid, "subgid", user, &out->gid_start, &out->gid_count, e);
        free(ur);
        free(gr);
        if (devnull)
                fclose(devnull);
        if (r < 0)
                return r;
        out->found = out->uid_count > 0 && out->gid_count > 0;
        return 0;
}
