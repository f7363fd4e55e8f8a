#!/usr/bin/env bats
# The network: a private namespace with only lo, up; --share-net for the host's.

load helpers

@test "only lo exists, and it is up" {
        ask -- ifaces
        assert_answer "lo:UP"
}

@test "--share-net sees the host's interfaces" {
        ask_host ifaces
        assert_status 0
        local host=$output
        [ "$host" != "lo:UP" ] || skip "host: no interface besides lo, nothing to tell the host's network apart"
        ask --share-net -- ifaces
        assert_answer "$host"
}

@test "the private network has no route beyond loopback" {
        # Connecting a UDP socket sends nothing; it only needs a route.
        local try='exec 3<>/dev/udp/192.0.2.1/9 && echo connected'
        run bash -c "$try"
        [ "$output" = connected ] || skip "host: no route to 192.0.2.1 (TEST-NET-1) on the host either"
        run --separate-stderr nook run -- bash -c "$try"
        [ "$status" -ne 0 ] && [ "$output" != connected ] || { show_run; fail "a route to 192.0.2.1 exists inside"; }
        [[ "$stderr" == *"unreachable"* ]] || { show_run; fail "expected 'Network is unreachable'"; }
}

@test "--share-net has the host's routes" {
        local try='exec 3<>/dev/udp/192.0.2.1/9 && echo connected'
        run bash -c "$try"
        [ "$output" = connected ] || skip "host: no route to 192.0.2.1 (TEST-NET-1) on the host"
        run --separate-stderr nook run --share-net -- bash -c "$try"
        assert_answer connected
}

@test "loopback works inside" {
        run --separate-stderr nook run -- bash -c 'exec 3<>/dev/udp/127.0.0.1/9 && echo connected'
        assert_answer connected
}
