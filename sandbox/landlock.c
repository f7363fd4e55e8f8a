#include "sandbox/landlock.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's ABI, spelled here: Debian 12's headers predate ABI 4. */
struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;    /* ABI 4 */
        uint64_t scoped;                /* ABI 6 */
};

struct ll_net_port_attr {
        uint64_t allowed_access;
        uint64_t port;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_NET_PORT 2
#define LL_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LL_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1
#define LL_ACCESS_FS_EXECUTE (1ULL << 0)
#define LL_ACCESS_FS_READ_FILE (1ULL << 2)

struct ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* Ranges are expanded port by port: keep a rule set sane. */
#define MAX_PORTS 4096

int landlock_abi(void)
{
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        return v < 0 ? 0 : (int)v;
}

bool landlock_net_applies(const struct nook_spec *s)
{
        return s->share_net && s->n_net_rules;
}

static bool any_address(const char *cidr)
{
        return strcmp(cidr, "0.0.0.0/0") == 0 || strcmp(cidr, "::/0") == 0;
}

int landlock_check_net(const struct nook_spec *s, struct nook_err *e)
{
        int abi = landlock_abi();
        unsigned ports = 0;

        if (abi < 4)
                return nook_errf(e, ENOTSUP, "Allow= with Mode=host needs Landlock network rules (ABI 4, Linux 6.7); this kernel has %s (use Mode=slirp)",
                                 abi ? "an older ABI" : "no Landlock");
        for (size_t i = 0; i < s->n_net_rules; i++) {
                const struct net_rule *r = &s->net_rules[i];
                if (!r->allow)
                        return nook_errf(e, ENOTSUP, "Deny= with Mode=host cannot be enforced (Landlock only allows); use Mode=slirp");
                if (!any_address(r->cidr))
                        return nook_errf(e, ENOTSUP, "Allow=%s with Mode=host: Landlock limits ports, not addresses (write 0.0.0.0/0:PORT, or use Mode=slirp)",
                                         r->cidr);
                if (r->proto == 17 || !r->port_lo)
                        return nook_errf(e, ENOTSUP, "Allow= with Mode=host takes TCP ports only (0.0.0.0/0:PORT/tcp), or use Mode=slirp");
                ports += r->port_hi - r->port_lo + 1;
        }
        if (ports > MAX_PORTS)
                return nook_errf(e, E2BIG, "Allow= with Mode=host names %u ports; at most %d", ports, MAX_PORTS);
        return 0;
}

int landlock_restrict_net(const struct nook_spec *s, struct nook_err *e)
{
        int r = landlock_check_net(s, e);
        if (r < 0)
                return r;
        struct ll_ruleset_attr attr = {
                .handled_access_net = LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP,
                .scoped = landlock_abi() >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET : 0,
        };
        size_t size = attr.scoped ? sizeof(attr) : offsetof(struct ll_ruleset_attr, scoped);
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return nook_errf(e, errno, "cannot create the Landlock rules: %m");
        for (size_t i = 0; i < s->n_net_rules; i++)
                for (unsigned p = s->net_rules[i].port_lo; p <= s->net_rules[i].port_hi; p++) {
                        struct ll_net_port_attr na = { LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP, p };
                        if (syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, &na, 0) < 0) {
                                int err = errno;
                                close(fd);
                                return nook_errf(e, err, "cannot add the Landlock rule for port %u: %m", p);
                        }
                }
        if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
                int err = errno;
                close(fd);
                return nook_errf(e, err, "cannot apply the Landlock rules: %m");
        }
        close(fd);
        return 0;
}

/* Every file system access the ABI knows: 13 rights in ABI 1, REFER in 2,
   TRUNCATE in 3, IOCTL_DEV in 5. */
static uint64_t fs_handled(int abi)
{
        int bits = abi >= 5 ? 16 : abi >= 3 ? 15 : abi >= 2 ? 14 : 13;
        return (1ULL << bits) - 1;
}

static int add_path_rule(int ruleset, int fd, uint64_t access)
{
        struct ll_path_beneath_attr pb = { access, fd };
        return syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0 ? -errno : 0;
}

int landlock_restrict_files(const char *const *exec, int file_fd, struct nook_err *e)
{
        int abi = landlock_abi();
        if (abi < 1)    /* a kernel without: what seccomp holds is all */
                return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? nook_errf(e, errno, "cannot set no_new_privs: %m") : 0;
        struct ll_ruleset_attr attr = {
                .handled_access_fs = fs_handled(abi),
                .handled_access_net = abi >= 4 ? LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP : 0,
                .scoped = abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0,
        };
        size_t size = abi >= 6 ? sizeof(attr) : abi >= 4 ? offsetof(struct ll_ruleset_attr, scoped)
                                                         : offsetof(struct ll_ruleset_attr, handled_access_net);
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return nook_errf(e, errno, "cannot create the Landlock rules: %m");
        int r = add_path_rule(fd, file_fd, LL_ACCESS_FS_READ_FILE);
        for (size_t i = 0; r == 0 && exec && exec[i]; i++) {
                int dir = open(exec[i], O_PATH | O_CLOEXEC);
                if (dir < 0)
                        continue;
                r = add_path_rule(fd, dir, LL_ACCESS_FS_READ_FILE | LL_ACCESS_FS_EXECUTE);
                close(dir);
        }
        if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = -errno;
        if (r == 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                r = -errno;
        close(fd);
        return r < 0 ? nook_errf(e, -r, "cannot apply the Landlock rules: %m") : 0;
}
