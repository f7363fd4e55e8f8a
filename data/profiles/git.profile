# git.profile - git on the repository in the current directory
#
# git sees the repository in the current directory read-write, your Git
# configuration read-only and nothing else of your home, and has the
# network for clone, fetch and push over HTTPS. Hooks and filters run by
# git stay in the same sandbox. SSH remotes need ~/.ssh, which is not
# shown; for those add a drop-in with
#     [Filesystem]
#     BindTry=~/.ssh:ro
# (the SSH agent's socket is not reachable from the sandbox).
#
#     nook run git pull                 # runs `git pull`

[Profile]
Description=git on the current directory, with the network
Include=base
Include=network-client
Include=dev-tools

[Run]
Command=git

[Filesystem]
Home=tmpfs
Cwd=yes
