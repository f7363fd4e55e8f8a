# mpv.profile - the mpv media player, on your media, read-only
#
# mpv sees ~/Videos, ~/Music and your Downloads directory read-only, and
# your ~/.config/mpv read-only when you have it; its state (watch-later
# positions) lives in a private home kept between runs
# ($XDG_DATA_HOME/nook/homes/mpv). It draws on Wayland or X11 and plays
# sound. No network: streams need --net host. The current directory is not
# bound; to play files elsewhere, bind them read-only:
#
#     nook run mpv ~/Videos/film.mkv
#     nook run --ro-bind . mpv clip.webm

[Profile]
Description=mpv media player, media read-only, no network
Include=base
Include=gui
Include=audio
Include=gpu

[Run]
Command=mpv

[Filesystem]
Home=private
Cwd=no
BindTry=~/Videos:ro
BindTry=~/Music:ro
BindTry=${DOWNLOADS}:ro
BindTry=${XDG_CONFIG_HOME}/mpv:ro

[Desktop]
Name=mpv (sandboxed)
Icon=mpv
