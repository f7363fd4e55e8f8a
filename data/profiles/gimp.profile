# gimp.profile - the GIMP image editor, on your pictures
#
# GIMP sees ~/Pictures and your Downloads directory read-write and nothing
# else of your home; its settings, brushes and plug-ins live in a private
# home kept between runs ($XDG_DATA_HOME/nook/homes/gimp). No network. The
# current directory is not bound; to edit files elsewhere, bind them:
#
#     nook run gimp
#     nook run --bind . gimp logo.xcf

[Profile]
Description=GIMP image editor on ~/Pictures, private home
Include=base
Include=gui

[Run]
Command=gimp

[Filesystem]
Home=private
Cwd=no
BindTry=~/Pictures
BindTry=${DOWNLOADS}

[Desktop]
Name=GIMP (sandboxed)
Icon=gimp
