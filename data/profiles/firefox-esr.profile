# firefox-esr.profile - Firefox ESR, under the name Debian gives it
#
# The same sandbox as firefox.profile; only the command differs. Its private
# home is $XDG_DATA_HOME/nook/homes/firefox-esr.
#
#     nook run firefox-esr

[Profile]
Description=Firefox ESR web browser, private home
Include=firefox

[Run]
Command=firefox-esr

[Desktop]
Name=Firefox ESR (sandboxed)
Icon=firefox-esr
