# network-client.profile - a block for programs that connect out
#
# For now this shares the host's network (Mode=host): the sandbox sees the
# host's interfaces, can reach every address the host can, including
# services listening on the host's loopback, and can connect to abstract
# Unix sockets in the host's network namespace (an X server's, for one).
# A private user-mode network (Mode=slirp) with an egress allowlist will
# replace it when nook's networking arrives.
#
# /etc/resolv.conf is visible with the rest of /etc. On hosts where it is a
# link into /run (systemd-resolved, NetworkManager), the link's target is
# bound as well, read-only, since /run is private in the sandbox.

[Profile]
Description=Network access (the host's network, for now)

[Filesystem]
BindTry=/run/systemd/resolve:ro
BindTry=/run/NetworkManager/resolv.conf:ro
BindTry=/run/NetworkManager/no-stub-resolv.conf:ro

[Network]
Mode=host
