# gui-x11.profile - a block for programs that draw on an X11 display
#
# Display=x11: the X server's socket for $DISPLAY (/tmp/.X11-unix/XN) and
# its cookie ($XAUTHORITY, or ~/.Xauthority), bound read-only, with DISPLAY
# and XAUTHORITY set to match. A session without a local X server is an
# error naming what is missing.
#
# Beware: any X11 client can read the screen and the keyboard of every other
# client on the same server. Prefer Wayland where the program supports it
# (gui.profile picks Wayland when the session has it).

[Profile]
Description=X11 display socket and authority

[Desktop]
Display=x11
