/* nook learn --update FILE: what a new run used, merged into a profile
   the user may have edited. */
#pragma once

#include "cli/learn-profile.h"
#include "lib/err.h"

/* Adds to the profile at path the lines of learnt (a profile as
   learn_profile_write makes it) that it lacks, each under its section
   (made at the end if missing) with the comments above it and a heading
   naming argv[0]; the user's lines stay as they are, in their order. A
   bind is not added below one that gives as much; a key given once
   (Mode=, Cwd=) keeps the user's value, said on stderr; [Profile] is the
   user's. Binds compare as paths, lf's variables replaced. Written to a new
   file renamed over the old. */
int learn_update(const char *path, const char *learnt, char *const *argv, const struct learn_facts *lf,
                 struct nook_err *e);
