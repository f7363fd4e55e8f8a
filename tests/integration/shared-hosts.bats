#!/usr/bin/env bats
# Hosts as they are: shells without a login session (batch jobs, su, cron)
# have no XDG_RUNTIME_DIR, and every command still works, from one shell to
# another of the same user.

load helpers

setup() {
        common_setup
        NAME="shared-${TEST_MARKER//./-}"
}

teardown() {
        env -u XDG_RUNTIME_DIR "$NOOK" stop "$NAME" >/dev/null 2>&1 || true
        common_teardown
}

# in_other_shell CMD...: CMD as a second shell of the same user would run
# it: no XDG_RUNTIME_DIR, nothing shared with the first but the user.
in_other_shell() { env -u XDG_RUNTIME_DIR "$@"; }

@test "without XDG_RUNTIME_DIR, a sandbox started in one shell is listed, entered, logged and stopped from another" {
        unset XDG_RUNTIME_DIR
        run --separate-stderr "$NOOK" run -d --name "$NAME" -- sh -c "echo started-$TEST_MARKER; exec sleep $TEST_MARKER"
        assert_status 0
        local id=$output
        proc_stat "$id" && STARTED_PIDS+=("$id:$STAT_START")
        wait_until 50 sh -c "env -u XDG_RUNTIME_DIR '$NOOK' ps | grep -q ' $NAME '" || fail "not listed from another shell"
        run --separate-stderr in_other_shell "$NOOK" enter "$NAME" -- cat /proc/1/cmdline
        assert_status 0
        [[ "$output" == *"$TEST_MARKER"* ]] || { show_run; fail "enter did not reach the sandbox"; }
        wait_until 50 sh -c "env -u XDG_RUNTIME_DIR '$NOOK' logs '$NAME' | grep -q 'started-$TEST_MARKER'" ||
                fail "logs did not show the output: $(in_other_shell "$NOOK" logs "$NAME" 2>&1)"
        run --separate-stderr in_other_shell "$NOOK" stop "$NAME"
        assert_status 0
        wait_until 50 sh -c "! env -u XDG_RUNTIME_DIR '$NOOK' ps | grep -q ' $NAME '" || fail "still listed after stop"
        run_dir="/tmp/nook-$(id -u)"
        [ -d "$run_dir" ] && [ "$(stat -c %a "$run_dir")" = 700 ] || fail "the run directory base is not private: $(ls -ld "$run_dir")"
        [ ! -e "$run_dir/$id" ] || fail "the run directory of the stopped sandbox was left: $(ls -la "$run_dir/$id")"
}
