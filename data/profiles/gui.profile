# gui.profile - a block for programs that draw on the session's display
#
# Display=auto: Wayland when the session has a compositor socket
# (gui-wayland.profile), else its X server (gui-x11.profile). What the app
# profiles of the library include.

[Profile]
Description=The session's display: Wayland, else X11

[Desktop]
Display=auto
