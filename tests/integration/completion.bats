#!/usr/bin/env bats
# contrib/bash-completion/nook: subcommands, options read from nook's own
# --help, values of the options that take a few, and running sandboxes.

load helpers

setup() {
        common_setup
        COMPLETION=${NOOK_SRCDIR:-$BATS_TEST_DIRNAME/../..}/contrib/bash-completion/nook
        [ -f "$COMPLETION" ] || fail "contrib/bash-completion/nook is missing"
}
teardown() { common_teardown; }

# complete WORD...: what the completion offers for the last word, one a line.
complete_words() {
        bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nook; printf "%s\n" "${COMPREPLY[@]}"' \
                complete "$COMPLETION" "$NOOK" "$@"
}

@test "subcommands complete" {
        run complete_words st
        assert_output stop
        run complete_words ""
        [[ "$output" == *run*ps*enter*stop*doctor* ]] || fail "not every subcommand: $output"
}

@test "nook run's options complete from its own --help, and --net's values" {
        run complete_words run --all
        [[ "$output" == *--allow*--allow-host-loopback* ]] || fail "got: $output"
        run complete_words run --limit-p
        assert_output --limit-processes
        run complete_words run --net s
        assert_output slirp
        run complete_words run --display w
        assert_output wayland
}

@test "nook stop and enter complete the names and ids of running sandboxes" {
        "$NOOK" run --name compl -- sleep "$TEST_MARKER" >/dev/null 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        local id=$!
        wait_until 50 bash -c '"$1" ps | grep -q compl' _ "$NOOK" || fail "the sandbox is not listed"
        run complete_words stop com
        assert_output compl
        run complete_words enter "$id"
        assert_output "$id"
        "$NOOK" stop compl
}

@test "nook oci completes its commands" {
        run complete_words oci de
        assert_output delete
        run complete_words oci run --b
        assert_output --bundle
}

@test "after -- the sandbox's command completes as a command" {
        run complete_words run -- bas
        [[ "$output" == *bash* ]] || fail "got: $output"
}

@test "nook learn completes its own options and nook run's" {
        run complete_words learn --for
        assert_output --force
        run complete_words learn --ro-b
        assert_output --ro-bind
        run complete_words learn --rep
        assert_output --report
        run complete_words run --audit
        assert_output --audit
}
