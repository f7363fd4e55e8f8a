#!/usr/bin/env bats
# Run state: nook ps lists running sandboxes, nook stop ends them, nook
# enter runs a command inside one, confined as its own command is; names
# are unique among running sandboxes; a killed nook leaves nothing that
# ps shows or that keeps its name.

load helpers

# start_bg NOOK-RUN-ARGS...: nook run in the background (its output in
# $TMP/nook.out, $TMP/nook.err), recorded for teardown; NOOK_PID is its pid.
start_bg() {
        env --default-signal=INT,QUIT "$NOOK" run "$@" >"$TMP/nook.out" 2>"$TMP/nook.err" </dev/null 3>&- &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
}

# listed ID: nook ps --json lists a sandbox with that id.
listed() { "$NOOK" ps --json | python3 -c 'import json, sys; sys.exit(0 if any(s["id"] == int(sys.argv[1]) for s in json.load(sys.stdin)) else 1)' "$1"; }

# running_named NAME: start a sandbox named NAME whose command sleeps (with
# this test's marker) and wait until ps lists it.
running_named() {
        start_bg --name "$1" "${@:2}" -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "nook ps does not list the sandbox:" "$(cat "$TMP/nook.err")"
}

# nook_status: waits (at most 5 s) for NOOK_PID and sets status to its exit status.
nook_status() {
        local i
        for i in $(seq 50); do
                proc_alive "$NOOK_PID:$STAT_START" || break
                sleep 0.1
        done
        status=0
        wait "$NOOK_PID" || status=$?
}

not_listed() { ! listed "$1"; }

# marked_sleep: a sleep with this test's marker runs (nook enter's command)
marked_sleep() {
        local p
        for p in $(marked_procs "$TEST_MARKER"); do
                [ "$(cat "/proc/${p%%:*}/comm" 2>/dev/null)" = sleep ] && return 0
        done
        return 1
}

run_dirs() { find "$XDG_RUNTIME_DIR/nook" -mindepth 1 2>/dev/null; }

setup() { common_setup; }
teardown() { common_teardown; }

@test "nook ps lists a running sandbox: id, name, network, command; --json too" {
        command -v python3 >/dev/null || skip "host: python3 is needed to read --json"
        running_named web
        run --separate-stderr "$NOOK" ps
        assert_status 0
        [[ "${lines[0]}" == "ID "*"NAME"*"COMMAND" ]] || { show_run; fail "no header"; }
        [[ "$output" == *"$NOOK_PID "*" web "*"none"*"sleep $TEST_MARKER"* ]] || { show_run; fail "the sandbox is not listed"; }
        run --separate-stderr "$NOOK" ps --json
        assert_status 0
        python3 -c '
import json, sys
s = [x for x in json.loads(sys.argv[1]) if x["id"] == int(sys.argv[2])][0]
assert s["name"] == "web" and s["net"] == "none" and s["command"] == ["sleep", sys.argv[3]], s
' "$output" "$NOOK_PID" "$TEST_MARKER" || fail "unexpected JSON: $output"
}

@test "when a sandbox ends, nook ps no longer lists it and its run directory is gone" {
        run --separate-stderr "$NOOK" run -- /bin/true
        assert_status 0
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
}

@test "a second sandbox of a running one's name is refused in one line; the name is free once it ends" {
        running_named web
        run --separate-stderr "$NOOK" run --name web -- /bin/true
        assert_nook_error "web"
        [[ "$stderr" == *"running already"* ]] || { show_run; fail "the error does not say why"; }
        proc_alive "$NOOK_PID:$STAT_START" || fail "the first sandbox ended"
        run --separate-stderr "$NOOK" stop web
        assert_status 0
        run --separate-stderr "$NOOK" run --name web -- /bin/true
        assert_status 0
}

@test "nook stop NAME ends the sandbox with SIGTERM to its command and returns once it is gone" {
        running_named web
        run --separate-stderr "$NOOK" stop web
        assert_status 0
        ! proc_alive "$NOOK_PID:$STAT_START" || fail "nook still runs after nook stop returned"
        [ -z "$(marked_procs "$TEST_MARKER")" ] || fail "the command still runs"
        nook_status
        [ "$status" -eq 143 ] || fail "nook run ended with $status, not 143 (SIGTERM to the command)"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
}

