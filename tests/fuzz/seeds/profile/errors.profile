Key=before any section
[Bad Section]
[Profil]
Descripton=typo
[Run]
not a key
=empty key
Bind=/wrong/section
User=4294967295
Hostname=-bad
ClearEnvironment=maybe
WorkingDirectory=relative
Command="unterminated
[Filesystem]
Bind=/:/
Tmpfs=/:size=0
Tmpfs=/t:mode=0700
Hide=/
Device=/etc/passwd
Home=elsewhere
BindReadOnly=${NOPE}/x
BindTry=${HOME
[Network]
Mode=slirp
PublishPort=8080:80
[Security]
Seccomp=/etc/filter.json
SyscallDeny=Bad-Name
Capabilities=cap_not_a_cap
[Limits]
Stack=12Q
NoFile=99999999999999999999999
[Image]
Image=debian:12
[Desktop]
GPU=yes
[
[]
