# libreoffice.profile - the LibreOffice suite, on your documents
#
# LibreOffice sees ~/Documents and your Downloads directory read-write and
# nothing else of your home; its settings live in a private home kept
# between runs ($XDG_DATA_HOME/nook/homes/libreoffice). No network: a
# document cannot fetch remote content or send anything. The current
# directory is not bound; to work on files elsewhere, bind them:
#
#     nook run libreoffice
#     nook run --bind ~/work/report libreoffice ~/work/report/q3.odt
#     nook run --bind . libreoffice --headless --convert-to pdf letter.docx

[Profile]
Description=LibreOffice on ~/Documents, no network
Include=base
Include=gui

[Run]
Command=libreoffice

[Filesystem]
Home=private
Cwd=no
BindTry=~/Documents
BindTry=${DOWNLOADS}

[Desktop]
Name=LibreOffice (sandboxed)
Icon=libreoffice-startcenter
