#include "cred/caps.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
        /* the sets through the system call itself: nothing allocated, so
           that a child sharing nook's memory may call this (launcher_spawn) */
        struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct sets[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
        for (int c = 0; c < 64; c++) {
                if (!(keep >> c & 1))
                        continue;
                sets[c / 32].effective |= 1u << (c % 32);
                sets[c / 32].permitted |= 1u << (c % 32);
                sets[c / 32].inheritable |= 1u << (c % 32);
        }
        if (syscall(SYS_capset, &head, sets) < 0)
                return nook_errf(e, errno, "cannot set capabilities: %m");
        /* ambient: what an unprivileged exec keeps */
        for (int c = 0; c < 64; c++)
                if (keep >> c & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return nook_errf(e, errno, "cannot keep capability %d: %m", c);
        return 0;
}
