#include "cred/subid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cred/users.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

#define SUBID_WANTED 65535UL

#define SUBID_TOOL "/usr/bin/getsubids"

struct subid_range {
        unsigned long start, count;
};

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

/* True when /etc/nsswitch.conf names a source for subordinate ids (sssd,
   say): only then is libsubid needed to find them, through getsubids. */
static bool nss_has_subid(const char *nsswitch)
{
        char sources[512];

        return nsswitch_sources(nsswitch, "subid", sources, sizeof(sources));
}

/* The ranges of /etc/subuid or /etc/subgid for user (by name or uid), read
   as libsubid's files backend reads them, without loading it and the PAM
   and SELinux libraries it brings: a start-up cost of every image run. */
static int read_subid_file(const char *path, const char *user, unsigned long own, struct subid_range **out)
{
        char line[512], ownstr[32];
        int n = 0;
        FILE *f = fopen(path, "re");

        *out = NULL;
        if (STR_FMT(ownstr, "%lu", own) < 0)
                ownstr[0] = '\0';      /* cannot happen: 20 digits at most */
        while (f && fgets(line, sizeof(line), f)) {
                char name[256];
                unsigned long start, count;
                if (line[0] == '#' || sscanf(line, "%255[^:]:%lu:%lu", name, &start, &count) != 3)
                        continue;
                if (strcmp(name, user) != 0 && strcmp(name, ownstr) != 0)
                        continue;
                struct subid_range *v = reallocarray(*out, (size_t)n + 1, sizeof(*v));
                if (!v)
                        break;
                *out = v;
                v[n++] = (struct subid_range){ start, count };
        }
        if (f)
                fclose(f);
        return n;
}

/* getsubids(1) (shadow's, beside newuidmap: libsubid and the NSS module
   nsswitch.conf names, in a process of their own): "N: USER START COUNT"
   a line. Nothing when the user has no range (it exits 1). */
static int read_subid_tool(bool gids, const char *user, struct subid_range **out)
{
        /* it knows no "--": a name that looks like an option is not asked */
        char *uid_argv[] = { SUBID_TOOL, (char *)user, NULL };
        char *gid_argv[] = { SUBID_TOOL, "-g", (char *)user, NULL };
        char text[8192];
        struct nook_err e = { 0 };
        int n = 0;

        *out = NULL;
        if (user[0] == '-' || launcher_capture(gids ? gid_argv : uid_argv, -1, 1, NULL, NULL, text, sizeof(text), 10000, &e) != 0)
                return 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned long start, count;
                if (sscanf(line, "%*u: %*s %lu %lu", &start, &count) != 2)
                        continue;
                struct subid_range *v = reallocarray(*out, (size_t)n + 1, sizeof(*v));
                if (!v)
                        break;
                *out = v;
                v[n++] = (struct subid_range){ start, count };
        }
        return n;
}

int subid_lookup_with(const char *nsswitch, const char *user, uid_t uid, gid_t gid, struct subid_pair *out,
                      struct nook_err *e)
{
        struct subid_range *ur = NULL, *gr = NULL;
        int nu, ng, r;

        memset(out, 0, sizeof(*out));
        if (!nss_has_subid(nsswitch)) {
                nu = read_subid_file("/etc/subuid", user, uid, &ur);
                ng = read_subid_file("/etc/subgid", user, gid, &gr);
        } else {
                if (access(SUBID_TOOL, X_OK) < 0)
                        return nook_errf(e, ENOENT, "cannot look up subordinate ids: nsswitch.conf names a subid source, and %s, which asks it, is missing (apt-get install uidmap)",
                                         SUBID_TOOL);
                nu = read_subid_tool(false, user, &ur);
                ng = read_subid_tool(true, user, &gr);
        }
        r = pick(ur, nu > 0 ? nu : 0, uid, "subuid", user, &out->uid_start, &out->uid_count, e);
        if (r == 0)
                r = pick(gr, ng > 0 ? ng : 0, gid, "subgid", user, &out->gid_start, &out->gid_count, e);
        free(ur);
        free(gr);
        if (r < 0)
                return r;
        out->found = out->uid_count > 0 && out->gid_count > 0;
        return 0;
}

int subid_lookup(const char *user, uid_t uid, gid_t gid, struct subid_pair *out, struct nook_err *e)
{
        return subid_lookup_with("/etc/nsswitch.conf", user, uid, gid, out, e);
}
