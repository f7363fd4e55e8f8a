#!/usr/bin/env bats
# nook learn: device nodes as Device=, and the [Desktop] keys from the
# display and sound servers' sockets connected to (stand-in servers: unix
# sockets of the test's own).

load learn-helpers

# unix_server PATH: a stand-in server at PATH (netserver.py unix-hello, 20 s)
unix_server() {
        mkdir -p "$(dirname "$1")"
        python3 "$netserver" unix-hello "$1" 20 >/dev/null 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -S "$1" || fail "the stand-in server at $1 did not start"
}

# learn_asks PATH...: learn a client that connects to each PATH in turn
learn_asks() {
        local p cmd=""
        for p in "$@"; do cmd="$cmd python3 \"$netserver\" unix-ask \"$p\" 3;"; done
        learn --ro-bind "$netserver" -- sh -c "$cmd"
}

@test "a device node the command opened is learnt as Device=, and none of those every sandbox has" {
        local dev
        for dev in /dev/loop-control /dev/fuse /dev/tty0 ""; do [ -c "$dev" ] && break; done
        [ -n "$dev" ] || skip "host: no device node to try"
        learn -- sh -c "cat /dev/null; head -c1 /dev/urandom >/dev/null; (exec 3<$dev) 2>/dev/null; true"
        assert_status 0
        grep -qx "Device=$dev" "$F" || { cat "$F" >&2; fail "no Device=$dev"; }
        ! grep -q '^Device=/dev/\(null\|urandom\)$' "$F" || fail "a node every sandbox has is listed"
        under true
        assert_status 0
}

@test "a GPU node under /dev/dri opened gives GPU=yes in [Desktop], not a Device= line" {
        # a stand-in render node (this machine has no GPU): a file bound at its name
        : >"$TMP/renderD128"
        learn --bind "$TMP/renderD128:/dev/dri/renderD128" -- sh -c 'exec 3</dev/dri/renderD128'
        assert_status 0
        awk '/^\[/ { s = $0 } /^GPU=yes$/ { print s }' "$F" | grep -qx '\[Desktop\]' || { cat "$F" >&2; fail "no GPU=yes"; }
        ! grep -q '^Device=/dev/dri' "$F" || fail "the GPU node is a Device= line"
}

@test "a Wayland display's socket and a PulseAudio one's give Display=wayland and Audio=pulseaudio" {
        export XDG_RUNTIME_DIR="$TMP/rt"
        unix_server "$XDG_RUNTIME_DIR/wayland-7"
        unix_server "$XDG_RUNTIME_DIR/pulse/native"
        learn_asks "$XDG_RUNTIME_DIR/wayland-7" "$XDG_RUNTIME_DIR/pulse/native"
        assert_status 0
        awk '/^\[/ { s = $0 } /^Display=wayland$/ { print s }' "$F" | grep -qx '\[Desktop\]' || { cat "$F" >&2; fail "no Display=wayland"; }
        grep -qx 'Audio=pulseaudio' "$F"
        ! grep -q '^GPU=' "$F"
}

@test "an X11 display's socket and a PipeWire one's give Display=x11 and Audio=pipewire" {
        export XDG_RUNTIME_DIR="$TMP/rt"
        unix_server "$XDG_RUNTIME_DIR/pipewire-0"
        # the X11 name is fixed (/tmp/.X11-unix/X*): asked for, not served
        learn_asks /tmp/.X11-unix/X4242 "$XDG_RUNTIME_DIR/pipewire-0"
        assert_status 0
        grep -qx 'Display=x11' "$F" || { cat "$F" >&2; fail "no Display=x11"; }
        grep -qx 'Audio=pipewire' "$F"
}

@test "no display or sound socket used: no [Desktop] section" {
        export XDG_RUNTIME_DIR="$TMP/rt"
        unix_server "$XDG_RUNTIME_DIR/other.sock"
        learn_asks "$XDG_RUNTIME_DIR/other.sock"
        assert_status 0
        ! grep -q '^\[Desktop\]' "$F" || { cat "$F" >&2; fail "a [Desktop] section"; }
        grep -q '^# a unix socket, not bound: .*other.sock' "$F"
}

@test "with --dbus filtered, the names called are learnt as Talk=, and the profile's run reaches them" {
        for t in dbus-daemon dbus-send dbus-test-tool xdg-dbus-proxy; do
                command -v "$t" >/dev/null || skip "host: no $t"
        done
        export XDG_RUNTIME_DIR="$TMP/rt"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
        export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
        bg_rec dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile
        wait_until 50 test -S "$XDG_RUNTIME_DIR/bus" || fail "dbus-daemon did not start"
        bg_rec dbus-test-tool echo --name=org.example.Echo
        bg_rec dbus-test-tool echo --name=org.example.Unused
        wait_until 50 dbus-send --session --print-reply --dest=org.example.Echo / org.example.Ping >/dev/null 2>&1 ||
                fail "the echo service did not start"
        wait_until 50 dbus-send --session --print-reply --dest=org.example.Unused / org.example.Ping >/dev/null 2>&1 ||
                fail "the second echo service did not start"
        # learning lets the command work: the names on the bus are reachable, and only those called are learnt
        learn --dbus filtered -- dbus-send --session --print-reply --dest=org.example.Echo / org.example.Ping
        assert_status 0
        grep -qx 'DBus=filtered' "$F" || { cat "$F" >&2; fail "no DBus=filtered"; }
        grep -qx 'Talk=org.example.Echo' "$F"
        ! grep -q 'Talk=org.example.Unused' "$F" || fail "a name on the bus but never called was learnt"
        ! grep -q '^Talk=org.freedesktop.DBus$' "$F" || fail "the bus itself is a Talk="
        [ -z "$(ls "$XDG_RUNTIME_DIR" | grep nook-learn-dbus)" ] || fail "the proxy's log was left behind"
        under dbus-send --session --print-reply --dest=org.example.Echo / org.example.Ping
        assert_status 0
}
