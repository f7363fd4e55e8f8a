# audio.profile - a block for programs that play or record sound
#
# Audio=auto: PipeWire's socket ($XDG_RUNTIME_DIR/pipewire-0) when the
# session has one, with PulseAudio's (served by pipewire-pulse), else
# PulseAudio's socket and cookie; no sound, and no error, when the session
# has neither. Raw ALSA devices (/dev/snd) are not bound.

[Profile]
Description=PipeWire and PulseAudio sockets

[Desktop]
Audio=auto