@test "nook stop ID works as well as the name" {
        start_bg -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        run --separate-stderr "$NOOK" stop "$NOOK_PID"
        assert_status 0
        ! proc_alive "$NOOK_PID:$STAT_START" || fail "nook still runs"
}

@test "nook stop -t 1 kills a command that ignores SIGTERM, and nothing is left" {
        start_bg --name stubborn -- /bin/sh -c "trap '' TERM; sleep $TEST_MARKER & wait; wait"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        wait_until 200 test -n "$(marked_procs "$TEST_MARKER")" || fail "the command did not start"
        local t0=$SECONDS
        run --separate-stderr "$NOOK" stop -t 1 stubborn
        assert_status 0
        [ $((SECONDS - t0)) -le 4 ] || fail "nook stop took $((SECONDS - t0)) s"
        wait_until 10 test -z "$(marked_procs "$TEST_MARKER")" || fail "the command still runs:" "$(marked_procs "$TEST_MARKER")"
        ! proc_alive "$NOOK_PID:$STAT_START" || fail "nook still runs"
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
}

@test "a name claimed by a nook whose pid was reused is free again" {
        # a claim as a killed nook leaves it, naming a live process that is
        # not that nook (this shell, with another start time)
        mkdir -m 0700 -p "$XDG_RUNTIME_DIR/nook"
        ln -s "$$:1" "$XDG_RUNTIME_DIR/nook/name-web"
        run --separate-stderr "$NOOK" run --name web -- /bin/true
        assert_status 0
        [ ! -e "$XDG_RUNTIME_DIR/nook/name-web" ] && [ ! -L "$XDG_RUNTIME_DIR/nook/name-web" ] || fail "the claim was left"
}

@test "a nook killed by SIGKILL: ps does not list it, clears its run directory, and its name is free" {
        running_named web
        kill -KILL "$NOOK_PID"
        wait_until 20 test -z "$(marked_procs "$TEST_MARKER")" || fail "the command outlived nook"
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
        run --separate-stderr "$NOOK" run --name web -- /bin/true
        assert_status 0
}

@test "a sandbox whose nook is killed under a parent that never reaps is gone: ps, its name, its run directory" {
        # the parent forks nook and sleeps without ever waiting for it: the
        # killed nook stays a zombie for as long as the parent lives
        python3 -c 'import os, sys, time
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
print(pid, flush=True)
time.sleep(60)' "$NOOK" run --name unreaped -- sleep "$TEST_MARKER" >"$TMP/child" 2>"$TMP/nook.err" </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -s "$TMP/child" || fail "the parent did not start nook"
        NOOK_PID=$(cat "$TMP/child")
        wait_until 50 listed "$NOOK_PID" || fail "nook ps does not list the sandbox:" "$(cat "$TMP/nook.err")"
        run --separate-stderr "$NOOK" stop -s KILL unreaped
        assert_status 0
        proc_stat "$NOOK_PID" && [ "$STAT_STATE" = Z ] || fail "nook is not an unreaped zombie (state ${STAT_STATE:-gone}): the test tests nothing"
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
        run --separate-stderr "$NOOK" run --name unreaped -- /bin/true
        assert_status 0
}

@test "nook stop that escalates to SIGKILL under a parent that never reaps leaves nothing behind" {
        python3 -c 'import os, sys, time
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
print(pid, flush=True)
time.sleep(60)' "$NOOK" run --name stubborn2 -- /bin/sh -c "trap '' TERM; sleep $TEST_MARKER & wait; wait" \
                >"$TMP/child" 2>"$TMP/nook.err" </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -s "$TMP/child" || fail "the parent did not start nook"
        NOOK_PID=$(cat "$TMP/child")
        wait_until 50 listed "$NOOK_PID" || fail "nook ps does not list the sandbox:" "$(cat "$TMP/nook.err")"
        wait_until 200 test -n "$(marked_procs "$TEST_MARKER")" || fail "the command did not start"
        run --separate-stderr "$NOOK" stop -t 1 stubborn2
        assert_status 0
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
        [ -z "$(run_dirs)" ] || fail "left behind:" "$(run_dirs)"
        run --separate-stderr "$NOOK" run --name stubborn2 -- /bin/true
        assert_status 0
}

@test "stop and enter of a sandbox that does not run: exit 125, one line naming it" {
        run --separate-stderr "$NOOK" stop nothere
        assert_nook_error nothere
        run --separate-stderr "$NOOK" enter nothere -- /bin/true
        assert_nook_error nothere
}

