# Shared by profiles-*.bats: a private home and search path for every test,
# and a way to write a profile into it.

load helpers

# profiles_setup: nothing of the real home is read or written; every
# directory nook looks at belongs to the test. P is the library directory
# (NOOK_PROFILES_DIR), C the user's profile directory.
profiles_setup() {
        common_setup
        export HOME="$TMP/home"
        export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" XDG_CACHE_HOME="$TMP/cache"
        P="$TMP/lib"
        C="$XDG_CONFIG_HOME/nook/profiles"
        mkdir -p "$HOME" "$P" "$C" "$XDG_DATA_HOME"
        export NOOK_PROFILES_DIR="$P"
}

# profile NAME: stdin becomes $P/NAME.profile; F is its path.
profile() {
        F="$P/$1.profile"
        cat >"$F"
}
