#include "profiles/vars.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred/users.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/suggest.h"

static const char *const names[VAR_COUNT + 1] = {
        [VAR_HOME] = "HOME", [VAR_USER] = "USER", [VAR_UID] = "UID", [VAR_GID] = "GID",
        [VAR_XDG_RUNTIME_DIR] = "XDG_RUNTIME_DIR", [VAR_XDG_CONFIG_HOME] = "XDG_CONFIG_HOME",
        [VAR_XDG_DATA_HOME] = "XDG_DATA_HOME", [VAR_XDG_CACHE_HOME] = "XDG_CACHE_HOME",
        [VAR_DOWNLOADS] = "DOWNLOADS", [VAR_CWD] = "CWD", [VAR_COUNT] = "PROFILE_DIR",
};

static char *xdg(const char *env, const char *home, const char *fallback)
{
        const char *v = getenv(env);
        char *out = NULL;

        /* the XDG spec: a relative value is invalid and is ignored */
        if (v && v[0] == '/')
                return strdup(v);
        if (asprintf(&out, "%s/%s", home, fallback) < 0)
                return NULL;
        return out;
}

/* XDG_DOWNLOAD_DIR="$HOME/Downloads" from user-dirs.dirs, else ~/Downloads. */
static char *downloads(const char *config, const char *home)
{
        _cleanup_free_ char *path = NULL, *line = NULL;
        char *out = NULL;
        size_t cap = 0;

        if (asprintf(&path, "%s/user-dirs.dirs", config) < 0) {
                path = NULL;
                return NULL;
        }
        /* each line whole: a cut one would name another directory */
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        while (f && getline(&line, &cap, f) > 0) {
                const char *key = "XDG_DOWNLOAD_DIR=\"";
                if (strncmp(line, key, strlen(key)) != 0)
                        continue;
                char *v = line + strlen(key);
                v[strcspn(v, "\"")] = '\0';
                if (strncmp(v, "$HOME/", 6) == 0) {
                        if (asprintf(&out, "%s/%s", home, v + 6) < 0)
                                return NULL;
                        return out;
                }
                if (v[0] == '/')
                        return strdup(v);
        }
        if (asprintf(&out, "%s/Downloads", home) < 0)
                return NULL;
        return out;
}

