# vim.profile - the Vim editor on the current directory
#
# Vim edits files in the current directory (read-write) and nowhere else.
# Your ~/.vimrc and ~/.vim are shown read-only when you have them; the home
# is private and kept between runs ($XDG_DATA_HOME/nook/homes/vim), so the
# viminfo history and undo files survive. No network.
#
#     nook run vim notes.txt

[Profile]
Description=Vim on the current directory, private home
Include=base
Include=dev-tools

[Run]
Command=vim

[Filesystem]
Home=private
Cwd=yes
BindTry=~/.vimrc:ro
BindTry=~/.vim:ro
