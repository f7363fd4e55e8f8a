/* nook learn --update FILE: what a new run used, merged into a profile
   the user may have edited. */
#pragma once

#include "cli/learn-profile.h"
#include "lib/err.h"

/* The profile --update merges into, opened before the learnt command
   runs: a regular file (a link to one is the user's choice, made before
   the run), never a fifo. What nook reads afterwards is that file: a link
   the command puts at path meanwhile (to a file only nook could read, or
   to nook's own /proc/self/environ) is not followed. *fd: close-on-exec. */
int learn_update_open(const char *path, int *fd, struct nook_err *e);

/* Adds to the profile at path (read from fd, learn_update_open's) the lines of learnt (a profile as
   learn_profile_write makes it) that it lacks, each under its section
   (made at the end if missing) with the comments above it and a heading
   naming argv[0]; the user's lines stay as they are, in their order. A
   bind is not added below one that gives as much; a key given once
   (Mode=, Cwd=) keeps the user's value, said on stderr; [Profile] is the
   user's. Binds compare as paths, lf's variables replaced. Written to a new
   file renamed over the old. */
int learn_update(const char *path, int fd, const char *learnt, char *const *argv, const struct learn_facts *lf,
                 struct nook_err *e);
