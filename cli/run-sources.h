/* The plan's bind sources made exact before the sandbox starts: pid 1
   opens each without following any symbolic link, so that a link put on
   the way meanwhile (by another user in a shared directory, or by a
   sandbox that may write there) makes the start fail instead of showing
   something else. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "sandbox/plan.h"
#include "spec/host.h"
#include "spec/spec.h"

/* Every bind source of p replaced by its real path (the parent's, for a
   source that is copied as a link: STEP_LINK); one that does not exist
   (yet) by the real path of the deepest directory above it that does and
   the rest as written, without "." (a ".." there is refused: nothing
   tells what it would lead to); a BindTry= through a link that leads
   nowhere dropped. A source that was its real path when the plan was
   made (STEP_EXACT: the working directory, the user's binds, the home) is
   left as the plan judged it. Refused: a source that leads elsewhere than
   when the plan was made, to the home or nook's own files (spec->protect,
   the run directories), which the plan's checks compared as text; a device
   (STEP_DEV) whose real path is not under /dev, or is neither a device
   node nor a directory of /dev's own file system. */
int run_pin_sources(struct plan *p, const struct nook_spec *spec, const struct host_facts *h, struct nook_err *e);

/* A device nook binds: a character or block device, or a directory of
   /dev's own file system (/dev/dri, /dev/snd), not another file system
   mounted there (/dev/pts holds the user's other terminals). */
bool run_device_kind_ok(const struct stat *st);
