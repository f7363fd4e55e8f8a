#!/usr/bin/env bats
# --net host with --allow: Landlock limits connect(2) and bind(2) to the TCP
# ports allowed (ABI 4), and keeps the host's abstract unix sockets out of
# reach (ABI 6); the seccomp filter refuses every socket Landlock does not
# see (UDP, raw, SCTP, MPTCP, other families); what cannot be enforced is
# refused, never passed. Servers listen on the host's 127.0.0.1 only.

load helpers

setup() {
        common_setup
        PY=/usr/bin/python3
        [ -x "$PY" ] || skip "host: the network tests need /usr/bin/python3"
        NETSERVER="$BATS_TEST_DIRNAME/netserver.py"
        abi=$("$PY" -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(max(0, l.syscall(444, None, 0, 1)))')
}

# host_hello VAR: a "hello" server, TCP and UDP, on 127.0.0.1; VAR gets its port
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

# ---- what Landlock does not see: refused by the seccomp filter -------------------

@test "--net host --allow refuses Multipath TCP, which Landlock does not limit, to a port not allowed" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        host_hello A
        host_hello B
        in_host -- "$PY" "$NETSERVER" mptcp-connect 127.0.0.1 "$B" 2
        [ "$output" = "ok hello $B" ] || skip "host: no Multipath TCP here ($output)"
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" "$NETSERVER" mptcp-connect 127.0.0.1 "$B" 2
        assert_answer "error EACCES"
        # and plain TCP to the port allowed still goes through
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" "$NETSERVER" connect 127.0.0.1 "$A" 2
        assert_answer "ok hello $A"
}

@test "--net host --allow refuses UDP sockets, which Landlock does not limit" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        host_hello A
        in_host -- "$PY" "$NETSERVER" udp-ask 127.0.0.1 "$A" x 2
        assert_answer "ok hello $A"
        in_host --allow "0.0.0.0/0:$A/tcp" -- "$PY" "$NETSERVER" udp-ask 127.0.0.1 "$A" x 2
        assert_answer "error EACCES"
}

# socket(2) arguments: family type protocol, one triple a line of the answer
refused_sockets=(
        2 2 0           # AF_INET SOCK_DGRAM (UDP)
        2 0x80802 17    # AF_INET SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK IPPROTO_UDP
        10 2 0          # AF_INET6 SOCK_DGRAM
        2 2 1           # AF_INET SOCK_DGRAM IPPROTO_ICMP (ping)
        2 3 255         # AF_INET SOCK_RAW IPPROTO_RAW
        10 3 58         # AF_INET6 SOCK_RAW IPPROTO_ICMPV6
        2 1 262         # AF_INET SOCK_STREAM IPPROTO_MPTCP
        10 0x80001 262  # AF_INET6 SOCK_STREAM|SOCK_CLOEXEC IPPROTO_MPTCP
        2 1 132         # AF_INET SOCK_STREAM IPPROTO_SCTP
        2 5 132         # AF_INET SOCK_SEQPACKET IPPROTO_SCTP
        17 3 768        # AF_PACKET SOCK_RAW htons(ETH_P_ALL)
        40 1 0          # AF_VSOCK SOCK_STREAM
)
allowed_sockets=(
        2 1 0           # AF_INET SOCK_STREAM
        10 0x80801 6    # AF_INET6 SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK IPPROTO_TCP
        1 1 0           # AF_UNIX SOCK_STREAM
        1 2 0           # AF_UNIX SOCK_DGRAM
        16 3 0          # AF_NETLINK SOCK_RAW (NETLINK_ROUTE)
)

@test "--net host --allow refuses raw, datagram, SCTP, MPTCP, packet and vsock sockets with EACCES; TCP, Unix and netlink ones are made" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        ask --net host --allow 0.0.0.0/0:80/tcp -- socket "${refused_sockets[@]}" "${allowed_sockets[@]}"
        assert_status 0
        local n=$((${#refused_sockets[@]} / 3)) i
        for ((i = 0; i < n; i++)); do
                [ "${lines[i]}" = EACCES ] ||
                        { show_run; fail "socket(${refused_sockets[*]:3*i:3}) gave ${lines[i]}, not EACCES"; }
        done
        for ((i = 0; i < ${#allowed_sockets[@]} / 3; i++)); do
                [ "${lines[n + i]}" = ok ] ||
                        { show_run; fail "socket(${allowed_sockets[*]:3*i:3}) gave ${lines[n + i]}"; }
        done
}

@test "nook enter into a --net host --allow sandbox is held to the same sockets" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        "$NOOK" run --name "hostnet-$TEST_MARKER" --net host --allow 0.0.0.0/0:80/tcp --ro-bind "$PROBE" -- \
                sleep "$TEST_MARKER" >"$TMP/nook.log" 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 "$NOOK" enter "hostnet-$TEST_MARKER" -- /bin/true ||
                fail "cannot enter the sandbox:" "$(cat "$TMP/nook.log")"
        run --separate-stderr "$NOOK" enter "hostnet-$TEST_MARKER" -- "$PROBE" socket 2 2 0 2 1 262 2 1 0
        assert_status 0
        assert_output "$(printf 'EACCES\nEACCES\nok')"
}

@test "--net host --allow with --seccomp none is refused: the filter holds what Landlock cannot" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi"
        run --separate-stderr "$NOOK" run --net host --allow 0.0.0.0/0:80/tcp --seccomp none -- /bin/touch "$TMP/marker"
        assert_nook_error "Seccomp=none"
        [ ! -e "$TMP/marker" ] || fail "the command ran"
}

@test "--allow with --socket-families unix,inet: a TCP socket of inet6 is refused too (the two rule sets once let it through)" {
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        in_host --allow "0.0.0.0/0:80/tcp" --socket-families unix,inet -- "$PY" -c '
import socket
for f, t in ((socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM)):
    try:
        socket.socket(f, t).close(); print("%d/%d:ok" % (f, t))
    except OSError as e:
        print("%d/%d:%d" % (f, t, e.errno))
'
        assert_status 0
        assert_output "10/1:97
10/2:97
2/1:ok
2/2:13"
}
