/* nook learn --report: what the observer saw, for a person to read: the
   files by directory, the programs run, the devices, the destinations. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "sandbox/observe.h"

/* Whether path is a device node of the host's /dev (what Device= passes). */
bool learn_is_device(const char *path);

int learn_report_write(FILE *f, const struct observed *o, char *const *argv, struct nook_err *e);
