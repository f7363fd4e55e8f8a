# gui-wayland.profile - a block for programs that draw on a Wayland display
#
# Display=wayland: the compositor's socket ($XDG_RUNTIME_DIR/$WAYLAND_DISPLAY)
# bound read-only at /run/user/UID/wayland-0 inside, with WAYLAND_DISPLAY
# and XDG_RUNTIME_DIR set to match and DISPLAY unset, so that toolkits do
# not wander off to X11. Wayland keeps programs from reading each other's
# windows and input, unlike X11.

[Profile]
Description=Wayland display socket

[Desktop]
Display=wayland
