# node.profile - Node.js on the current directory
#
# Node sees the host's system read-only, the current directory read-write
# (node_modules included) and an empty home, and has no network: a script or
# a package's install hook cannot reach your files or phone home. `npm
# install` needs the registry: give it --net host for that one run.
#
#     nook run node server.js
#     nook run --net host node -- npm ci

[Profile]
Description=Node.js on the current directory, no network
Include=base

[Run]
Command=node

[Filesystem]
Home=tmpfs
Cwd=yes
