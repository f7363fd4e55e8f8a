# default.profile - what `nook run -- COMMAND` uses when no profile is named
#
# The host system read-only, an empty tmpfs home, the current directory
# read-write, no network but lo, no capabilities, the default seccomp
# filter: nook's built-in defaults, written out only where writing them
# changes nothing. Home=, Cwd= and Capabilities= are left unset on purpose,
# so that an image run (nook run IMAGE) keeps an image's own defaults: no
# home, no bound directory, and root's container capabilities.
#
# Change the defaults for every run with a drop-in, e.g.
# ~/.config/nook/profiles/default.profile.d/50-net.conf holding
#     [Network]
#     Mode=slirp

[Profile]
Description=Host system read-only, empty home, no network

[Network]
Mode=none

[Security]
Seccomp=default
