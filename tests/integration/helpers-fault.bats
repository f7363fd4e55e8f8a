#!/usr/bin/env bats
# nook's helper processes under faults: a helper that hangs at start (a
# stand-in placed first on PATH that never says it is ready and ignores
# SIGTERM) is killed once nook gives up on it, and dies with nook.
#
# The stand-ins sleep with this test's marker in their arguments, which is
# how they are found (marked_procs); nothing is ever reached on the network.

load helpers

# hanging_helper NAME: a stand-in for NAME in $TMP/fakebin that ignores
# SIGTERM (and HUP, INT) and sleeps for ever, its marker in argv.
hanging_helper() {
        mkdir -p "$TMP/fakebin"
        printf '#!/bin/sh\ntrap "" TERM HUP INT\nexec sleep %s\n' "$TEST_MARKER" >"$TMP/fakebin/$1"
        chmod +x "$TMP/fakebin/$1"
}

no_stand_in_left() { [ -z "$(marked_procs "$TEST_MARKER")" ]; }

need_tun() {
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] ||
                skip "host: /dev/net/tun is missing or not usable by $(id -un) (it must be mode 0666)"
}

@test "a slirp4netns that hangs at start is killed when nook gives up on it after 10 s" {
        need_tun
        hanging_helper slirp4netns
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net slirp -- /bin/true
        assert_nook_error "slirp4netns did not come up within 10 s"
        # killed by nook before it returned: no waiting for a reaper here
        no_stand_in_left || fail "the hanging slirp4netns still runs:" "$(marked_procs "$TEST_MARKER")"
        [ -z "$(find "$XDG_RUNTIME_DIR" -mindepth 2 2>/dev/null)" ] || fail "left in the run directory"
}

@test "a pasta that hangs at start and ignores SIGTERM is killed when nook gives up on it" {
        need_tun
        hanging_helper pasta
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net pasta -- /bin/true
        assert_nook_error "pasta did not configure the sandbox's network within 5 s"
        no_stand_in_left || fail "the hanging pasta still runs:" "$(marked_procs "$TEST_MARKER")"
}

@test "an xdg-dbus-proxy that hangs at start is killed when nook gives up on it" {
        local py=/usr/bin/python3
        [ -x "$py" ] || skip "host: this test needs /usr/bin/python3"
        hanging_helper xdg-dbus-proxy
        # a session bus that is only a listening socket: the proxy never
        # gets as far as talking to it
        "$py" -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(float(sys.argv[2]))' \
                "$TMP/bus" 30 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -S "$TMP/bus" || fail "the stand-in bus did not start"
        DBUS_SESSION_BUS_ADDRESS="unix:path=$TMP/bus" run --separate-stderr env PATH="$TMP/fakebin:$PATH" \
                "$NOOK" run --dbus filtered -- /bin/true
        assert_nook_error "xdg-dbus-proxy did not come up within 5 s"
        no_stand_in_left || fail "the hanging xdg-dbus-proxy still runs:" "$(marked_procs "$TEST_MARKER")"
}

@test "a helper dies with nook when nook is killed" {
        need_tun
        hanging_helper slirp4netns
        env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net slirp -- /bin/true 2>/dev/null 3>&- &
        local nook_pid=$!
        proc_stat "$nook_pid" && STARTED_PIDS+=("$nook_pid:$STAT_START")
        wait_until 50 test -n "$(marked_procs "$TEST_MARKER")" || fail "the stand-in slirp4netns did not start"
        kill -KILL "$nook_pid"
        wait "$nook_pid" 2>/dev/null || true
        wait_until 20 no_stand_in_left || fail "slirp4netns outlived its nook:" "$(marked_procs "$TEST_MARKER")"
}
