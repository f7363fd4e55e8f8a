/* The pure part of digests, apart from the hashing: checking a digest's
   form costs no crypto library. */
#include "image/digest.h"

#include <string.h>

bool digest_valid(const char *d)
{
        if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != DIGEST_STR_LEN)
                return false;
        return strspn(d + 7, "0123456789abcdef") == DIGEST_HEX_LEN;
}

const char *digest_hex(const char *d)
{
        return d + 7;
}
