/* What the command may do with root's powers inside, decided from the spec
   alone: the calls root in an image is let make, the capabilities a spec
   may not keep. */
#include "spec/privileges.h"

#include <errno.h>
#include <stdint.h>
#include <linux/capability.h>

#include "lib/strutil.h"

static bool keeps(const struct nook_spec *s, int cap)
{
        return s->caps_set && (s->caps_keep >> cap & 1);
}

bool spec_image_root_may_chroot(const struct nook_spec *s)
{
        return s->n_layers && !s->uid_set && !(s->run_as_set && s->run_uid != 0) && !s->caps_set;
}

int spec_allow_image_root_chroot(struct nook_spec *s, struct nook_err *e)
{
        if (spec_image_root_may_chroot(s) && strv_push(&s->syscall_allow, &s->n_syscall_allow, "chroot") < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

int spec_check_caps(const struct nook_spec *s, bool nests_userns, struct nook_err *e)
{
        /* the mounts that keep nook's profiles and state out of reach hold
           because the command cannot undo them */
        if (keeps(s, CAP_SYS_ADMIN) && s->seccomp == SPEC_SECCOMP_NONE)
                return nook_errf(e, EPERM, "CAP_SYS_ADMIN with Seccomp=none would let the sandbox unmount what keeps nook's profiles out of its reach: keep the filter or drop the capability");
        /* the rules hold because the command cannot change them, nor send
           past them: a packet socket writes frames to tap0 below every
           inet hook, where no rule sees them */
        bool out = s->slirp || s->pasta;
        bool guarded = s->n_net_rules || (out && !s->host_loopback);
        if (guarded && keeps(s, CAP_NET_ADMIN))
                return nook_errf(e, EPERM, "CAP_NET_ADMIN would let the sandbox remove its egress rules: drop it from Capabilities= or the rules");
        if (guarded && keeps(s, CAP_NET_RAW))
                return nook_errf(e, EPERM, "CAP_NET_RAW would let the sandbox send raw frames past its egress rules and the guard of the host's loopback: drop it from Capabilities=, or the rules (no Allow=/Deny=, AllowHostLoopback=yes)");
        /* the command's user namespace then sits below the one that owns
           the sandbox's network and mounts (launch.c): what it kept would
           act on nothing there */
        if (nests_userns && s->caps_set && s->caps_keep)
                return nook_errf(e, EINVAL, "Capabilities= cannot be kept in a host sandbox with Mode=slirp: they would not reach its network or mounts (use Mode=pasta, an image, or --uid 0)");
        return 0;
}
