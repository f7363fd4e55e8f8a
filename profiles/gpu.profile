# gpu.profile - a block for programs that render with the GPU
#
# Binds /dev/dri, when the host has it, with its device nodes usable
# (Device=, where a leading '-' skips it on a host without one), and the
# parts of /sys that Mesa reads to tell which driver a device needs,
# read-only.

[Profile]
Description=GPU device directory and the sysfs Mesa needs

[Filesystem]
Device=-/dev/dri
BindTry=/sys/dev/char:ro
BindTry=/sys/devices:ro
