#include "cred/users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/launcher.h"
#include "lib/strutil.h"

const struct users_paths users_host = {
        "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/usr/bin/getent",
};

enum sources {
        SOURCES_FILES_ONLY,     /* `files` alone: what the files lack does not exist */
        SOURCES_FILES_FIRST,    /* `files`, then others: the files, then getent */
        SOURCES_OTHER,          /* anything else: getent */
};

bool nsswitch_sources(const char *nsswitch, const char *db, char *buf, size_t size)
{
        char line[1024];
        size_t len = strlen(db);
        bool found = false;
        FILE *f = fopen(nsswitch, "re");

        while (f && !found && fgets(line, sizeof(line), f)) {
                const char *p = line + strspn(line, " \t");
                found = strncmp(p, db, len) == 0 && p[len] == ':';
                if (found)
                        snprintf(buf, size, "%s", p + len + 1);
        }
        if (f)
                fclose(f);
        return found;
}

/* The database's line of nsswitch.conf. No line (or no file): glibc's
   default, files first as far as nook can tell; getent answers what the
   files lack. An action after `files` ([SUCCESS=continue]...) or `compat`
   first: getent, which knows what they mean. */
static enum sources nss_sources(const char *nsswitch, const char *db)
{
        char line[1024], *save = NULL;

        if (!nsswitch_sources(nsswitch, db, line, sizeof(line)))
                return SOURCES_FILES_FIRST;
        char *first = strtok_r(line, " \t\n", &save);
        char *next = first ? strtok_r(NULL, " \t\n", &save) : NULL;
        if (!first || strcmp(first, "files") != 0 || (next && next[0] == '['))
                return SOURCES_OTHER;
        return next && next[0] != '#' ? SOURCES_FILES_FIRST : SOURCES_FILES_ONLY;
}

/* What glibc's files backend passes over: blank lines, comments, and the
   +/- entries of the compat backend, which are no user or group of their
   own. The line from its first non-blank character, or NULL. */
static char *entry_line(char *line)
{
        line += strspn(line, " \t");
        return *line && *line != '\n' && *line != '#' && *line != '+' && *line != '-' ? line : NULL;
}

/* name:password:uid:gid:gecos:home:shell, or for a group name:password:gid:... */
static bool parse_user(char *line, struct user_entry *u)
{
        char *f[7];
        size_t n = 0;

        line[strcspn(line, "\n")] = '\0';
        for (char *p = line; p && n < 7; n++) {
                f[n] = p;
                p = strchr(p, ':');
                if (p)
                        *p++ = '\0';
        }
        uint64_t uid, gid;
        if (n < 7 || parse_u64(f[2], UINT32_MAX - 1, &uid) < 0 || parse_u64(f[3], UINT32_MAX - 1, &gid) < 0 ||
            STR_FMT(u->name, "%s", f[0]) < 0 || STR_FMT(u->home, "%s", f[5]) < 0 || !f[0][0])
                return false;
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        return true;
}

static bool parse_group(char *line, const char *name, gid_t *gid)
{
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        uint64_t v;

        if (!c2)
                return false;
        *c1 = '\0';
        char *end = strchr(c2 + 1, ':');
        if (end)
                *end = '\0';
        else
                c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        if (strcmp(line, name) != 0 || parse_u64(c2 + 1, UINT32_MAX - 1, &v) < 0)
                return false;
        *gid = (gid_t)v;
        return true;
}

/* What one lookup looks for, and where its answer goes. */
struct wanted {
        const char *name;       /* NULL: by uid */
        uid_t uid;
        struct user_entry *u;   /* NULL: a group, named name */
        gid_t *gid;
};

static bool entry_matches(char *line, const struct wanted *w)
{
        if (!w->u)
                return parse_group(line, w->name, w->gid);
        return parse_user(line, w->u) && (w->name ? strcmp(w->u->name, w->name) == 0 : w->u->uid == w->uid);
}

/* The first entry of a passwd or group file that matches. */
static bool file_find(const char *path, const struct wanted *w)
{
        char *line = NULL;
        size_t cap = 0;
        bool found = false;
        FILE *f = fopen(path, "re");

        while (f && !found && getline(&line, &cap, f) > 0) {
                char *entry = entry_line(line);
                found = entry && entry_matches(entry, w);
        }
        free(line);
        if (f)
                fclose(f);
        return found;
}

/* getent DB KEY: its one line, or false (exit 2: no such entry; anything
   else, it said nothing nook can use) */
static bool getent(const char *path, const char *db, const char *key, char *out, size_t size)
{
        /* "--": a key is never an option, even one that starts with '-' */
        char *argv[] = { (char *)path, (char *)db, "--", (char *)key, NULL };
        struct nook_err e = { 0 };

        return launcher_capture(argv, -1, 1, NULL, NULL, out, size, 10000, &e) == 0 && out[0];
}

/* The files when nsswitch.conf puts them first, getent when it says more
   (or other) sources may know. */
static bool lookup(const struct users_paths *paths, const struct wanted *w)
{
        const char *db = w->u ? "passwd" : "group";
        enum sources s = nss_sources(paths->nsswitch, db);
        char key[32], line[PATH_MAX + 1024];

        if (s != SOURCES_OTHER && file_find(w->u ? paths->passwd : paths->group, w))
                return true;
        if (s == SOURCES_FILES_ONLY || (!w->name && STR_FMT(key, "%u", (unsigned)w->uid) < 0))
                return false;
        return getent(paths->getent, db, w->name ? w->name : key, line, sizeof(line)) && entry_matches(line, w);
}

bool users_lookup(const struct users_paths *paths, const char *name, uid_t uid, struct user_entry *u)
{
        struct wanted w = { .name = name, .uid = uid, .u = u };

        memset(u, 0, sizeof(*u));
        return lookup(paths, &w);
}

bool groups_lookup(const struct users_paths *paths, const char *name, gid_t *gid)
{
        struct wanted w = { .name = name, .gid = gid };

        return lookup(paths, &w);
}

bool users_by_uid(uid_t uid, struct user_entry *u)
{
        return users_lookup(&users_host, NULL, uid, u);
}

bool users_by_name(const char *name, struct user_entry *u)
{
        return users_lookup(&users_host, name, 0, u);
}

bool groups_by_name(const char *name, gid_t *gid)
{
        return groups_lookup(&users_host, name, gid);
}
