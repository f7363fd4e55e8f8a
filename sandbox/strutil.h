/* Small parsers shared by the CLI and the profile parser. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "512", "64K", "256M", "1G", "2T" (powers of 1024; an optional trailing
   "B" or "iB" is accepted). -EINVAL when it is not a size, -ERANGE when it
   is over 2^63. */
int parse_size(const char *s, uint64_t *out);

/* A decimal number in [0, max]. -EINVAL when not a number, -ERANGE above max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/* An absolute path with "//" and "/./" folded and no trailing "/"; a ".."
   component is refused (-EINVAL) rather than resolved, since the sandbox
   root is not the host's. Returns a new string or NULL with errno set. */
char *path_normalize(const char *p);

bool str_has_prefix(const char *s, const char *prefix);

/* True when path is base or below it ("/usr" covers "/usr/lib", not "/usrx"). */
bool path_is_below(const char *path, const char *base);
