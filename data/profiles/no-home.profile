# no-home.profile - a block for programs that need no home directory at all
#
# With Home=none there is nothing at $HOME inside the sandbox: not even an
# empty directory. Programs that try to write there fail, which is a quick
# way to learn whether a tool keeps state it should not. Include it after
# base.profile, so that it wins over base's Home=tmpfs.

[Profile]
Description=No home directory at all

[Filesystem]
Home=none
