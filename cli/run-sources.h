/* The plan's bind sources made exact before the sandbox starts: pid 1
   opens each without following any symbolic link, so that a link put on
   the way meanwhile (by another user in a shared directory, or by a
   sandbox that may write there) makes the start fail instead of showing
   something else. */
#pragma once

#include "lib/err.h"
#include "sandbox/plan.h"

/* Every bind source of p replaced by its real path (the parent's, for a
   source that is copied as a link: STEP_LINK); one that does not exist
   (yet) by the real path of the deepest directory above it that does and
   the rest as written, without "." (a ".." there is refused: nothing
   tells what it would lead to). A device (STEP_DEV) whose real path is
   not under /dev is refused. */
int run_pin_sources(struct plan *p, struct nook_err *e);
