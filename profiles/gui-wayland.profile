# gui-wayland.profile - a block for programs that draw on a Wayland display
#
# Binds the compositor's socket ${XDG_RUNTIME_DIR}/wayland-0, when it exists,
# and points WAYLAND_DISPLAY at it. A compositor that listens on another
# name (wayland-1, ...) needs a drop-in, for instance
# ~/.config/nook/profiles/gui-wayland.profile.d/50-socket.conf holding
#     [Filesystem]
#     BindTry=${XDG_RUNTIME_DIR}/wayland-1:${XDG_RUNTIME_DIR}/wayland-0:ro
# On a host without Wayland nothing is bound, and toolkits fall back to X11
# (include gui-x11 too). Wayland keeps programs from reading each other's
# windows and input, unlike X11. The [Desktop] Display= key will replace
# this block when it arrives.

[Profile]
Description=Wayland display socket

[Run]
Environment=WAYLAND_DISPLAY=wayland-0

[Filesystem]
BindTry=${XDG_RUNTIME_DIR}/wayland-0:ro
