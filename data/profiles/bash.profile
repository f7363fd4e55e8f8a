# bash.profile - an interactive Bash shell in a sandbox of its own
#
# A "nook" to work in: the host's system read-only, the current directory
# read-write, no network, and a home directory of its own that survives
# between runs ($XDG_DATA_HOME/nook/homes/bash): history, dotfiles and
# whatever you install with --user stay there, away from your real home.
#
#     nook run bash
#     nook run --net host bash          # the same, with the network

[Profile]
Description=Bash shell with a persistent private home
Include=base

[Run]
Command=bash

[Filesystem]
Home=private
Cwd=yes
