# python3.profile - the Python 3 interpreter on the current directory
#
# Python sees the host's system and installed modules read-only, the current
# directory read-write and an empty home (so no ~/.local packages and no
# secrets), and has no network. Give it the network for one run with
# --net host.
#
#     nook run python3                           # an interactive interpreter
#     nook run python3 script.py                 # a script in this directory

[Profile]
Description=Python 3 on the current directory, no network
Include=base

[Run]
Command=python3

[Filesystem]
Home=tmpfs
Cwd=yes
