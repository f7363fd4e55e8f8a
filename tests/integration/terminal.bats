#!/usr/bin/env bats
# The caller's terminal never enters a sandbox: under a terminal, nook run
# and nook enter give the command a new pty of the sandbox's own and relay
# it; nook enter relays pipes for fds that are not a terminal, so no fd of
# the caller enters. A process left inside cannot read what is typed at the
# caller's terminal once nook is gone. Driven by ptydrive.py, a pty whose
# slave the driver holds, as the caller's shell would.

load helpers

DRIVE="$BATS_TEST_DIRNAME/ptydrive.py"

setup() {
        common_setup
        command -v python3 >/dev/null || skip "host: python3 is needed to drive a terminal"
}
teardown() { common_teardown; }

# drive [DRIVER-OPTION...] -- COMMAND...: runs COMMAND on a new terminal
# (see ptydrive.py); sets TTY_ID (st_dev:st_ino of the terminal), CMD_STATUS,
# MODES (same|changed) and OUT (what the terminal showed).
drive() {
        run python3 "$DRIVE" --timeout 20 "$@"
        [ "$status" -eq 0 ] && [ "${lines[3]}" = --- ] || { show_run; fail "the terminal driver failed"; }
        TTY_ID=${lines[0]#tty=}
        CMD_STATUS=${lines[1]#status=}
        MODES=${lines[2]#modes=}
        OUT=${output#*$'\n---\n'}
}

show_drive() { printf 'command status: %s\nmodes: %s\nterminal %s showed:\n%s\n' "$CMD_STATUS" "$MODES" "$TTY_ID" "$OUT" >&2; }

# start_bg NOOK-RUN-ARGS...: a sandbox in the background, with no terminal.
start_bg() {
        env --default-signal=INT,QUIT "$NOOK" run "$@" >"$TMP/nook.out" 2>"$TMP/nook.err" </dev/null 3>&- &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
}

listed() { "$NOOK" ps 2>/dev/null | grep -q "^$1 "; }

# running_named NAME: a sandbox named NAME whose command sleeps.
running_named() {
        start_bg --name "$1" "${@:2}" -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "nook ps does not list the sandbox:" "$(cat "$TMP/nook.err")"
}

# What a command inside prints of its terminal: tty(1), whether that file
# exists inside, and st_dev:st_ino of what fds 0-2 are.
SHOW_FDS='tty; test -c "$(tty)" && echo exists-inside; for f in 0 1 2; do stat -L -c "fd$f=%d:%i" /proc/self/fd/$f; done'

assert_not_callers_terminal() {
        [[ "$OUT" == *$'\n'/dev/pts/* || "$OUT" == /dev/pts/* ]] || { show_drive; fail "tty does not name a pty"; }
        [[ "$OUT" == *exists-inside* ]] || { show_drive; fail "the command's tty is no file of the sandbox's"; }
        [ "$(grep -c '^fd[012]=' <<<"$OUT")" -eq 3 ] || { show_drive; fail "the fds were not shown"; }
        ! grep -q "^fd[012]=$TTY_ID\$" <<<"$OUT" || { show_drive; fail "the caller's terminal is open in the sandbox"; }
}

@test "nook run under a terminal: the command's fds 0-2 are a pty of the sandbox's own, not the caller's terminal; its exit status passes" {
        drive -- "$NOOK" run -- sh -c "$SHOW_FDS; exit 3"
        assert_not_callers_terminal
        [ "$CMD_STATUS" = 3 ] || { show_drive; fail "exit status $CMD_STATUS, not 3"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "under a terminal, a command that cannot be run says why on it, and nook run exits 127" {
        drive -- "$NOOK" run -- /no/such/command
        [ "$CMD_STATUS" = 127 ] || { show_drive; fail "exit status $CMD_STATUS, not 127"; }
        [[ "$OUT" == *"nook: cannot run '/no/such/command'"* ]] || { show_drive; fail "the error was lost"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "nook enter under a terminal: the entered command's fds 0-2 are a pty of the sandbox's own; its exit status passes" {
        running_named box
        drive -- "$NOOK" enter box -- sh -c "$SHOW_FDS; exit 4"
        assert_not_callers_terminal
        [ "$CMD_STATUS" = 4 ] || { show_drive; fail "exit status $CMD_STATUS, not 4"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "a process left inside by nook enter cannot read what is typed at the caller's terminal after enter returns" {
        running_named box
        # the spy keeps the entered command's stdin and reads on; what is
        # typed at the prompt once enter is back must not reach it
        drive --after 'secret-typed-at-the-prompt\n' --linger 2 -- \
                "$NOOK" enter box -- sh -c 'exec 3<&0; (trap "" HUP INT TERM; echo spy >/tmp/spy-ready; cat <&3 >/tmp/stolen 2>/dev/null) & sleep 0.3; echo entered'
        [[ "$OUT" == *entered* ]] || { show_drive; fail "enter did not run"; }
        run --separate-stderr "$NOOK" enter box -- sh -c 'cat /tmp/spy-ready; cat /tmp/stolen'
        assert_status 0
        [ "${lines[0]}" = spy ] || { show_run; fail "the spy did not start"; }
        assert_output_lacks secret-typed
}

@test "a process inside nook run cannot type into the caller's terminal (TIOCSTI, with --seccomp none)" {
        [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 1 ] || skip "host: TIOCSTI is disabled (dev.tty.legacy_tiocsti)"
        drive --step nook-returned send 'typed-by-the-user\n' -- sh -c '
                "$0" run --seccomp none -- python3 -c "import fcntl, termios
for c in b\"injected-by-sandbox\\n\": fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))"
                echo nook-returned; read -r line; echo "the shell read: $line"' "$NOOK"
        [[ "$OUT" == *"the shell read: typed-by-the-user"* ]] || { show_drive; fail "the sandbox typed into the caller's terminal"; }
}

@test "a process left by nook run cannot read the caller's terminal once nook is gone" {
        mkdir "$TMP/spy"
        drive --after 'secret-typed-at-the-prompt\n' --linger 2 -- \
                "$NOOK" run --bind "$TMP/spy:/spy" -- sh -c 'exec 3<&0; (trap "" HUP INT TERM; echo spy >/spy/ready; cat <&3 >/spy/stolen 2>/dev/null) & sleep 0.3; echo ran'
        [[ "$OUT" == *ran* ]] || { show_drive; fail "the command did not run"; }
        [ "$(cat "$TMP/spy/ready")" = spy ] || fail "the spy did not start"
        ! grep -q secret-typed "$TMP/spy/stolen" || fail "the spy read the caller's terminal"
}

@test "^C typed at the terminal reaches the command as SIGINT (run and enter)" {
        local loop='trap "echo got-INT; exit 9" INT; echo READY; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; echo no-INT'
        drive --step READY send '\x03' -- "$NOOK" run -- sh -c "$loop"
        [ "$CMD_STATUS" = 9 ] && [[ "$OUT" == *got-INT* ]] || { show_drive; fail "nook run: ^C did not reach the command"; }
        running_named box
        drive --step READY send '\x03' -- "$NOOK" enter box -- sh -c "$loop"
        [ "$CMD_STATUS" = 9 ] && [[ "$OUT" == *got-INT* ]] || { show_drive; fail "nook enter: ^C did not reach the command"; }
}

@test "through the pty the output arrives whole, up to the command's last line, and ^D typed is EOF for it" {
        drive -- "$NOOK" run -- sh -c 'seq 1 100000; echo last-line'
        [ "$CMD_STATUS" = 0 ] && [ "$(grep -c . <<<"$OUT")" -eq 100001 ] && [[ "$OUT" == *$'100000\nlast-line'* ]] ||
                { show_drive | tail -5 >&2; fail "output lost"; }
        running_named box
        drive --step READY send 'a line\n\x04' -- "$NOOK" enter box -- sh -c 'echo READY; cat; echo eof-seen'
        [ "$CMD_STATUS" = 0 ] && [[ "$OUT" == *eof-seen* ]] || { show_drive; fail "^D was not EOF"; }
}

@test "the command's terminal has the caller's window size and follows a resize (run and enter)" {
        local watch='trap "stty size; exit 0" WINCH; stty size; echo READY; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 1'
        drive --size 30 100 --step READY resize '40 120' -- "$NOOK" run -- sh -c "$watch"
        [ "$CMD_STATUS" = 0 ] && [[ "$OUT" == *$'30 100\nREADY\n40 120'* ]] || { show_drive; fail "nook run: the size did not follow"; }
        running_named box
        drive --size 31 101 --step READY resize '41 121' -- "$NOOK" enter box -- sh -c "$watch"
        [ "$CMD_STATUS" = 0 ] && [[ "$OUT" == *$'31 101\nREADY\n41 121'* ]] || { show_drive; fail "nook enter: the size did not follow"; }
}

@test "the caller's terminal modes are restored when nook ends by a signal (SIGTERM, SIGHUP, SIGALRM)" {
        drive --step READY signal SIGTERM -- "$NOOK" run -- sh -c 'echo READY; sleep 10'
        [ "$CMD_STATUS" = 143 ] && [ "$MODES" = same ] || { show_drive; fail "nook run, SIGTERM"; }
        running_named box
        drive --step READY signal SIGHUP -- "$NOOK" enter box -- sh -c 'echo READY; sleep 10'
        [ "$CMD_STATUS" = 129 ] && [ "$MODES" = same ] || { show_drive; fail "nook enter, SIGHUP"; }
        # not passed on: it ends nook itself
        drive --step READY signal SIGALRM -- "$NOOK" enter box -- sh -c 'echo READY; sleep 10'
        [ "$CMD_STATUS" = 142 ] && [ "$MODES" = same ] || { show_drive; fail "nook enter, SIGALRM"; }
}

@test "nook run in the background of a shell is not stopped and leaves the terminal alone; brought to the foreground, it takes the keys" {
        # set -m: the shell's jobs get process groups of their own, as at a prompt
        drive -- sh -c 'set -m; "$0" run -- sh -c "echo started; sleep 0.5; echo bg-done" & wait $!; echo status=$?' "$NOOK"
        [[ "$OUT" == *bg-done*status=0* ]] && [ "$MODES" = same ] || { show_drive; fail "stopped in the background, or the modes changed"; }
        drive --step READY sleep 0.5 --step '' send 'typed\n' -- \
                sh -c 'set -m; "$0" run -- sh -c "echo READY; read x; echo got=\$x" & sleep 0.3; fg >/dev/null; echo status=$?' "$NOOK"
        [[ "$OUT" == *got=typed*status=0* ]] && [ "$MODES" = same ] || { show_drive; fail "fg: the keys did not reach the command"; }
}

@test "with no fd a terminal, the command cannot open the caller's terminal as /dev/tty, and ^C there still reaches it (run and enter)" {
        mkdir "$TMP/o"
        local cmd='cat /dev/tty >/o/tty-read 2>&1; echo $? >/o/tty-status; trap "exit 9" INT; touch /o/ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done'
        drive --step "file:$TMP/o/ready" send '\x03' -- \
                sh -c 'exec "$0" run --bind "$1:/o" -- sh -c "$2" </dev/null >/dev/null 2>&1' "$NOOK" "$TMP/o" "$cmd"
        [ "$CMD_STATUS" = 9 ] || { show_drive; cat "$TMP/o/tty-read" >&2; fail "nook run: exit status $CMD_STATUS, not 9"; }
        [ "$(cat "$TMP/o/tty-status")" != 0 ] || fail "nook run: the command read the caller's terminal"
        rm "$TMP/o/ready"
        running_named box --bind "$TMP/o:/o"
        drive --step "file:$TMP/o/ready" send '\x03' -- \
                sh -c 'exec "$0" enter box -- sh -c "$1" </dev/null >/dev/null 2>&1' "$NOOK" "$cmd"
        [ "$CMD_STATUS" = 9 ] || { show_drive; cat "$TMP/o/tty-read" >&2; fail "nook enter: exit status $CMD_STATUS, not 9"; }
        [ "$(cat "$TMP/o/tty-status")" != 0 ] || fail "nook enter: the command read the caller's terminal"
}

@test "nook enter without a terminal: pipes both ways, stderr apart, and no fd of the caller inside" {
        running_named box
        echo host-data >"$TMP/hostfile"
        # stdin from a host file the sandbox cannot see: what it gets is a
        # pipe, and reopening it writes nothing to the file
        run --separate-stderr "$NOOK" enter box -- sh -c 'readlink /proc/self/fd/0; cat; echo to-stderr >&2; echo pwned >/proc/self/fd/0 2>/dev/null; exit 5' <"$TMP/hostfile"
        assert_status 5
        [[ "${lines[0]}" == pipe:* ]] || { show_run; fail "stdin inside is not a pipe"; }
        [ "${lines[1]}" = host-data ] || { show_run; fail "stdin did not come through"; }
        [ "$stderr" = to-stderr ] || { show_run; fail "stderr did not come apart"; }
        [ "$(cat "$TMP/hostfile")" = host-data ] || fail "the sandbox wrote to the caller's file through /proc/self/fd/0"
        # and the same for stdout, with more than a pipe holds
        head -c 300000 /dev/urandom | base64 >"$TMP/big"
        "$NOOK" enter box -- sh -c 'cat; readlink /proc/self/fd/1 >&2' <"$TMP/big" >"$TMP/out" 2>"$TMP/err"
        cmp "$TMP/big" "$TMP/out" || fail "the data changed on its way"
        [[ "$(cat "$TMP/err")" == pipe:* ]] || fail "stdout inside is not a pipe: $(cat "$TMP/err")"
}
