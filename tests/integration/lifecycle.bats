#!/usr/bin/env bats
# The life of a sandbox: signals reach the command, orphans are reaped, and
# when nook or the command goes, everything in the sandbox goes with it.

load helpers

# start_bg [NOOK-RUN-OPTION...] -- COMMAND [ARG...]
# Starts nook in the background with stdout in $OUT, stderr in $ERR; sets
# NOOK_PID and records it for teardown. SIGINT and SIGQUIT get their default
# action back: a non-interactive shell makes background jobs ignore them.
# Bats' fd 3 is closed, or anything left behind would stall the suite.
start_bg() {
        OUT="$TMP/out" ERR="$TMP/err"
        env --default-signal=INT,QUIT "$NOOK" run --ro-bind "$PROBE" "$@" >"$OUT" 2>"$ERR" 3>&- &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
}

exited() { ! proc_alive "$1"; }

# marked_at_least N MARKER: at least N live processes carry MARKER.
marked_at_least() { [ "$(marked_procs "$2" | wc -l)" -ge "$1" ]; }
marked_none() { [ -z "$(marked_procs "$1")" ]; }

# wait_exit TENTHS: waits for NOOK_PID to end, at most TENTHS tenths of a
# second, and sets status to its exit status; kills it and fails past that.
wait_exit() {
        proc_stat "$NOOK_PID" || true
        local me="$NOOK_PID:$STAT_START"
        if ! wait_until "$1" exited "$me"; then
                kill -KILL "$NOOK_PID" 2>/dev/null || true
                wait "$NOOK_PID" || true
                fail "nook did not exit within $(($1 / 10)) s" "stdout: $(cat "$OUT")" "stderr: $(cat "$ERR")"
        fi
        status=0
        wait "$NOOK_PID" || status=$?
}

wait_ready() {
        wait_until 50 file_has_line "$OUT" ready ||
                fail "the probe never said ready" "stdout: $(cat "$OUT")" "stderr: $(cat "$ERR")"
}

# forwards SIG: a signal sent to nook reaches the command, which reports it
# and exits 0, which nook returns.
forwards() {
        start_bg -- "$PROBE" waitsig "$TEST_MARKER"
        wait_ready
        kill -s "$1" "$NOOK_PID"
        wait_exit 50
        [ "$(sed -n 2p "$OUT")" = "SIG$1" ] ||
                fail "expected the command to get SIG$1" "stdout: $(cat "$OUT")" "stderr: $(cat "$ERR")"
        [ "$status" -eq 0 ] || fail "expected exit status 0, got $status" "stderr: $(cat "$ERR")"
}

# ---- signals reach the command ---------------------------------------------------

@test "SIGTERM to nook reaches the command" { forwards TERM; }
@test "SIGINT to nook reaches the command" { forwards INT; }
@test "SIGHUP to nook reaches the command" { forwards HUP; }
@test "SIGQUIT to nook reaches the command" { forwards QUIT; }
@test "SIGUSR1 to nook reaches the command" { forwards USR1; }
@test "SIGUSR2 to nook reaches the command" { forwards USR2; }
@test "SIGWINCH to nook reaches the command" { forwards WINCH; }

@test "a forwarded SIGTERM that kills the command gives 128+15" {
        local m=$TEST_MARKER
        start_bg -- sleep "$m"
        wait_until 50 marked_at_least 1 "sleep $m" || fail "the command never started"
        kill -TERM "$NOOK_PID"
        wait_exit 50
        [ "$status" -eq 143 ] || fail "expected exit status 143, got $status" "stderr: $(cat "$ERR")"
        wait_until 10 marked_none "sleep $m" || fail "the command outlived nook: it did not get the SIGTERM"
}

# ---- nothing outlives nook ---------------------------------------------------------

@test "SIGKILL of nook leaves no process of the sandbox after 1 s" {
        local m=$TEST_MARKER procs=()
        # A grandchild too, so that more than the command must go.
        start_bg -- sh -c 'sleep "$1" & exec sleep "$1"' sh "$m"
        wait_until 50 marked_at_least 2 "sleep $m" ||
                fail "the sandbox never started" "stderr: $(cat "$ERR")"
        # Everything nook started, by ancestry and by the marker in argv.
        mapfile -t procs < <({ descendants "$NOOK_PID"; marked_procs "$m"; } | sort -u)
        STARTED_PIDS+=("${procs[@]}")
        kill -KILL "$NOOK_PID"
        wait "$NOOK_PID" || true
        wait_until 10 none_alive "${procs[@]}" || {
                local p alive=()
                for p in "${procs[@]}"; do proc_alive "$p" && alive+=("$p"); done
                fail "still alive 1 s after SIGKILL of nook:" "$(for p in "${alive[@]}"; do
                        printf '%s %s\n' "$p" "$(tr '\0' ' ' <"/proc/${p%%:*}/cmdline")"; done)"
        }
}

@test "the end of the command ends the sandbox: background processes are killed" {
        local m=$TEST_MARKER t0 left
        t0=$SECONDS
        # Not `run`: a process left behind would hold its pipe open forever.
        status=0
        timeout -s KILL 8 "$NOOK" run -- sh -c 'sleep "$1" & exit 3' sh "$m" \
                >"$TMP/out" 2>"$TMP/err" 3>&- || status=$?
        wait_until 10 marked_none "sleep $m" || true
        left=$(marked_procs "sleep $m")
        [ "$status" -eq 3 ] || fail "expected exit status 3, got $status" "stderr: $(cat "$TMP/err")"
        [ $((SECONDS - t0)) -lt 8 ] || fail "nook waited for the background process"
        [ -z "$left" ] || fail "a background process outlived the sandbox: $left"
}

@test "orphans are reaped inside the sandbox" {
        # The orphaned sleep is reparented to the sandbox's init, which must
        # reap it: no zombie left when the command looks.
        run --separate-stderr nook run -- sh -c '(sleep 0.1 &); sleep 1; cat /proc/[0-9]*/stat'
        assert_status 0
        assert_output_lacks "(sleep) Z"
}

@test "the command's output reaches the caller before nook exits" {
        run --separate-stderr nook run -- sh -c 'sleep 0.2; echo late'
        assert_answer late
}
