# gpu.profile - a block for programs that render with the GPU
#
# GPU=auto: the GPU's device nodes the host has (/dev/dri, NVIDIA's
# /dev/nvidia*), usable, and none on a host without them; and the parts of
# /sys that Mesa reads to tell which driver a device needs, read-only.

[Profile]
Description=GPU device nodes and the sysfs Mesa needs

[Desktop]
GPU=auto

[Filesystem]
BindTry=/sys/dev/char:ro
BindTry=/sys/devices:ro