@test "bad options of ps, stop and enter are refused in one line" {
        run --separate-stderr "$NOOK" ps --bogus
        assert_nook_error -- --bogus
        run --separate-stderr "$NOOK" stop -t soon web
        assert_nook_error soon
        run --separate-stderr "$NOOK" stop -s SIGFOO web
        assert_nook_error SIGFOO
        run --separate-stderr "$NOOK" stop
        assert_nook_error "name the sandbox"
        run --separate-stderr "$NOOK" enter web /bin/true
        assert_nook_error "after '--'"
        run --separate-stderr "$NOOK" run --name 4242 -- /bin/true
        assert_nook_error 4242
}

@test "nook enter runs a command in the sandbox: its files, its uid, its working directory, its exit status" {
        start_bg --name box --chdir /tmp -- /bin/sh -c "echo inside-only >/tmp/note; exec sleep $TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        wait_until 200 test -n "$(marked_procs "$TEST_MARKER")" || fail "the command did not start"
        run --separate-stderr "$NOOK" enter box -- /bin/sh -c 'cat /tmp/note; id -u; pwd'
        assert_status 0
        [ "${lines[0]}" = inside-only ] || { show_run; fail "the sandbox's /tmp is not what enter sees"; }
        [ "${lines[1]}" = "$(id -u)" ] || { show_run; fail "enter runs as another uid"; }
        [ "${lines[2]}" = /tmp ] || { show_run; fail "enter does not start in the command's directory"; }
        [ ! -e /tmp/note ] || [ "$(cat /tmp/note 2>/dev/null)" != inside-only ] || fail "the sandbox's /tmp is the host's"
        run --separate-stderr "$NOOK" enter box -- /bin/sh -c 'exit 7'
        assert_status 7
}

@test "the command and nook enter are in one network namespace, the sandbox's own, with lo up" {
        running_named netbox
        local procs p cmd host inside
        wait_until 200 test -n "$(marked_procs "$TEST_MARKER")" || fail "the command did not start"
        # the command is the one named sleep (nook's own line has the marker too)
        procs=$(marked_procs "$TEST_MARKER")
        cmd=
        for p in $procs; do
                [ "$(cat "/proc/${p%%:*}/comm" 2>/dev/null)" = sleep ] && cmd=${p%%:*}
        done
        [ -n "$cmd" ] || fail "no sleep among $procs"
        inside=$(readlink "/proc/$cmd/ns/net") || fail "cannot read the command's network namespace"
        host=$(readlink /proc/self/ns/net)
        [ "$inside" != "$host" ] || fail "the command is in the host's network namespace ($host)"
        run --separate-stderr "$NOOK" enter netbox -- bash -c 'readlink /proc/self/ns/net; exec 3<>/dev/udp/127.0.0.1/9 && echo lo-up'
        assert_status 0
        [ "${lines[0]}" = "$inside" ] || { show_run; fail "nook enter is in ${lines[0]}, the command in $inside"; }
        [ "${lines[1]}" = lo-up ] || { show_run; fail "lo is not up for nook enter"; }
}

@test "a sandbox whose command ended is gone for ps, stop and run --name, even while a stopped nook enter holds its end" {
        # pid 1's end waits until the stopped enter reaps what it had inside;
        # meanwhile the sandbox is over: not listed, its name free again
        start_bg --name endbox -- /bin/sh -c "until [ -e /tmp/go ]; do sleep 0.1; done; : $TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        "$NOOK" enter endbox -- sleep "$TEST_MARKER" 3>&- &
        local enter=$!
        proc_stat "$enter" && STARTED_PIDS+=("$enter:$STAT_START")
        wait_until 100 marked_sleep || fail "nook enter did not start its command"
        kill -STOP "$enter"
        run --separate-stderr "$NOOK" enter endbox -- /bin/touch /tmp/go
        assert_status 0
        wait_until 100 not_listed "$NOOK_PID" || { kill -CONT "$enter"; fail "nook ps still lists the sandbox"; }
        run --separate-stderr "$NOOK" run --name endbox -- /bin/true
        local st=$status out=$stderr
        kill -CONT "$enter"
        wait "$enter" || true
        [ "$st" -eq 0 ] || fail "the name is still taken: $out"
        nook_status
        assert_status 0
}

