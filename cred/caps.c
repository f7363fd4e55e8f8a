#include "cred/caps.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int caps_drop_all(struct nook_err *e)
{
        return caps_keep_only(0, true, e);
}

int caps_keep_only(uint64_t keep, bool lock, struct nook_err *e)
{
        /* Needs CAP_SETPCAP, so it comes before the sets are emptied. An
           image's root keeps the usual rules instead, so that setuid() to
           _apt drops its capabilities as programs expect. */
        unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;

        if (prctl(PR_SET_SECUREBITS, lock ? bits : 0UL, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot set securebits: %m");
        for (int c = 0; c <= (int)cap_max_bits() + 1 && c < 64; c++)
                if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return nook_errf(e, errno, "cannot drop capability %d from the bounding set: %m", c);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nook_errf(e, errno, "cannot clear ambient capabilities: %m");
        cap_t set = cap_init();
        if (!set)
                return nook_errf(e, errno, "cannot drop capabilities: %m");
        for (int c = 0; c < 64; c++) {
                cap_value_t v = c;
                if (keep >> c & 1)
                        for (int f = CAP_EFFECTIVE; f <= CAP_INHERITABLE; f++)
                                cap_set_flag(set, (cap_flag_t)f, 1, &v, CAP_SET);
        }
        int r = cap_set_proc(set);
        int saved = errno;
        cap_free(set);
        if (r < 0)
                return nook_errf(e, saved, "cannot set capabilities: %m");
        /* ambient: what an unprivileged exec keeps */
        for (int c = 0; c < 64; c++)
                if (keep >> c & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return nook_errf(e, errno, "cannot keep capability %d: %m", c);
        return 0;
}
