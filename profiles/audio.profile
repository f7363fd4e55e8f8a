# audio.profile - a block for programs that play or record sound
#
# Binds the PipeWire socket and the PulseAudio directory (served by
# pipewire-pulse or by PulseAudio itself) from ${XDG_RUNTIME_DIR}, when
# they exist. Both servers accept a client of the same user without a
# cookie. Raw ALSA devices (/dev/snd) are not bound. The [Desktop] Audio=
# key will replace this block when it arrives.

[Profile]
Description=PipeWire and PulseAudio sockets

[Filesystem]
BindTry=${XDG_RUNTIME_DIR}/pipewire-0:ro
BindTry=${XDG_RUNTIME_DIR}/pulse:ro
