# curl.profile - curl with the network and the current directory only
#
# Downloads land in the current directory; the rest of your home is not
# there, so a URL or a config cannot make curl read or send your files.
# ~/.curlrc is shown read-only when you have one; ~/.netrc is not.
#
#     nook run curl -LO https://example.org/file.tar.gz

[Profile]
Description=curl with the network, on the current directory
Include=base
Include=network-client

[Run]
Command=curl

[Filesystem]
Home=tmpfs
Cwd=yes
BindTry=~/.curlrc:ro
BindTry=${XDG_CONFIG_HOME}/.curlrc:ro
