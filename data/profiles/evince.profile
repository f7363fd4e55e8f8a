# evince.profile - the Evince document viewer, read-only
#
# Evince sees ~/Documents and your Downloads directory read-only, with an
# empty home that is gone when it closes, and has no network: a hostile PDF
# can neither read your other files nor call home. The current directory is
# not bound; to open a file elsewhere, bind it read-only:
#
#     nook run evince ~/Downloads/paper.pdf
#     nook run --ro-bind . evince manual.pdf

[Profile]
Description=Evince document viewer, read-only, no network
Include=base
Include=gui

[Run]
Command=evince

[Filesystem]
Home=tmpfs
Cwd=no
BindTry=~/Documents:ro
BindTry=${DOWNLOADS}:ro

[Desktop]
Name=Document Viewer (sandboxed)
Icon=org.gnome.Evince