@test "nook enter runs with the environment the command started with (TERM the caller's)" {
        start_bg --name envbox -e NOOK_TEST_VAR=from-run -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        NOOK_TEST_VAR=from-enter TERM=xterm-test run --separate-stderr "$NOOK" enter envbox -- /bin/sh -c 'echo "$NOOK_TEST_VAR $TERM"'
        assert_answer "from-run xterm-test"
}

@test "nook enter --caller-env adds the caller's variables the command lacks; NAME and PREFIX* take the caller's" {
        start_bg --name envbox -e NOOK_A=from-run -e NOOK_B=from-run -e NOOK_PRE_X=from-run -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        local show='echo "$NOOK_A $NOOK_B $NOOK_PRE_X ${NOOK_NEW:-unset}"'
        NOOK_A=mine NOOK_B=mine NOOK_PRE_X=mine NOOK_NEW=mine run --separate-stderr "$NOOK" enter --caller-env envbox -- /bin/sh -c "$show"
        assert_answer "from-run from-run from-run mine"
        NOOK_A=mine NOOK_B=mine NOOK_PRE_X=mine NOOK_NEW=mine run --separate-stderr "$NOOK" enter --caller-env=NOOK_B,NOOK_PRE_* envbox -- /bin/sh -c "$show"
        assert_answer "from-run mine mine mine"
        NOOK_NEW=mine run --separate-stderr "$NOOK" enter envbox -- /bin/sh -c "$show"
        assert_answer "from-run from-run from-run unset"
}

@test "nook enter -w runs in that directory or fails; --try-workdir falls back to the command's" {
        start_bg --name box --chdir /tmp -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed"
        run --separate-stderr "$NOOK" enter -w /proc box -- /bin/sh -c pwd
        assert_answer /proc
        run --separate-stderr "$NOOK" enter --try-workdir=/no/such/dir box -- /bin/sh -c pwd
        assert_answer /tmp
        run --separate-stderr "$NOOK" enter --try-workdir=/no/such/dir -w /proc box -- /bin/sh -c pwd
        assert_answer /proc
        run --separate-stderr "$NOOK" enter -w /no/such/dir box -- /bin/sh -c 'touch /tmp/ran'
        assert_nook_error /no/such/dir
        run --separate-stderr "$NOOK" enter -w relative box -- /bin/true
        assert_nook_error relative
}

@test "what nook enter runs is confined as the command: no capabilities, no_new_privs, seccomp, its pid namespace" {
        running_named box
        run --separate-stderr "$NOOK" enter box -- /bin/sh -c 'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; echo pid=$$'
        assert_status 0
        [[ "$output" == *$'CapEff:\t0000000000000000'* ]] || { show_run; fail "capabilities left"; }
        [[ "$output" == *$'CapBnd:\t0000000000000000'* ]] || { show_run; fail "bounding set left"; }
        [[ "$output" == *$'NoNewPrivs:\t1'* ]] || { show_run; fail "no no_new_privs"; }
        [[ "$output" == *$'Seccomp:\t2'* ]] || { show_run; fail "no seccomp filter"; }
        local pid=${lines[-1]#pid=}
        [ "$pid" -lt 100 ] || { show_run; fail "not in the sandbox's pid namespace (pid $pid)"; }
        # the host's processes are out of sight, the sandbox's in sight
        run --separate-stderr "$NOOK" enter box -- /bin/sh -c 'ls /proc | grep -c "^[0-9]"'
        assert_status 0
        [ "$output" -lt 10 ] || { show_run; fail "enter sees $output processes"; }
}

@test "nook enter into a sandbox with --net slirp: its network, and no power over it" {
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed (apt-get install slirp4netns)"
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] || skip "host: /dev/net/tun is not usable"
        running_named netbox --net slirp --allow 10.0.2.2:9/tcp
        run --separate-stderr "$NOOK" enter netbox -- /bin/sh -c 'grep -q "^ *tap0:" /proc/net/dev && echo tap0; /usr/sbin/nft flush ruleset 2>/dev/null; echo flush=$?'
        assert_status 0
        [ "${lines[0]}" = tap0 ] || { show_run; fail "enter does not see the sandbox's tap0"; }
        [ "${lines[1]}" != flush=0 ] || { show_run; fail "nft flush ruleset succeeded from enter"; }
}

