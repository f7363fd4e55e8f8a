/* The loopback interface of a fresh network namespace starts down. */
#pragma once

#include "lib/err.h"

int loopback_up(struct nook_err *e);
