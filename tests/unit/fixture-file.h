/* A fixture file written whole; the test fails if it cannot be. Included
   after cmocka.h. */
#pragma once

#include <stdio.h>

static inline void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}
