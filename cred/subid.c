#include "cred/subid.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <shadow/subid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strutil.h"

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

/* libsubid is opened only when an image needs ids: linked, it would bring
   PAM, SELinux and audit libraries into every start of nook. */
struct subid_api {
        bool (*init)(const char *, FILE *);
        int (*uid_ranges)(const char *, struct subid_range **);
        int (*gid_ranges)(const char *, struct subid_range **);
};

static int load_subid(struct subid_api *api, struct nook_err *e)
{
        void *h = dlopen("libsubid.so.4", RTLD_NOW | RTLD_LOCAL);

        if (!h)
                return nook_errf(e, ENOENT, "cannot look up subordinate ids: libsubid is missing (apt-get install libsubid4)");
        api->init = (bool (*)(const char *, FILE *))dlsym(h, "subid_init");
        api->uid_ranges = (int (*)(const char *, struct subid_range **))dlsym(h, "subid_get_uid_ranges");
        api->gid_ranges = (int (*)(const char *, struct subid_range **))dlsym(h, "subid_get_gid_ranges");
        if (!api->init || !api->uid_ranges || !api->gid_ranges)
                return nook_errf(e, ENOENT, "cannot look up subordinate ids: libsubid.so.4 lacks its functions");
        return 0;
}

/* True when /etc/nsswitch.conf names a source for subordinate ids (sssd,
   say): only then is libsubid needed to find them. */
static bool nss_has_subid(void)
{
        char line[512];
        bool found = false;
        FILE *f = fopen("/etc/nsswitch.conf", "re");

        while (f && fgets(line, sizeof(line), f)) {
                const char *p = line + strspn(line, " \t");
                if (strncmp(p, "subid:", 6) == 0)
                        found = true;
        }
        if (f)
                fclose(f);
        return found;
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

int subid_lookup(const char *user, uid_t uid, gid_t gid, struct subid_pair *out, struct nook_err *e)
{
        struct subid_range *ur = NULL, *gr = NULL;
        struct subid_api api = { 0 };
        FILE *devnull = NULL;
        int nu, ng, r;

        memset(out, 0, sizeof(*out));
        if (!nss_has_subid()) {
                nu = read_subid_file("/etc/subuid", user, uid, &ur);
                ng = read_subid_file("/etc/subgid", user, gid, &gr);
        } else {
                r = load_subid(&api, e);
                if (r < 0)
                        return r;
                /* libsubid logs to stderr by default; we report ourselves */
                devnull = fopen("/dev/null", "we");
                api.init("nook", devnull ? devnull : stderr);
                nu = api.uid_ranges(user, &ur);
                ng = api.gid_ranges(user, &gr);
        }
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