@test "nook enter confines with what the sandbox started with, not with what its profile says now" {
        mkdir -p "$TMP/proj"
        printf '[Security]\nSeccomp=default\nSyscallDeny=mkdir\n' >"$TMP/proj/app.profile"
        start_bg --profile "$TMP/proj/app.profile" --name prof -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "not listed:" "$(cat "$TMP/nook.err")"
        # changed behind its back: enter must not read it again
        printf '[Security]\nSeccomp=none\n' >"$TMP/proj/app.profile"
        run --separate-stderr "$NOOK" enter prof -- /bin/sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>/dev/null && echo mkdir-worked || echo mkdir-denied'
        assert_status 0
        [ "${lines[0]}" = $'Seccomp:\t2' ] || { show_run; fail "the filter is gone"; }
        [ "${lines[1]}" = mkdir-denied ] || { show_run; fail "SyscallDeny=mkdir no longer holds"; }
}

@test "nook enter applies the limits the sandbox started with, each under its name in the state" {
        command -v python3 >/dev/null || skip "host: python3 is needed to read the state"
        running_named lim --limit-nofile 123 --limit-processes 4321 --limit-core 0
        run --separate-stderr "$NOOK" enter lim -- /bin/sh -c 'ulimit -n; sed -n "s/^Max processes  *\([0-9]*\) .*/\1/p" /proc/self/limits; ulimit -c'
        assert_status 0
        [ "${lines[*]}" = "123 4321 0" ] || { show_run; fail "enter does not run with the sandbox's limits"; }
        python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))["confine"]["limits"]
assert l == {"nofile": 123, "nproc": 4321, "core": 0}, l
' "$XDG_RUNTIME_DIR/nook/$NOOK_PID/state" || fail "the state does not name the limits"
}

@test "nook enter refuses a state that records a confinement it does not know: one line naming it, nothing run" {
        command -v python3 >/dev/null || skip "host: python3 is needed to edit the state"
        running_named newer
        # as a newer nook with one more knob would write it
        python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s["confine"]["landlock_paths"] = ["/home"]
json.dump(s, open(sys.argv[1], "w"))
' "$XDG_RUNTIME_DIR/nook/$NOOK_PID/state"
        run --separate-stderr "$NOOK" enter newer -- /bin/sh -c "touch /tmp/entered"
        assert_nook_error "'landlock_paths'"
        run --separate-stderr "$NOOK" enter newer -- /bin/sh -c "test -e /tmp/entered || echo not-run"
        assert_nook_error "'landlock_paths'"
}

@test "nook enter works whatever the start's --fd and relative --bind, from any directory" {
        mkdir -p "$TMP/proj/data"
        cd "$TMP/proj"
        env --default-signal=INT,QUIT "$NOOK" run --name fdb --fd 5 --bind data:/mnt/data -- sleep "$TEST_MARKER" \
                5</dev/null >"$TMP/nook.out" 2>"$TMP/nook.err" </dev/null 3>&- &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
        wait_until 50 listed "$NOOK_PID" || fail "not listed:" "$(cat "$TMP/nook.err")"
        cd /
        run --separate-stderr "$NOOK" enter fdb -- /bin/sh -c 'test -d /mnt/data && echo ok'
        assert_answer ok
}


@test "a sandbox that binds the runtime directory cannot write the run state" {
        run --separate-stderr "$NOOK" run --bind "$XDG_RUNTIME_DIR" -- /bin/sh -c \
                "touch '$XDG_RUNTIME_DIR/other' && echo other-ok; touch '$XDG_RUNTIME_DIR/nook/planted' 2>/dev/null && echo planted || echo refused"
        assert_status 0
        [ "${lines[0]}" = other-ok ] || { show_run; fail "the bind is not read-write"; }
        [ "${lines[1]}" = refused ] || { show_run; fail "the run directories are writable inside"; }
        [ ! -e "$XDG_RUNTIME_DIR/nook/planted" ] || fail "planted"
}

@test "nook stop returns once the network helper is gone too" {
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed (apt-get install slirp4netns)"
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] || skip "host: /dev/net/tun is not usable"
        running_named netstop --net slirp
        local helper
        helper=$(marked_procs "$XDG_RUNTIME_DIR/nook/")
        [ -n "$helper" ] || fail "no slirp4netns of this sandbox"
        run --separate-stderr "$NOOK" stop netstop
        assert_status 0
        ! proc_alive "$helper" || fail "slirp4netns ($helper) still runs after nook stop returned"
}