int vars_init(struct vars *vs, const struct host_facts *h, struct nook_err *e)
{
        char buf[24];
        const char *user = getenv("USER");
        struct user_entry pw;

        memset(vs, 0, sizeof(*vs));
        if (!user || !*user) {
                user = users_by_uid(h->uid, &pw) ? pw.name : NULL;
        }
        if (!user) {
                if (STR_FMT(buf, "%u", (unsigned)h->uid) < 0)
                        return nook_errf(e, ENAMETOOLONG, "uid %u does not fit in its buffer", (unsigned)h->uid);
                user = buf;
        }
        vs->v[VAR_HOME] = strdup(h->home);
        vs->v[VAR_USER] = strdup(user);
        if (asprintf(&vs->v[VAR_UID], "%u", (unsigned)h->uid) < 0)
                vs->v[VAR_UID] = NULL;
        if (asprintf(&vs->v[VAR_GID], "%u", (unsigned)h->gid) < 0)
                vs->v[VAR_GID] = NULL;
        const char *rt = getenv("XDG_RUNTIME_DIR");
        if (rt && rt[0] == '/')
                vs->v[VAR_XDG_RUNTIME_DIR] = strdup(rt);
        else if (asprintf(&vs->v[VAR_XDG_RUNTIME_DIR], "/run/user/%u", (unsigned)h->uid) < 0)
                vs->v[VAR_XDG_RUNTIME_DIR] = NULL;
        vs->v[VAR_XDG_CONFIG_HOME] = xdg("XDG_CONFIG_HOME", h->home, ".config");
        vs->v[VAR_XDG_DATA_HOME] = xdg("XDG_DATA_HOME", h->home, ".local/share");
        vs->v[VAR_XDG_CACHE_HOME] = xdg("XDG_CACHE_HOME", h->home, ".cache");
        vs->downloads = calloc(1, sizeof(*vs->downloads));
        if (!vs->downloads)
                return nook_errf(e, ENOMEM, "out of memory");
        /* CWD may be unset when the current directory is gone: then using
           ${CWD} is the error, not starting nook */
        if (h->cwd)
                vs->v[VAR_CWD] = strdup(h->cwd);
        for (int i = 0; i < VAR_COUNT; i++)
                if (!vs->v[i] && i != VAR_CWD && i != VAR_DOWNLOADS)
                        return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

void vars_free(struct vars *vs)
{
        for (int i = 0; i < VAR_COUNT; i++)
                free(vs->v[i]);
        if (vs->downloads)
                free(*vs->downloads);
        free(vs->downloads);
        memset(vs, 0, sizeof(*vs));
}

static int put(struct buf *b, const char *s, size_t n)
{
        return buf_appendf(b, "%.*s", (int)n, s);
}

/* NULL with *oom set when ${DOWNLOADS} could not be made. */
static const char *lookup(const struct vars *vs, const char *profile_dir, const char *name, size_t n, bool *oom)
{
        for (int i = 0; i <= VAR_COUNT; i++) {
                if (strlen(names[i]) != n || strncmp(names[i], name, n) != 0)
                        continue;
                if (i == VAR_COUNT)
                        return profile_dir;
                if (i != VAR_DOWNLOADS || !vs->downloads)
                        return vs->v[i];
                if (!*vs->downloads)
                        *vs->downloads = downloads(vs->v[VAR_XDG_CONFIG_HOME], vs->v[VAR_HOME]);
                *oom = !*vs->downloads;
                return *vs->downloads;
        }
        return NULL;
}

static int unknown(const char *name, size_t n, const char *in, struct nook_err *e)
{
        _cleanup_free_ char *word = strndup(name, n);
        if (!word)
                return nook_errf(e, ENOMEM, "out of memory");
        const char *hint = suggest_closest(word, names, VAR_COUNT + 1);
        if (hint)
                return nook_errf(e, EINVAL, "unknown variable ${%s} in '%s' (did you mean ${%s}?)", nook_val(word), nook_val(in), hint);
        return nook_errf(e, EINVAL, "unknown variable ${%s} in '%s' (known: HOME USER UID GID XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME DOWNLOADS CWD PROFILE_DIR)",
                         nook_val(word), nook_val(in));
}

int vars_expand(const struct vars *vs, const char *profile_dir, const char *in, char **out, struct nook_err *e)
{
        struct buf b = { 0 };
        const char *p = in;
        int r = put(&b, "", 0);

        while (r == 0 && *p) {
                /* "~/" starts a value, a PATH element or an assignment's value */
                bool at_start = p == in || p[-1] == ':' || p[-1] == '=';
                if (at_start && p[0] == '~' && (p[1] == '/' || p[1] == '\0' || p[1] == ':')) {
                        r = put(&b, vs->v[VAR_HOME], strlen(vs->v[VAR_HOME]));
                        p++;
                } else if (p[0] == '$' && p[1] == '$') {
                        r = put(&b, "$", 1);
                        p += 2;
                } else if (p[0] == '$' && p[1] == '{') {
                        const char *end = strchr(p + 2, '}');
                        if (!end) {
                                buf_free(&b);
                                return nook_errf(e, EINVAL, "unterminated ${ in '%s'", nook_val(in));
                        }
                        size_t n = (size_t)(end - (p + 2));
                        bool oom = false;
                        const char *v = lookup(vs, profile_dir, p + 2, n, &oom);
                        if (!v) {
                                buf_free(&b);
                                if (oom)
                                        return nook_errf(e, ENOMEM, "out of memory");
                                if (n == 3 && strncmp(p + 2, "CWD", 3) == 0)
                                        return nook_errf(e, ENOENT, "${CWD} in '%s' is not set: the current directory is gone", nook_val(in));
                                return unknown(p + 2, n, in, e);
                        }
                        r = put(&b, v, strlen(v));
                        p = end + 1;
                } else {
                        r = put(&b, p, 1);
                        p++;
                }
        }
        if (r < 0) {
                buf_free(&b);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        *out = b.p;
        return 0;
}
