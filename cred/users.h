/* The password and group databases, looked up without loading an NSS
   module into nook's process: /etc/passwd and /etc/group read here when
   /etc/nsswitch.conf puts `files` first (glibc would answer from them),
   and getent(1) asked otherwise, or when the files lack the entry (sssd,
   LDAP, systemd's users). A module loaded into a static nook would run
   with a libc of its own, which is not reliable; and every start that
   does not ask pays nothing for them. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct user_entry {
        uid_t uid;
        gid_t gid;
        char name[256];
        char home[PATH_MAX];
};

/* Where the lookups read: the host's files and getent; tests point them
   elsewhere. */
struct users_paths {
        const char *nsswitch, *passwd, *group, *getent;
};
extern const struct users_paths users_host;

/* true when found; false when not, or when no answer came (getent missing
   or silent): what the caller does without the entry */
bool users_by_uid(uid_t uid, struct user_entry *u);
bool users_by_name(const char *name, struct user_entry *u);
bool groups_by_name(const char *name, gid_t *gid);

/* The sources nsswitch.conf (at that path) lists for db, in buf: false
   when it has no line for it. */
bool nsswitch_sources(const char *nsswitch, const char *db, char *buf, size_t size);

/* The same, read where paths says */
bool users_lookup(const struct users_paths *paths, const char *name, uid_t uid, struct user_entry *u);
bool groups_lookup(const struct users_paths *paths, const char *name, gid_t *gid);
