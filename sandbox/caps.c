#include "sandbox/caps.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int caps_drop_all(struct nook_err *e)
{
        /* Needs CAP_SETPCAP, so it comes before the sets are emptied. */
        unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;

        if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
                return nook_errf(e, errno, "cannot lock securebits: %m");
        for (int c = 0; c <= (int)cap_max_bits() + 1 && c < 64; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return nook_errf(e, errno, "cannot drop capability %d from the bounding set: %m", c);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nook_errf(e, errno, "cannot clear ambient capabilities: %m");
        cap_t none = cap_init();
        if (!none)
                return nook_errf(e, errno, "cannot drop capabilities: %m");
        int r = cap_set_proc(none);
        int saved = errno;
        cap_free(none);
        if (r < 0)
                return nook_errf(e, saved, "cannot drop capabilities: %m");
        return 0;
}
