# wget.profile - wget with the network and the current directory only
#
# Downloads land in the current directory; the rest of your home is not
# there. ~/.wgetrc is shown read-only when you have one; ~/.netrc is not.
#
#     nook run wget https://example.org/file.tar.gz

[Profile]
Description=wget with the network, on the current directory
Include=base
Include=network-client

[Run]
Command=wget

[Filesystem]
Home=tmpfs
Cwd=yes
BindTry=~/.wgetrc:ro
