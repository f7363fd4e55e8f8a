# Include= must be skipped while fuzzing: no file is ever opened.
[Profile]
Include=/etc/passwd
Include=../../../../etc/shadow
Include=${PROFILE_DIR}/other
Include=
Description=${PROFILE_DIR} ${USER} ${UID} ${GID} ${XDG_CONFIG_HOME} ${XDG_DATA_HOME} ${XDG_CACHE_HOME} ${DOWNLOADS}
