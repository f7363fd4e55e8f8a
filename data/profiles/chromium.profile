# chromium.profile - the Chromium web browser
#
# Chromium keeps its own home, kept between runs
# ($XDG_DATA_HOME/nook/homes/chromium), sees your Downloads directory
# read-write and nothing else of your home, draws on Wayland or X11, plays
# sound and has the network.
#
# Chromium will not start without its own sandbox, which is built from
# nested user, pid and network namespaces and a chroot. nook's default
# seccomp filter refuses those calls, so this profile allows exactly them:
# a renderer stays confined by Chromium's sandbox inside nook's, rather than
# running with --no-sandbox.
#
#     nook run chromium

[Profile]
Description=Chromium web browser, private home
Include=base
Include=gui
Include=audio
Include=gpu
Include=network-client

[Run]
Command=chromium

[Filesystem]
Home=private
Cwd=no
BindTry=${DOWNLOADS}

[Security]
SyscallAllow=clone
SyscallAllow=unshare
SyscallAllow=chroot

[Desktop]
Name=Chromium (sandboxed)
Icon=chromium
