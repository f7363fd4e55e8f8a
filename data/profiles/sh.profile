# sh.profile - a throw-away POSIX shell
#
# The system's /bin/sh with an empty home that is gone when the shell ends,
# the current directory read-write and no network. For quick experiments
# that must leave nothing behind but what they write to the current
# directory.
#
#     nook run sh
#     nook run sh -c 'ls -la ~; id'

[Profile]
Description=POSIX shell with an empty, throw-away home
Include=base

[Run]
Command=sh

[Filesystem]
Home=tmpfs
Cwd=yes
