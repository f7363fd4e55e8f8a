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

# ---- values nook did not write: escaped, cut, one line ----------------------

# no_raw_controls: stderr holds no control character but its line ends.
no_raw_controls() {
        ! printf '%s' "$stderr" | LC_ALL=C grep -q '[[:cntrl:]]' ||
                { show_run; fail "a control character reached stderr raw"; }
}

@test "a hostname with a newline is one line, the newline shown as \\n" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --hostname $'box\nnook: all is well' -- sleep "$TEST_MARKER"
        assert_nook_error "hostname 'box\\nnook: all is well'"
}

@test "an ESC in an argument is shown as \\x1b, not sent to the terminal" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --hostname $'box\e[2J\e]0;owned\a' -- sleep "$TEST_MARKER"
        assert_nook_error "'box\\x1b[2J\\x1b]0;owned\\x07'"
        no_raw_controls
}

@test "bytes that are not UTF-8 are shown as \\xNN" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --hostname $'box\xff\xc2\x9b' -- sleep "$TEST_MARKER"
        assert_nook_error "'box\\xff\\xc2\\x9b'"
}

@test "a command name with an ESC is shown escaped when it is not found" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run -127 --separate-stderr nook run -- $'nook-no-such\e[31m'
        [[ "$stderr" == *"'nook-no-such\\x1b[31m'"* ]] || { show_run; fail "expected the name escaped"; }
        no_raw_controls
}

@test "a 100 KB value is cut: one short line that still says what is valid" {
        local big
        big=$(head -c 100000 /dev/zero | tr '\0' a)
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --hostname "$big" -- sleep "$TEST_MARKER"
        assert_nook_error "(1 to 64 letters"
        [ "${#stderr}" -lt 1024 ] || { fail "the line is ${#stderr} bytes long"; }
        [[ "$stderr" == *"aaa…'"* ]] || { show_run; fail "expected the value cut with …"; }
}

@test "an unknown subcommand of 100 KB gives one short line" {
        local big
        big=$(head -c 100000 /dev/zero | tr '\0' b)
        run --separate-stderr nook "$big"
        assert_nook_error "unknown command 'bbb"
        [ "${#stderr}" -lt 1024 ] || { fail "the line is ${#stderr} bytes long"; }
}

@test "an ESC in a profile's value is shown escaped" {
        names_setup
        printf '[Run]\nHostname=box\033[2Jx\n' >"$NOOK_PROFILES_DIR/app.profile"
        run --separate-stderr nook run app -- sleep "$TEST_MARKER"
        assert_nook_error "'box\\x1b[2Jx'"
        no_raw_controls
}

# ---- limits too small to start anything ------------------------------------

@test "--limit-addressspace 1 is refused, naming the floor" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --limit-addressspace 1 -- sleep "$TEST_MARKER"
        assert_nook_error "AddressSpace=1"
        [[ "$stderr" == *"at least 16M"* ]] || { show_run; fail "expected the floor named"; }
        [ -z "$(marked_procs "$TEST_MARKER")" ] || fail "the command was started"
}

@test "--limit-stack 1K is refused, naming the floor" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --limit-stack 1K -- sleep "$TEST_MARKER"
        assert_nook_error "Stack=1K"
        [[ "$stderr" == *"at least 64K"* ]] || { show_run; fail "expected the floor named"; }
}

@test "--limit-nofile 3 is refused, naming the floor" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --limit-nofile 3 -- sleep "$TEST_MARKER"
        assert_nook_error "NoFile=3"
        [[ "$stderr" == *"at least 16"* ]] || { show_run; fail "expected the floor named"; }
}

@test "the floors themselves start a program" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --limit-addressspace 16M --limit-stack 64K --limit-nofile 16 -- sh -c 'echo ok'
        assert_answer ok
}

@test "-v shows a path with a newline on one line" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run -v --tmpfs $'/scratch\ninjected' -- true
        assert_status 0
        local l
        for l in "${stderr_lines[@]}"; do
                [[ "$l" == "nook: "* ]] || { show_run; fail "a line not of nook's: $l"; }
        done
        [[ "$stderr" == *'/scratch\ninjected'* ]] || { show_run; fail "expected the path shown escaped"; }
}
