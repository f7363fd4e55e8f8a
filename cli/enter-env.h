/* nook enter --caller-env: the caller's environment added to the one the
   sandbox's command started with. */
#pragma once

#include "lib/err.h"

/* Adds to *env (NULL-terminated, grown with strv_push) every variable of
   caller that *env does not set; a variable named in keep (NAME,NAME...,
   PREFIX* for all that start so, or NULL) takes the caller's value even
   where *env sets it. */
int enter_env_merge(char ***env, char *const *caller, const char *keep, struct nook_err *e);
