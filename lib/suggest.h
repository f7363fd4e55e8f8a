/* "did you mean" hints for options and profile keys. */
#pragma once

#include <stddef.h>

/* The candidate closest to word by edit distance, or NULL when none is close
   enough to be a plausible typo. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);

/* Up to max candidates close to word (plausible typos, or names word starts),
   the closest first, each once, into out. Returns how many. */
size_t suggest_near(const char *word, const char *const *candidates, size_t n, const char **out, size_t max);
