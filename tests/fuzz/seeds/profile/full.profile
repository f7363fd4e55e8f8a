# Every section the loader knows, with values the key checks accept.
[Profile]
Description=A profile that sets every supported key
Include=base

[Run]
Command=/usr/bin/env "a b" 'c d' e\ f
WorkingDirectory=${HOME}/src
User=root
Group=keep
Environment=LANG=C.UTF-8
Environment=PATH=/usr/bin:/bin
UnsetEnvironment=DISPLAY
ClearEnvironment=yes
Hostname=sandbox.local

[Filesystem]
Bind=${CWD}:/work
BindReadOnly=~/.gitconfig:/home/fuzz/.gitconfig
BindTry=${XDG_RUNTIME_DIR}/bus:/run/bus:ro
Tmpfs=/tmp:size=64M
Hide=/home/fuzz/.ssh
Home=private
Cwd=no
Device=/dev/fuse

[Network]
Mode=none

[Security]
Seccomp=default
SyscallDeny=ptrace
SyscallAllow=personality
Capabilities=CAP_NET_BIND_SERVICE, chown

[Limits]
NoFile=1024
Processes=infinity
CPUTime=60
FileSize=1GiB
Core=0
Stack=8M
AddressSpace=unlimited
