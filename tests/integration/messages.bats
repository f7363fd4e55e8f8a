#!/usr/bin/env bats
# What nook says when it refuses something: one line, naming the value as
# the user can read it, with the names they may have meant.

load helpers

# A search path and a store of this test's own: one profile, one image.
names_setup() {
        export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
        export NOOK_PROFILES_DIR="$TMP/lib"
        mkdir -p "$HOME" "$NOOK_PROFILES_DIR" "$XDG_DATA_HOME/nook/images"
        printf '[Run]\nCommand=/bin/true\n' >"$NOOK_PROFILES_DIR/firefox.profile"
        # only the record's name is read to suggest it
        printf '{}\n' >"$XDG_DATA_HOME/nook/images/alpine:latest.json"
        mkdir "$TMP/cwd"
        cd "$TMP/cwd"
}

@test "a first word that is no profile, image or command is said to be so" {
        names_setup
        run --separate-stderr nook run nook-no-such-name -- sleep "$TEST_MARKER"
        assert_nook_error "no profile or image is named 'nook-no-such-name'"
        [[ "$stderr" == *"nook profile ls"* ]] || { show_run; fail "expected a pointer to 'nook profile ls'"; }
        [ -z "$(marked_procs "$TEST_MARKER")" ] || fail "the command was started"
}

@test "a misspelt profile before -- gets the profile's name as a hint" {
        names_setup
        run --separate-stderr nook run fierfox -- sleep "$TEST_MARKER"
        assert_nook_error "'fierfox'"
        [[ "$stderr" == *"did you mean 'firefox'"* ]] || { show_run; fail "expected: did you mean 'firefox'"; }
}

@test "a misspelt image before -- gets the image's name as a hint" {
        names_setup
        run --separate-stderr nook run alpne -- sleep "$TEST_MARKER"
        assert_nook_error "'alpne'"
        [[ "$stderr" == *"did you mean 'alpine'"* ]] || { show_run; fail "expected: did you mean 'alpine'"; }
}

@test "a command followed by -- still runs as a command" {
        names_setup
        printf 'text\n' >file
        run --separate-stderr nook run cat -- file
        assert_answer text
}
