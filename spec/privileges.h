/* What the command may do with root's powers inside, decided from the spec
   alone (no host, no kernel): the calls root in an image is let make, and
   the capabilities a spec may not keep because they would undo one of
   nook's guards. Unit-tested in tests/unit/test-spec.c. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "spec/spec.h"

/* Root in an image, with the capabilities it has by default there, holds
   CAP_SYS_CHROOT, as in podman: true when the seccomp filter should let it
   use it. Not when --uid, the image's User= or Capabilities= says otherwise. */
bool spec_image_root_may_chroot(const struct nook_spec *s);
/* Adds chroot to the calls the filter allows when the above holds. */
int spec_allow_image_root_chroot(struct nook_spec *s, struct nook_err *e);

/* Refuses a Capabilities= that would let the command remove what guards
   it: CAP_SYS_ADMIN without the seccomp filter (the mounts that keep
   nook's files out of reach), CAP_NET_ADMIN or CAP_NET_RAW beside egress
   rules or the guard of the host's loopback. nests_userns: the command's
   user namespace sits below the one that owns the sandbox's network and
   mounts (a host sandbox with Mode=slirp, launch_nests_userns), where
   capabilities would act on nothing. 0, or -EPERM/-EINVAL with e filled. */
int spec_check_caps(const struct nook_spec *s, bool nests_userns, struct nook_err *e);