@test "a sandbox that locks the run directories stalls neither ps, nor stop, nor a named run for long" {
        command -v flock >/dev/null || skip "host: flock (util-linux) is needed"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR/nook"
        running_named locker --bind "$XDG_RUNTIME_DIR:/rt1" --seccomp none
        # the lock is taken from inside, on the base directory it sees
        "$NOOK" enter locker -- flock /rt1/nook sleep 30 </dev/null >/dev/null 2>&1 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        sleep 1
        local t0=$SECONDS
        run --separate-stderr timeout 10 "$NOOK" ps
        assert_status 0
        run --separate-stderr timeout 10 "$NOOK" run --name other -- /bin/true
        [ "$status" -ne 124 ] || fail "nook run --name hung on the lock"
        run --separate-stderr timeout 10 "$NOOK" stop -t 1 locker
        assert_status 0
        [ $((SECONDS - t0)) -le 8 ] || fail "took $((SECONDS - t0)) s"
}

@test "nook stop -s KILL returns once pid 1 is gone too" {
        running_named killme
        local pid1
        pid1=$("$NOOK" ps --json | python3 -c 'import json, sys; print([s["pid"] for s in json.load(sys.stdin) if s["name"] == "killme"][0])')
        proc_stat "$pid1" || fail "no pid 1"
        local p1="$pid1:$STAT_START"
        run --separate-stderr "$NOOK" stop -s KILL killme
        assert_status 0
        ! proc_alive "$p1" || fail "pid 1 still runs after nook stop returned"
}

# ---- nook run -d, nook logs ---------------------------------------------------------

@test "nook run -d returns once the sandbox runs, printing its ID; nook logs shows its output, also after it ended" {
        export XDG_STATE_HOME="$TMP/state"
        run --separate-stderr "$NOOK" run -d --name bgbox -- /bin/sh -c "echo first; sleep $TEST_MARKER"
        assert_status 0
        local id=$output
        [[ "$id" =~ ^[0-9]+$ ]] || { show_run; fail "not an ID: $id"; }
        proc_stat "$id" && STARTED_PIDS+=("$id:$STAT_START")
        listed "$id" || fail "nook ps does not list $id"
        # in a session of its own: the terminal's end does not end it
        [ "$(ps -o sid= -p "$id" | tr -d ' ')" = "$id" ] || fail "not the leader of its own session"
        wait_until 50 bash -c '"$1" logs bgbox | grep -qx first' _ "$NOOK" || fail "nook logs: $("$NOOK" logs bgbox 2>&1)"
        run --separate-stderr "$NOOK" stop bgbox
        assert_status 0
        run --separate-stderr "$NOOK" logs "$id"
        assert_status 0
        [[ "$output" == first* ]] || { show_run; fail "the log is gone once the sandbox ended"; }
        run --separate-stderr "$NOOK" logs bgbox
        assert_status 0
        [[ "$output" == first* ]] || { show_run; fail "an ended sandbox's log is not found by its name"; }
        [ -f "$XDG_STATE_HOME/nook/logs/$id.log" ] || fail "no log under \$XDG_STATE_HOME/nook/logs"
}

@test "an XDG_STATE_HOME too long to name a log under: the log goes to ~/.local/state, none to a cut path" {
        local part i long="$TMP/state"
        part=$(printf 'a%.0s' $(seq 200))
        for i in $(seq 21); do long="$long/$part"; done
        export XDG_STATE_HOME="$long" HOME="$TMP/home"
        mkdir "$HOME"
        run --separate-stderr "$NOOK" run -d -- /bin/sh -c 'echo first'
        assert_status 0
        local id=$output
        wait_until 50 grep -qx first "$HOME/.local/state/nook/logs/$id.log" || fail "the log is not in ~/.local/state"
        [ ! -e "$TMP/state" ] || fail "a directory was made under a cut XDG_STATE_HOME"
}

