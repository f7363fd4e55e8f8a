# dev-tools.profile - a block for compilers, build tools and editors
#
# Shows the user's Git configuration read-only, so that tools which call
# git see the user's name, e-mail and settings. Only configuration files
# are bound: never ~/.git-credentials, ${XDG_CONFIG_HOME}/git/credentials
# or ~/.ssh. Nothing host-specific beyond that.

[Profile]
Description=Read-only Git configuration for development tools

[Filesystem]
BindTry=~/.gitconfig:ro
BindTry=${XDG_CONFIG_HOME}/git/config:ro
BindTry=${XDG_CONFIG_HOME}/git/ignore:ro
BindTry=${XDG_CONFIG_HOME}/git/attributes:ro
