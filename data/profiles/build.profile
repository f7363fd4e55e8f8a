# build.profile - make and the host's compilers on the current directory
#
# Builds a project in the current directory with the host's toolchain (make,
# gcc, cc, ld, ...): the source tree is read-write, everything else of the
# host read-only, the home empty but for your Git configuration, and there is
# no network, so a build script can neither download nor upload anything.
#
#     nook run build                      # runs `make`
#     nook run build -j8 check            # runs `make -j8 check`

[Profile]
Description=make and gcc on the current directory, no network
Include=base
Include=dev-tools

[Run]
Command=make

[Filesystem]
Home=tmpfs
Cwd=yes
