# base.profile - common ground for the application profiles
#
# Include this first in an application profile, then the blocks the
# application needs (gui-wayland, gui-x11, audio, gpu, network-client, ...).
#
# The home directory is an empty tmpfs, so ~/.ssh, ~/.gnupg, ~/.aws, the
# browsers' profiles and every other secret kept there are simply absent.
# This block hides nothing with Hide=: hiding a path that does not exist
# inside the sandbox is an error, and under Home=tmpfs or Home=private there
# is nothing there to hide. A profile that switches to Home=host must add its
# own Hide= lines, and only for paths it knows exist on every host it runs on.
#
# It also gives the sandbox a private, writable runtime directory at the
# usual place ($XDG_RUNTIME_DIR, or /run/user/UID when that is unset), where
# gui-wayland and audio bind the sockets they need; a fontconfig cache, when
# the host has one, so that graphical programs start without rebuilding it;
# and no core dumps, so that a crash does not write the program's memory
# into the current directory.

[Profile]
Description=Common settings for application profiles

[Run]
Environment=XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR}

[Filesystem]
Home=tmpfs
Tmpfs=${XDG_RUNTIME_DIR}:mode=0700
BindTry=/var/cache/fontconfig:ro

[Network]
Mode=none

[Security]
Seccomp=default
Capabilities=none

[Limits]
Core=0
