# firefox.profile - the Firefox web browser
#
# Firefox keeps its own home, kept between runs
# ($XDG_DATA_HOME/nook/homes/firefox): your browser profile lives there, not
# in your real home. It sees your Downloads directory read-write and nothing
# else of your home; the current directory is not bound (launched from a
# menu, it would be the whole home). It draws on Wayland or X11, plays
# sound and has the network.
#
# Firefox's own content sandbox cannot create namespaces inside nook (the
# seccomp filter refuses them) and runs with its seccomp layer only.
# Debian names the program firefox-esr: use firefox-esr.profile there.
#
#     nook run firefox
#     nook run firefox https://example.org

[Profile]
Description=Firefox web browser, private home
Include=base
Include=gui
Include=audio
Include=gpu
Include=network-client

[Run]
Command=firefox

[Filesystem]
Home=private
Cwd=no
BindTry=${DOWNLOADS}

[Desktop]
Name=Firefox (sandboxed)
Icon=firefox
