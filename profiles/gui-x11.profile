# gui-x11.profile - a block for programs that draw on an X11 display
#
# Binds the X server's socket directory /tmp/.X11-unix read-only (the
# sandbox's own network namespace cannot reach the server's abstract
# socket) and the usual X authority files, when they exist. DISPLAY is
# inherited from the caller's environment, as is XAUTHORITY; a session whose
# authority file lives elsewhere needs a drop-in that binds it.
#
# Beware: any X11 client can read the screen and the keyboard of every other
# client on the same server. Prefer Wayland where the program supports it.
# The [Desktop] Display= key will replace this block when it arrives.

[Profile]
Description=X11 display socket and authority

[Filesystem]
BindTry=/tmp/.X11-unix:ro
BindTry=~/.Xauthority:ro
BindTry=${XDG_RUNTIME_DIR}/gdm/Xauthority:ro
