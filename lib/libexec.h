/* nook's own helper programs (nook-image, nook-squashfs): found beside the running nook
   (a build tree) or in the installed libexec directory. */
#pragma once

#include "lib/err.h"

/* The path of helper name, or NULL when it is nowhere to be found. */
char *helper_path(const char *name);

/* helper_path(), or NULL with e saying where it was looked for and what to
   do (reinstall nook). */
char *helper_find(const char *name, struct nook_err *e);

/* Replaces the process with helper name, argv given (argv[0] included).
   Returns only on failure, with e filled. */
int helper_exec(const char *name, char **argv, struct nook_err *e);
