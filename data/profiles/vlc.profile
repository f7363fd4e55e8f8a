# vlc.profile - the VLC media player, on your media, read-only
#
# VLC sees ~/Videos, ~/Music and your Downloads directory read-only; its
# settings and playlists live in a private home kept between runs
# ($XDG_DATA_HOME/nook/homes/vlc). It draws on Wayland or X11 and plays
# sound. No network: streams need --net host. The current directory is not
# bound; to play files elsewhere, bind them read-only:
#
#     nook run vlc
#     nook run --ro-bind . vlc clip.webm

[Profile]
Description=VLC media player, media read-only, no network
Include=base
Include=gui
Include=audio
Include=gpu

[Run]
Command=vlc

[Filesystem]
Home=private
Cwd=no
BindTry=~/Videos:ro
BindTry=~/Music:ro
BindTry=${DOWNLOADS}:ro

[Desktop]
Name=VLC (sandboxed)
Icon=vlc
