/* nook learn --report: what the observer saw, for a person to read: the
   files by directory, the programs run, the devices, the destinations. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "sandbox/observe.h"

/* Text from the observed run (names, comm, arguments): a control character
   there could start a line of a profile or move a terminal's cursor, and
   is written as '?'. */
void learn_put_text(FILE *f, const char *s);

/* Whether path is a device node of the host's /dev (what Device= passes). */
bool learn_is_device(const char *path);

/* When the observer stopped keeping what it saw (OBS_MAX_*): one line,
   each of its parts after lead ("# " in a profile), saying how many uses
   were not kept and that what is written misses them. Nothing otherwise. */
void learn_put_over(FILE *f, const struct observed *o, const char *lead);

int learn_report_write(FILE *f, const struct observed *o, char *const *argv, struct nook_err *e);
