#!/usr/bin/env bats
# Bad input: nook exits 125 with one line that names the problem and the
# value, and leaves no process, mount or file behind.

load helpers

# rejects VALUE... -- NOOK-RUN-ARG...
# nook run NOOK-RUN-ARGS -- sleep MARKER exits 125 with one line on stderr
# naming one of the VALUEs, never starts the command, and leaves nothing.
rejects() {
        local names=() m
        while [ "$#" -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
        shift
        m=$TEST_MARKER
        mkdir "$TMP/cwd"
        cd "$TMP/cwd"
        run --separate-stderr "$NOOK" run "$@" -- sleep "$m"
        assert_nook_error "${names[@]}"
        assert_nothing_left "$m"
}

# No process with the marker in its command line (nook's own forks carry it
# too), no mount, no file in the run-state dir or the working directory.
assert_nothing_left() {
        local left
        left=$(marked_procs "$1")
        # shellcheck disable=SC2206
        STARTED_PIDS+=($left)
        [ -z "$left" ] || fail "processes left behind: $left"
        assert_host_mounts_unchanged
        assert_no_files_left
        [ -z "$(ls -A "$TMP/cwd")" ] || fail "files left in the working directory: $(ls -A "$TMP/cwd")"
}

@test "a missing --bind source is refused, naming it" {
        rejects "$TMP/no-such-source" -- --bind "$TMP/no-such-source:/data"
}

@test "a missing --ro-bind source is refused, naming it" {
        rejects "$TMP/no-such-source" -- --ro-bind "$TMP/no-such-source:/data"
}

@test "a relative --bind destination is refused, naming it" {
        mkdir "$TMP/src"
        rejects "relative/dst" -- --bind "$TMP/src:relative/dst"
}

@test "a relative --ro-bind destination is refused, naming it" {
        mkdir "$TMP/src"
        rejects "relative/dst" -- --ro-bind "$TMP/src:relative/dst"
}

@test "a relative --tmpfs destination is refused, naming it" {
        rejects "relative/dst" -- --tmpfs relative/dst
}

@test "an unknown option is refused, naming it" {
        rejects "--frobnicate" -- --frobnicate
}

@test "a misspelt option gets a did-you-mean hint" {
        mkdir "$TMP/src"
        rejects "--bnd" -- --bnd "$TMP/src:/data"
        [[ "$stderr" == *"did you mean '--bind'"* ]] ||
                { show_run; fail "expected: did you mean '--bind'"; }
}

@test "an unknown subcommand is refused, naming it" {
        run --separate-stderr nook frobnicate
        assert_nook_error frobnicate
}

@test "nook run without a command is refused" {
        run --separate-stderr nook run
        assert_nook_error
}

@test "a --tmpfs size of 0 is refused, naming it" {
        rejects "size=0" "'0'" '"0"' "size 0" -- --tmpfs /scratch:size=0
}

@test "a --tmpfs size just over 2^63 is refused, naming it" {
        rejects 9223372036854775809 -- --tmpfs /scratch:size=9223372036854775809
}

@test "a --tmpfs size of 2^64 (which wraps to 0) is refused, naming it" {
        rejects 18446744073709551616 -- --tmpfs /scratch:size=18446744073709551616
}

@test "a --tmpfs size beyond 64 bits is refused, naming it" {
        rejects 99999999999999999999 -- --tmpfs /scratch:size=99999999999999999999
}

@test "a --tmpfs size with a suffix overflowing 64 bits is refused, naming it" {
        rejects 99999999999G -- --tmpfs /scratch:size=99999999999G
}

@test "a --tmpfs size that is not a number is refused, naming it" {
        rejects lots -- --tmpfs /scratch:size=lots
}

@test "--uid 4294967295 (not mappable) is refused, naming it" {
        rejects 4294967295 -- --uid 4294967295
}

@test "--gid 4294967295 (not mappable) is refused, naming it" {
        rejects 4294967295 -- --gid 4294967295
}

@test "--uid beyond 32 bits is refused, naming it" {
        rejects 4294967296 -- --uid 4294967296
}

@test "--uid that is not a number is refused, naming it" {
        rejects root1 -- --uid root1
}

@test "--uid -1 is refused, naming it" {
        rejects -1 -- --uid -1
}

@test "an unknown --seccomp mode is refused, naming it" {
        rejects strictest -- --seccomp strictest
}

@test "a HOME where no home can be made is refused, naming it" {
        [ ! -e /usr/lib/nook-nohome ] || skip "host: /usr/lib/nook-nohome exists"
        HOME=/usr/lib/nook-nohome rejects /usr/lib/nook-nohome --
}