@test "nook logs -f follows the output until the sandbox ends" {
        export XDG_STATE_HOME="$TMP/state"
        run --separate-stderr "$NOOK" run -d -- /bin/sh -c 'echo one; sleep 1; echo two'
        assert_status 0
        local id=$output
        proc_stat "$id" && STARTED_PIDS+=("$id:$STAT_START")
        run --separate-stderr timeout 10 "$NOOK" logs -f "$id"
        assert_status 0
        [ "$output" = "one
two" ] || { show_run; fail "unexpected: $output"; }
}

@test "nook run -d of a sandbox that cannot start: its one-line error, exit 125, nothing left running" {
        export XDG_STATE_HOME="$TMP/state"
        run --separate-stderr "$NOOK" run -d --chdir /nonexistent-dir -- /bin/true
        [ "$status" -eq 125 ] || { show_run; fail "status $status"; }
        [[ "$stderr" == *"nook: "*"/nonexistent-dir"* ]] || { show_run; fail "the error is not shown"; }
        run --separate-stderr "$NOOK" ps --json
        assert_output "[]"
}

@test "nook logs of a sandbox not started with -d, or of nothing, says so in one line" {
        export XDG_STATE_HOME="$TMP/state"
        running_named fg
        run --separate-stderr "$NOOK" logs fg
        assert_nook_error "-d"
        run --separate-stderr "$NOOK" logs nothere
        assert_nook_error nothere
}

@test "nook run -d of a command that cannot run: exit 127 or 126 and its error, as without -d" {
        export XDG_STATE_HOME="$TMP/state"
        run -127 --separate-stderr "$NOOK" run -d -- /nonexistent-command
        assert_status 127
        [[ "$stderr" == *"/nonexistent-command"* ]] || { show_run; fail "the error is not shown"; }
        [ -z "$(ls -A "$XDG_STATE_HOME/nook/logs" 2>/dev/null)" ] || fail "the log of a run that never ran was kept"
}

# on_tty COMMAND...: runs COMMAND with its output on a terminal (a pty);
# sets output to what it wrote (carriage returns dropped).
on_tty() {
        run python3 -c 'import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.buffer.write(out.replace(b"\r", b""))' "$@"
}

@test "nook logs on a terminal shows escape sequences and control characters, not sends them; --raw sends them" {
        export XDG_STATE_HOME="$TMP/state"
        run --separate-stderr "$NOOK" run -d -- /bin/sh -c "printf 'a\033[31mred\033]0;title\007\tb\302\233c\n'"
        assert_status 0
        local id=$output
        run --separate-stderr timeout 10 "$NOOK" logs -f "$id"
        on_tty "$NOOK" logs "$id"
        assert_status 0
        [[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\302\233'* ]] ||
                { show_run; fail "a control character reached the terminal"; }
        assert_output $'a^[[31mred^[]0;title^G\tb\\x9bc'
        on_tty "$NOOK" logs --raw "$id"
        assert_output $'a\e[31mred\e]0;title\a\tb\302\233c'
        # not a terminal: as it is
        run --separate-stderr "$NOOK" logs "$id"
        assert_output $'a\e[31mred\e]0;title\a\tb\302\233c'
}

@test "a log is rotated at 10 MiB: ID.log and ID.log.1, each at most 10 MiB, nook logs prints both in order" {
        export XDG_STATE_HOME="$TMP/state"
        # about 21 MB of numbered lines
        run --separate-stderr "$NOOK" run -d -- seq 1 3000000
        assert_status 0
        local id=$output dir="$TMP/state/nook/logs"
        # until it has ended (a follower may miss a part that was rotated
        # twice between two of its looks)
        timeout 30 "$NOOK" logs -f --raw "$id" >/dev/null || fail "nook logs -f failed"
        # (in a file: bats's run is slow with two million lines)
        "$NOOK" logs --raw "$id" >"$TMP/out" || fail "nook logs failed"
        [ "$(tail -n 1 "$TMP/out")" = 3000000 ] || fail "the log does not end with the last line: $(tail -n 1 "$TMP/out")"
        [ -f "$dir/$id.log.1" ] || fail "no rotated copy: $(ls -l "$dir")"
        [ "$(stat -c %s "$dir/$id.log")" -le $((10 * 1024 * 1024)) ] || fail "$id.log is over 10 MiB: $(ls -l "$dir")"
        [ "$(stat -c %s "$dir/$id.log.1")" -le $((10 * 1024 * 1024)) ] || fail "$id.log.1 is over 10 MiB: $(ls -l "$dir")"
        # what is printed is one run of lines, the older copy first (the
        # first line may be cut: the copy before it is gone)
        tail -n +2 "$TMP/out" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }' ||
                fail "the lines are not in order"
        [ "$(wc -l <"$TMP/out")" -gt 1000000 ] || fail "only $(wc -l <"$TMP/out") lines"
}

@test "logs of ended sandboxes are pruned: the 50 newest kept, none older than 14 days, none empty; never a running one's" {
        export XDG_STATE_HOME="$TMP/state"
        local dir="$TMP/state/nook/logs" now i
        mkdir -p -m 0700 "$TMP/state/nook" "$dir"
        now=$(date +%s)
        # ids no process has (above any pid_max): ended sandboxes
        for i in $(seq 1 55); do
                echo "run $i" >"$dir/99999$((1000 + i)).log"
                touch -d "@$((now - i * 60))" "$dir/99999$((1000 + i)).log"
        done
        echo old >"$dir/999990001.log"
        touch -d "@$((now - 15 * 86400))" "$dir/999990001.log"
        : >"$dir/999990002.log"
        ln -s 99999$((1000 + 55)).log "$dir/gone.log"
        ln -s 99999$((1000 + 1)).log "$dir/kept.log"
        # a running sandbox's log, empty and made to look old: kept
        run --separate-stderr "$NOOK" run -d -- sleep "$TEST_MARKER"
        assert_status 0
        local live=$output
        proc_stat "$live" && STARTED_PIDS+=("$live:$STAT_START")
        touch -d "@$((now - 20 * 86400))" "$dir/$live.log"
        run --separate-stderr "$NOOK" logs kept
        assert_output "run 1"
        for i in $(seq 1 50); do [ -f "$dir/99999$((1000 + i)).log" ] || fail "run $i was pruned"; done
        for i in $(seq 51 55); do [ ! -e "$dir/99999$((1000 + i)).log" ] || fail "run $i was kept"; done
        [ ! -e "$dir/999990001.log" ] || fail "a log older than 14 days was kept"
        [ ! -e "$dir/999990002.log" ] || fail "an empty log of an ended sandbox was kept"
        [ ! -L "$dir/gone.log" ] || fail "a link to a pruned log was kept"
        [ -L "$dir/kept.log" ] || fail "a link to a kept log was pruned"
        [ -f "$dir/$live.log" ] || fail "the running sandbox's log was pruned"
}

@test "the empty log of a run -d killed while it started is pruned by the next run -d" {
        export XDG_STATE_HOME="$TMP/state"
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] ||
                skip "host: /dev/net/tun is missing or not usable by $(id -un)"
        local dir="$TMP/state/nook/logs" caller id
        # a slirp4netns that never comes up holds the start for 10 s
        mkdir "$TMP/fakebin"
        printf '#!/bin/sh\nexec sleep %s\n' "$TEST_MARKER" >"$TMP/fakebin/slirp4netns"
        chmod +x "$TMP/fakebin/slirp4netns"
        env PATH="$TMP/fakebin:$PATH" "$NOOK" run -d --net slirp -- /bin/true >/dev/null 2>&1 3>&- &
        caller=$!
        proc_stat "$caller" && STARTED_PIDS+=("$caller:$STAT_START")
        # up to 30 s: under ASan on a loaded 2-core machine the start took
        # over 5, and once over 8 (nook waits 10 s for slirp4netns from
        # there; this wait ends as soon as the stand-in runs)
        wait_until 300 test -n "$(marked_procs "$TEST_MARKER")" || fail "the start did not get as far as slirp4netns"
        id=$(cd "$dir" && ls | grep -E '^[0-9]+[.]log$' | head -n 1)
        id=${id%.log}
        [ -n "$id" ] || fail "no log: $(ls -la "$dir")"
        # the caller first (it would remove the log), then the sandbox's nook
        kill -KILL "$caller"
        kill -KILL "$id"
        wait "$caller" 2>/dev/null || true
        # the relay lets go of the log once its last writer is gone
        wait_until 50 flock -n "$dir/$id.log" true || fail "the log is still being written"
        [ -f "$dir/$id.log" ] && [ ! -s "$dir/$id.log" ] || fail "expected an empty $id.log: $(ls -la "$dir")"
        run --separate-stderr "$NOOK" run -d -- /bin/true
        assert_status 0
        [ ! -e "$dir/$id.log" ] || fail "the empty log of the run that never started was kept"
}

@test "nook run -d holds none of the caller's other fds: a pipe reader is not kept waiting" {
        export XDG_STATE_HOME="$TMP/state"
        local t0=$SECONDS
        run bash -c '"$1" run -d -- sleep "$2" 5>&1 | cat >/dev/null; echo done' _ "$NOOK" "$TEST_MARKER"
        [ "$output" = done ] || { show_run; fail "unexpected: $output"; }
        [ $((SECONDS - t0)) -le 5 ] || fail "the caller's pipe was held open ($((SECONDS - t0)) s)"
}
