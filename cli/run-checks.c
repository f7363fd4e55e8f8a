/* Checks of a spec against the host, made before anything starts: bind
   sources, devices, --fd, hard limits, and whether the network keys fit
   the mode (the resolv.conf and egress rules they need are made here). */
#include "cli/run-checks.h"
#include "cli/run-sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "netns/egress.h"
#include "netns/resolv.h"
#include "sandbox/landlock.h"
#include "sandbox/launch.h"
#include "spec/privileges.h"

static const int limit_resource[SPEC_LIMIT_COUNT] = {
        [SPEC_LIMIT_NOFILE] = RLIMIT_NOFILE, [SPEC_LIMIT_NPROC] = RLIMIT_NPROC,
        [SPEC_LIMIT_CPU] = RLIMIT_CPU, [SPEC_LIMIT_FSIZE] = RLIMIT_FSIZE,
        [SPEC_LIMIT_CORE] = RLIMIT_CORE, [SPEC_LIMIT_STACK] = RLIMIT_STACK,
        [SPEC_LIMIT_AS] = RLIMIT_AS,
};
static const char *const limit_key[SPEC_LIMIT_COUNT] = {
        "NoFile", "Processes", "CPUTime", "FileSize", "Core", "Stack", "AddressSpace",
};

static int check_binds(const struct nook_spec *s, struct nook_err *e)
{
        struct stat st;

        for (size_t i = 0; i < s->n_binds; i++) {
                const struct spec_bind *b = &s->binds[i];
                if (!(b->flags & (SPEC_BIND_TRY | SPEC_BIND_NOOKS)) && stat(b->src, &st) < 0)
                        return nook_errf(e, errno, "bind source %s: %m (check the path given to --%sbind or %s=)", b->src,
                                         b->flags & SPEC_BIND_RO ? "ro-" : "", b->flags & SPEC_BIND_RO ? "BindReadOnly" : "Bind");
        }
        return 0;
}

static int check_devices(const struct nook_spec *s, struct nook_err *e)
{
        struct stat st;

        for (size_t i = 0; i < s->n_devices + s->n_devices_try; i++) {
                bool optional = i >= s->n_devices;
                const char *d = optional ? s->devices_try[i - s->n_devices] : s->devices[i];
                if (stat(d, &st) < 0) {
                        if (optional)
                                continue;
                        return nook_errf(e, errno, "device %s: %m (use Device=-%s to skip it when missing)", d, d);
                }
                if (!run_device_kind_ok(&st))
                        return nook_errf(e, ENODEV, "device %s is neither a device node nor a directory of /dev's own file system", d);
        }
        return 0;
}

static int check_fds(const struct nook_spec *s, struct nook_err *e)
{
        for (size_t i = 0; i < s->n_keep_fds; i++)
                if (fcntl(s->keep_fds[i], F_GETFD) < 0)
                        return nook_errf(e, EBADF, "--fd %d: no such open file descriptor", s->keep_fds[i]);
        return 0;
}

/* A user namespace cannot raise a hard limit: say so now, not as a failure
   inside the sandbox. */
static int check_limits(const struct nook_spec *s, struct nook_err *e)
{
        for (int i = 0; i < SPEC_LIMIT_COUNT; i++) {
                struct rlimit rl;
                if (!s->limits[i].set || getrlimit(limit_resource[i], &rl) < 0)
                        continue;
                rlim_t want = s->limits[i].value == UINT64_MAX ? RLIM_INFINITY : (rlim_t)s->limits[i].value;
                if (rl.rlim_max == RLIM_INFINITY || (want != RLIM_INFINITY && want <= rl.rlim_max))
                        continue;
                if (want == RLIM_INFINITY)
                        return nook_errf(e, EPERM, "%s=infinity is above this session's hard limit %llu (it can only be lowered)",
                                         limit_key[i], (unsigned long long)rl.rlim_max);
                return nook_errf(e, EPERM, "%s=%llu is above this session's hard limit %llu (it can only be lowered)",
                                 limit_key[i], (unsigned long long)want, (unsigned long long)rl.rlim_max);
        }
        return 0;
}

/* Checks that need the host but must fail before anything is started. */
static int check_host_inputs(const struct nook_spec *s, struct nook_err *e)
{
        int r = check_binds(s, e);

        if (r == 0)
                r = check_devices(s, e);
        if (r == 0)
                r = check_fds(s, e);
        if (r == 0)
                r = check_limits(s, e);
        return r;
}

