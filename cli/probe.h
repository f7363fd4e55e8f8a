/* Facts about this host that `nook doctor` judges and `nook info` lists:
   tried, not assumed (a user namespace made, overlayfs mounted in it), in
   a child that changes nothing here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Runs fn in a forked child; its exit status (0: it worked), or -1. */
int probe_in_child(int (*fn)(void));
/* For probe_in_child: 0 when an unprivileged user namespace can be made,
   else the errno. */
int probe_userns(void);
/* For probe_in_child: kernel overlayfs in a user and mount namespace of its
   own. 0: it mounts; 1: no namespace or tmpfs; 2: overlay refused. */
int probe_overlay(void);
/* Setuid root or with file capabilities (newuidmap can map ranges). */
bool probe_setuid_or_capable(const char *path);
/* The first line prog prints for --version, or "" when it does not run. */
void probe_version(const char *prog, char *buf, size_t size);
/* prog is an executable in $PATH. */
bool probe_on_path(const char *prog);
/* The device can be opened read-write. */
bool probe_device_usable(const char *dev);
/* The path of prog in $PATH (to free), or NULL. */
char *probe_which(const char *prog);
/* The line of `path --version` (stdout and stderr, the first 4 KiB) that
   names prog and a number: "fuse-overlayfs: version 1.10", not libfuse's
   line before it. "" when none does. */
void probe_version_named(const char *prog, const char *path, char *buf, size_t size);

/* Ubuntu's kernel.apparmor_restrict_unprivileged_userns is 1: user
   namespaces lose their capabilities unless a profile allows them. */
bool probe_apparmor_restricts_userns(void);
