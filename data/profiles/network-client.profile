# network-client.profile - a block for programs that connect out
#
# A network of the sandbox's own through slirp4netns (Mode=slirp): outbound
# connections work, the host's loopback services and abstract Unix sockets
# stay out of reach (10.0.2.2 is refused unless AllowHostLoopback=yes), and
# nothing listens on the host unless a PublishPort= says so. Names resolve
# through slirp's DNS (10.0.2.3) and the host's own servers: nook writes
# the sandbox's /etc/resolv.conf itself.
#
# Limit where a program may connect with Allow= in its own profile or a
# drop-in, e.g. for git over HTTPS only:
#     [Network]
#     Allow=0.0.0.0/0:443/tcp
#     Allow=10.0.2.3:53/udp

[Profile]
Description=Network access through a private user-mode network (slirp4netns)

[Network]
Mode=slirp
