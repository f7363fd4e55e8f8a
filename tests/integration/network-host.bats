#!/usr/bin/env bats
# --net host with --allow: Landlock limits connect(2) and bind(2) to the TCP
# ports allowed (ABI 4), and keeps the host's abstract unix sockets out of
# reach (ABI 6); what Landlock cannot enforce is refused, never passed.
# Servers listen on the host's 127.0.0.1 only.

load helpers

setup() {
        common_setup
        PY=/usr/bin/python3
        [ -x "$PY" ] || skip "host: the network tests need /usr/bin/python3"
        NETSERVER="$BATS_TEST_DIRNAME/netserver.py"
        abi=$("$PY" -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(max(0, l.syscall(444, None, 0, 1)))')
}

# host_hello VAR: a "hello" server on 127.0.0.1; VAR gets its port
host_hello() {
        local f="$TMP/port-$1"
        "$PY" "$NETSERVER" hello "$f" 20 >"$TMP/server-$1.log" 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -s "$f" || fail "the hello server did not start"
        printf -v "$1" '%s' "$(cat "$f")"
}

abstract_up() { [ "$("$PY" -c "$probe" "$1")" = reached ]; }

in_host() { run --separate-stderr "$NOOK" run --net host --ro-bind "$NETSERVER" "$@"; }

@test "--net host --allow 0.0.0.0/0:A/tcp lets a connection to port A through and refuses port B" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        host_hello A
        host_hello B
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" "$NETSERVER" connect 127.0.0.1 "$A" 2
        assert_answer "ok hello $A"
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" "$NETSERVER" connect 127.0.0.1 "$B" 2
        assert_status 0
        [[ "$output" == "error "* ]] || fail "port B was reached: $output"
}

@test "without --allow, --net host reaches every port" {
        host_hello A
        in_host -- "$PY" "$NETSERVER" connect 127.0.0.1 "$A" 2
        assert_answer "ok hello $A"
}

@test "--net host with --allow keeps the host's abstract unix sockets out of reach" {
        [ "$abi" -ge 6 ] || skip "host: the kernel has Landlock ABI $abi, scoping needs 6"
        local name="nook-test-$TEST_MARKER"
        "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(8); s.settimeout(1)
end = time.time() + 15
while time.time() < end:
    try:
        c, _ = s.accept(); c.close()
    except OSError:
        pass' "$name" 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        probe='import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0" + sys.argv[1]); print("reached")
except OSError as e:
    print("refused", e.errno)'
        wait_until 50 abstract_up "$name" || fail "the abstract socket server did not start"
        in_host -- "$PY" -c "$probe" "$name"
        assert_answer reached
        host_hello A
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" -c "$probe" "$name"
        assert_status 0
        [[ "$output" == refused* ]] || fail "the abstract socket was reached: $output"
}

@test "--net host --allow with an address Landlock cannot enforce is refused before anything starts" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi"
        run --separate-stderr "$NOOK" run --net host --allow 127.0.0.1:80/tcp -- /bin/touch "$TMP/marker"
        assert_nook_error "Landlock"
        [ ! -e "$TMP/marker" ] || fail "the command ran"
}

@test "--net host with --deny is refused: Landlock only allows" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi"
        run --separate-stderr "$NOOK" run --net host --deny 0.0.0.0/0:80/tcp -- /bin/true
        assert_nook_error "Deny"
}

@test "--net host --allow of UDP is refused: Landlock limits TCP only" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi"
        run --separate-stderr "$NOOK" run --net host --allow 0.0.0.0/0:53/udp -- /bin/true
        assert_nook_error "TCP"
}

@test "--net host says, with -v only, in one line, that the host's network is shared" {
        run --separate-stderr "$NOOK" run -v --net host -- /bin/true
        assert_status 0
        [ "$(grep -c "^nook: warning: --net host shares the host's network" <<<"$stderr")" -eq 1 ] ||
                { show_run; fail "no one-line warning with -v"; }
        run --separate-stderr "$NOOK" run --net host -- /bin/true
        assert_status 0
        [ -z "$stderr" ] || { show_run; fail "something said without -v"; }
}
