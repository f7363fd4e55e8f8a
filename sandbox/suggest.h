/* "did you mean" hints for options and profile keys. */
#pragma once

#include <stddef.h>

/* The candidate closest to word by edit distance, or NULL when none is close
   enough to be a plausible typo. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);