/* The keys that need a network of the sandbox's own with a way out. */
static int check_network_mode(const struct nook_spec *s, struct nook_err *e)
{
        bool out = s->slirp || s->pasta;

        if (s->n_ports && !out)
                return nook_errf(e, EINVAL, "publishing ports needs a network of the sandbox's own with a way out: use --net slirp or pasta (Mode=slirp)");
        if (s->host_loopback && !out)
                return nook_errf(e, EINVAL, "AllowHostLoopback= needs Mode=slirp or pasta");
        if (s->ipv6 && !out)
                return nook_errf(e, EINVAL, "IPv6= needs Mode=slirp or pasta (Mode=host has the host's own)");
        if (s->n_dns && !out)
                return nook_errf(e, EINVAL, "DNS= needs Mode=slirp or pasta (with Mode=host the host's own resolv.conf is used)");
        return 0;
}

/* Allow= and Deny=: Landlock's for Mode=host, nftables' in a network of
   the sandbox's own, nothing to allow into otherwise. */
static int check_net_rules(const struct nook_spec *s, struct nook_err *e)
{
        /* Landlock sees TCP only: the filter refuses every other socket */
        if (landlock_net_applies(s) && s->seccomp == SPEC_SECCOMP_NONE)
                return nook_errf(e, EINVAL, "Allow= with Mode=host needs the seccomp filter, which refuses the sockets Landlock cannot limit (UDP, raw, SCTP, MPTCP): drop Seccomp=none, or use Mode=slirp");
        if (landlock_net_applies(s))
                return landlock_check_net(s, e);        /* applied at exec */
        if (s->n_net_rules && !(s->slirp || s->pasta))
                return nook_errf(e, EINVAL, "Allow=/Deny= need a network to allow into: use --net slirp (or Mode=slirp)");
        return 0;
}

/* The sandbox's resolv.conf and its egress ruleset, made once. */
static int make_network_files(struct nook_spec *s, const struct host_facts *h, struct nook_err *e)
{
        if (!(s->slirp || s->pasta) || landlock_net_applies(s))
                return 0;
        struct net_config net = spec_net_config(s);
        s->resolv_conf = resolv_conf_make(&net, h->resolv_conf, h->resolved_upstream);
        if (!s->resolv_conf)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!(s->egress = egress_ruleset(&net)) && (s->n_net_rules || !s->host_loopback))
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* What the network keys ask for must fit the mode; the files and rules
   they need are made here, once. */
static int check_network(struct nook_spec *s, const struct host_facts *h, struct nook_err *e)
{
        int r = check_network_mode(s, e);

        if (r == 0)
                r = spec_check_caps(s, launch_nests_userns(s, h, s->image != NULL), e);
        if (r == 0)
                r = check_net_rules(s, e);
        if (r == 0)
                r = make_network_files(s, h, e);
        return r;
}

/* PrivateEtc=, PrivateBin=: the host's directories, narrowed; an image
   brings its own. SocketFamilies= and MemoryDenyWriteExecute= are rules of
   the seccomp filter. */
static int check_narrowing(const struct nook_spec *s, struct nook_err *e)
{
        if (s->image && (s->n_private_etc || s->n_private_bin))
                return nook_errf(e, EINVAL, "%s narrows the host's %s; an image brings its own: drop it, or run the image as it is",
                                 s->n_private_etc ? "PrivateEtc=" : "PrivateBin=", s->n_private_etc ? "/etc" : "/usr/bin");
        if (s->seccomp == SPEC_SECCOMP_NONE && (s->socket_families_set || s->mdwe))
                return nook_errf(e, EINVAL, "%s is made by the seccomp filter: drop Seccomp=none (--seccomp none), or it",
                                 s->mdwe ? "MemoryDenyWriteExecute=" : "SocketFamilies=");
        if (s->read_only && s->persist)
                return nook_errf(e, EINVAL, "ReadOnly= and Persist= contradict each other: a read-only root keeps nothing (give one)");
        if (s->n_own && s->dbus != SPEC_DBUS_FILTERED)
                return nook_errf(e, EINVAL, "Own= names a bus name for the filtered D-Bus: it needs DBus=filtered (--dbus filtered)");
        return 0;
}

int run_check(struct nook_spec *s, const struct host_facts *h, struct nook_err *e)
{
        int r = check_network(s, h, e);

        if (r == 0)
                r = check_narrowing(s, e);

        return r < 0 ? r : check_host_inputs(s, e);
}
