#!/usr/bin/env bats
# [Desktop]: the session's X server (a real Xvfb), Wayland, PulseAudio and
# PipeWire sockets (stand-in servers on Unix sockets in a runtime directory
# of the test's own), the GPU's nodes; what is not asked for stays out of
# reach, what is bound cannot be changed, and what is missing is an error
# that names it.

load helpers

setup() {
        common_setup
        PY=/usr/bin/python3
        [ -x "$PY" ] || skip "host: the desktop tests need /usr/bin/python3"
        NETSERVER="$BATS_TEST_DIRNAME/netserver.py"
        # a session runtime directory of the test's own, as a desktop has
        export XDG_RUNTIME_DIR="$TMP/xdg-run"
        unset DISPLAY WAYLAND_DISPLAY XAUTHORITY PIPEWIRE_REMOTE PULSE_SERVER DBUS_SESSION_BUS_ADDRESS
}

teardown() {
        stop_display_servers
        common_teardown
}

# unix_server PATH: a stand-in server on a Unix socket (20 s).
unix_server() {
        mkdir -p "${1%/*}"
        bg_rec "$PY" "$NETSERVER" unix-hello "$1" 20
        wait_until 50 test -S "$1" || fail "the stand-in server at $1 did not start:" "$(cat "$TMP/bg.log")"
}

inside() { run --separate-stderr "$NOOK" run --ro-bind "$NETSERVER" "$@"; }

# ---- X11 ------------------------------------------------------------------------

@test "--display x11: a client inside reaches the X server, which is out of reach without it" {
        xvfb
        export DISPLAY=":$XNUM"
        inside --display x11 -- /bin/sh -c 'xdpyinfo | head -1; echo "DISPLAY=$DISPLAY"'
        assert_status 0
        [[ "${lines[0]}" == "name of display:"*":$XNUM"* ]] || { show_run; fail "xdpyinfo did not reach the server"; }
        [ "${lines[1]}" = "DISPLAY=:$XNUM" ] || { show_run; fail "DISPLAY inside"; }
        inside -- /bin/sh -c 'xdpyinfo >/dev/null 2>&1 && echo reached || echo unreachable'
        assert_answer unreachable
}

@test "--display x11 with a cookie: XAUTHORITY is bound read-only and the server accepts it" {
        command -v xauth >/dev/null || skip "host: xauth is not installed (apt-get install xauth)"
        command -v mcookie >/dev/null || skip "host: mcookie (util-linux) is missing"
        export XAUTHORITY="$TMP/xauth"
        touch "$XAUTHORITY"
        local cookie
        cookie=$(mcookie)
        # the display number is only known once Xvfb runs: add it after
        xvfb -auth "$XAUTHORITY"
        xauth -f "$XAUTHORITY" add ":$XNUM" . "$cookie"
        export DISPLAY=":$XNUM"
        # another display's cookie, which must not go in
        xauth -f "$XAUTHORITY" add ":$((XNUM + 1))" . "$(mcookie)"
        inside --display x11 -- /bin/sh -c 'xdpyinfo >/dev/null && echo reached; echo "XAUTHORITY=$XAUTHORITY"; echo x >>"$XAUTHORITY" 2>/dev/null || echo read-only; xauth -f "$XAUTHORITY" list | wc -l'
        assert_status 0
        [ "${lines[0]}" = reached ] || { show_run; fail "the server refused the cookie"; }
        [ "${lines[1]}" = "XAUTHORITY=/run/user/$(id -u)/Xauthority" ] || { show_run; fail "XAUTHORITY inside"; }
        [ "${lines[2]}" = read-only ] || { show_run; fail "the cookie file is writable inside"; }
        [ "${lines[3]}" = 1 ] || { show_run; fail "more than this display's cookie inside"; }
        # the cookie holds under another hostname (an image's is "nook")
        inside --display x11 --hostname box -- /bin/sh -c 'xdpyinfo >/dev/null && echo reached'
        assert_answer reached
}

@test "the X socket inside cannot be changed or removed" {
        xvfb
        export DISPLAY=":$XNUM"
        inside --display x11 -- /bin/sh -c "chmod 0700 /tmp/.X11-unix/X$XNUM 2>/dev/null && echo chmod; rm -f /tmp/.X11-unix/X$XNUM 2>/dev/null && echo rm; true"
        assert_status 0
        [ -z "$output" ] || { show_run; fail "changed: $output"; }
        [ -S "/tmp/.X11-unix/X$XNUM" ] && [ "$(stat -c %a "/tmp/.X11-unix/X$XNUM")" = 777 ] || fail "the host's socket changed"
}

@test "what is not granted is not in the environment: DISPLAY, WAYLAND_DISPLAY, PULSE_SERVER, DBUS_SESSION_BUS_ADDRESS" {
        DISPLAY=:99 WAYLAND_DISPLAY=wayland-x XAUTHORITY=/x PULSE_SERVER=unix:/x PIPEWIRE_REMOTE=x \
                DBUS_SESSION_BUS_ADDRESS=unix:path=/x inside -- /bin/sh -c \
                'echo ${DISPLAY:-u}${WAYLAND_DISPLAY:-u}${XAUTHORITY:-u}${PULSE_SERVER:-u}${PIPEWIRE_REMOTE:-u}${DBUS_SESSION_BUS_ADDRESS:-u}'
        assert_answer uuuuuu
}

@test "--display auto passes over a DISPLAY that is remote or stale, without an error" {
        DISPLAY=localhost:10.0 inside --display auto -- /bin/sh -c 'echo ${DISPLAY:-none}'
        assert_answer none
        local n=7
        while [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
        DISPLAY=":$n" inside --display auto -- /bin/sh -c 'echo ${DISPLAY:-none}'
        assert_answer none
}

@test "--display x11 without a usable DISPLAY fails in one line naming it" {
        inside --display x11 -- /bin/true
        assert_nook_error DISPLAY
        DISPLAY=otherhost:0 inside --display x11 -- /bin/true
        assert_nook_error otherhost:0
        DISPLAY=:7 inside --display x11 -- /bin/true
        [ -e /tmp/.X11-unix/X7 ] || assert_nook_error /tmp/.X11-unix/X7
}

# ---- Wayland, PulseAudio, PipeWire ----------------------------------------------------

@test "--display wayland: the Wayland socket is at \$XDG_RUNTIME_DIR/wayland-0 inside, DISPLAY is unset" {
        unix_server "$XDG_RUNTIME_DIR/wayland-7"
        export WAYLAND_DISPLAY=wayland-7 DISPLAY=:0
        inside --display wayland -- /bin/sh -c \
                "echo \$WAYLAND_DISPLAY \$XDG_RUNTIME_DIR \${DISPLAY:-unset}; $PY $NETSERVER unix-ask \"\$XDG_RUNTIME_DIR/\$WAYLAND_DISPLAY\""
        assert_status 0
        [ "${lines[0]}" = "wayland-0 /run/user/$(id -u) unset" ] || { show_run; fail "environment inside"; }
        [ "${lines[1]}" = "ok hello $XDG_RUNTIME_DIR/wayland-7" ] || { show_run; fail "the compositor was not reached"; }
}

@test "--display wayland with a real compositor (weston, headless): a client inside sees its globals" {
        command -v weston >/dev/null || skip "host: weston is not installed (apt-get install weston)"
        command -v wayland-info >/dev/null || skip "host: wayland-info is not installed (apt-get install wayland-utils)"
        bg_rec weston --backend=headless-backend.so --socket=wayland-nook --idle-time=0 --no-config
        WESTON=${STARTED_PIDS[-1]}
        wait_until 100 test -S "$XDG_RUNTIME_DIR/wayland-nook" || fail "weston did not start:" "$(cat "$TMP/bg.log")"
        WAYLAND_DISPLAY=wayland-nook inside --display wayland -- wayland-info
        assert_status 0
        [[ "$output" == *"interface: 'wl_compositor'"* ]] || { show_run; fail "no wl_compositor seen"; }
        inside -- /bin/sh -c 'WAYLAND_DISPLAY=wayland-nook XDG_RUNTIME_DIR='"$XDG_RUNTIME_DIR"' wayland-info >/dev/null 2>&1 && echo reached || echo unreachable'
        assert_answer unreachable
}

@test "without --display wayland the session's runtime directory is not there" {
        unix_server "$XDG_RUNTIME_DIR/wayland-7"
        export WAYLAND_DISPLAY=wayland-7
        inside -- /bin/sh -c "$PY $NETSERVER unix-ask $XDG_RUNTIME_DIR/wayland-7"
        assert_status 0
        [[ "$output" == "error "* ]] || { show_run; fail "the compositor was reached"; }
}

@test "--audio pulseaudio: PULSE_SERVER and the cookie inside, the server reached" {
        unix_server "$XDG_RUNTIME_DIR/pulse/native"
        export XDG_CONFIG_HOME="$TMP/config"
        mkdir -p "$XDG_CONFIG_HOME/pulse"
        echo cookie-of-the-test >"$XDG_CONFIG_HOME/pulse/cookie"
        inside --audio pulseaudio -- /bin/sh -c \
                "echo \$PULSE_SERVER; cat \$PULSE_COOKIE; $PY $NETSERVER unix-ask \${PULSE_SERVER#unix:}"
        assert_status 0
        [ "${lines[0]}" = "unix:/run/user/$(id -u)/pulse/native" ] || { show_run; fail "PULSE_SERVER inside"; }
        [ "${lines[1]}" = cookie-of-the-test ] || { show_run; fail "the cookie inside"; }
        [ "${lines[2]}" = "ok hello $XDG_RUNTIME_DIR/pulse/native" ] || { show_run; fail "the sound server was not reached"; }
}

@test "--audio pipewire: its socket at \$XDG_RUNTIME_DIR/pipewire-0, and pipewire-pulse's when there is one" {
        unix_server "$XDG_RUNTIME_DIR/pipewire-0"
        unix_server "$XDG_RUNTIME_DIR/pulse/native"
        inside --audio pipewire -- /bin/sh -c \
                "echo \$PIPEWIRE_REMOTE; $PY $NETSERVER unix-ask \$XDG_RUNTIME_DIR/pipewire-0; $PY $NETSERVER unix-ask \${PULSE_SERVER#unix:}"
        assert_status 0
        [ "${lines[0]}" = pipewire-0 ] || { show_run; fail "PIPEWIRE_REMOTE inside"; }
        [ "${lines[1]}" = "ok hello $XDG_RUNTIME_DIR/pipewire-0" ] || { show_run; fail "PipeWire was not reached"; }
        [ "${lines[2]}" = "ok hello $XDG_RUNTIME_DIR/pulse/native" ] || { show_run; fail "pipewire-pulse was not reached"; }
}

@test "a missing display or sound socket fails in one line naming it, and nothing runs" {
        mkdir -p "$XDG_RUNTIME_DIR"
        WAYLAND_DISPLAY=wayland-9 inside --display wayland -- /bin/true
        assert_nook_error "$XDG_RUNTIME_DIR/wayland-9"
        inside --display wayland -- /bin/true
        assert_nook_error WAYLAND_DISPLAY
        inside --audio pulseaudio -- /bin/true
        assert_nook_error "$XDG_RUNTIME_DIR/pulse/native"
        inside --audio pipewire -- /bin/true
        assert_nook_error "$XDG_RUNTIME_DIR/pipewire-0"
        env -u XDG_RUNTIME_DIR "$NOOK" run --audio pipewire -- /bin/true 2>"$TMP/err" && fail "ran without XDG_RUNTIME_DIR"
        grep -q XDG_RUNTIME_DIR "$TMP/err" || fail "the error does not name XDG_RUNTIME_DIR: $(cat "$TMP/err")"
}

@test "bad [Desktop] values are refused in one line naming them" {
        inside --display mir -- /bin/true
        assert_nook_error mir
        inside --audio alsa -- /bin/true
        assert_nook_error alsa
        inside --gpu maybe -- /bin/true
        assert_nook_error maybe
        inside --dbus open -- /bin/true
        assert_nook_error open
        inside --talk 'not a name' -- /bin/true
        assert_nook_error 'not a name'
        inside --talk 'org.*' -- /bin/true
        assert_nook_error 'org.*'
        inside --talk 'org.freedesktop.*' -- /bin/true
        assert_nook_error 'can run programs outside the sandbox'
}

@test "a profile's [Desktop] Display= and Audio= work as the options do" {
        unix_server "$XDG_RUNTIME_DIR/wayland-3"
        unix_server "$XDG_RUNTIME_DIR/pipewire-0"
        export WAYLAND_DISPLAY=wayland-3
        printf '[Desktop]\nDisplay=wayland\nAudio=pipewire\nName=Test app\nIcon=test-icon\n' >"$TMP/app.profile"
        run --separate-stderr "$NOOK" run --profile "$TMP/app.profile" --ro-bind "$NETSERVER" -- /bin/sh -c \
                "$PY $NETSERVER unix-ask \$XDG_RUNTIME_DIR/\$WAYLAND_DISPLAY; $PY $NETSERVER unix-ask \$XDG_RUNTIME_DIR/pipewire-0"
        assert_status 0
        [ "${lines[0]}" = "ok hello $XDG_RUNTIME_DIR/wayland-3" ] || { show_run; fail "Display=wayland"; }
        [ "${lines[1]}" = "ok hello $XDG_RUNTIME_DIR/pipewire-0" ] || { show_run; fail "Audio=pipewire"; }
}

# ---- GPU ------------------------------------------------------------------------------

@test "--gpu yes binds the GPU's device nodes, or says the host has none" {
        if [ -e /dev/dri ]; then
                inside --gpu yes -- /bin/sh -c 'ls /dev/dri >/dev/null && echo dri'
                assert_answer dri
        else
                inside --gpu yes -- /bin/true
                assert_nook_error "no GPU device nodes"
        fi
        inside -- /bin/sh -c 'test -e /dev/dri && echo dri || echo none'
        assert_answer none
}

# ---- D-Bus ------------------------------------------------------------------------------

# session_bus: a session bus of the test's own at $XDG_RUNTIME_DIR/bus, with
# two echo services on it: org.example.Allowed and org.example.Denied.
session_bus() {
        command -v dbus-daemon >/dev/null || skip "host: dbus-daemon is not installed (apt-get install dbus-daemon)"
        command -v dbus-send >/dev/null || skip "host: dbus-send is not installed (apt-get install dbus-bin)"
        command -v dbus-test-tool >/dev/null || skip "host: dbus-test-tool is not installed (apt-get install dbus-tests)"
        command -v xdg-dbus-proxy >/dev/null || skip "host: xdg-dbus-proxy is not installed (apt-get install xdg-dbus-proxy)"
        export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
        bg_rec dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile
        wait_until 50 test -S "$XDG_RUNTIME_DIR/bus" || fail "dbus-daemon did not start:" "$(cat "$TMP/bg.log")"
        local name
        for name in org.example.Allowed org.example.Denied; do
                bg_rec dbus-test-tool echo --name="$name"
                # 20 s at least: on a 2-core machine loaded by the rest of
                # CI, 5 s was once too short (a host tool, before any nook)
                wait_until 200 dbus-send --session --print-reply --dest="$name" / org.example.Ping >/dev/null 2>&1 ||
                        fail "the echo service $name did not start:" "$(cat "$TMP/bg.log")"
        done
}

# live_proxies: xdg-dbus-proxy processes of the test user that still run
# (an exited one may wait as a zombie for whoever inherited it).
live_proxies() {
        local p
        for p in $(pgrep -u "$(id -u)" -x xdg-dbus-proxy); do
                proc_stat "$p" && [ "$STAT_STATE" != Z ] && echo "$p"
        done
        return 0
}

# call NAME: a method call to NAME on the bus, inside; prints ok or the error.
CALL='r=$(dbus-send --session --print-reply --dest="$1" / org.example.Ping 2>&1) && echo ok || echo "${r%%:*}"'

@test "--dbus filtered: the names of --talk are reached through xdg-dbus-proxy, the others are not even seen" {
        session_bus
        inside --dbus filtered --talk org.example.Allowed -- /bin/sh -c "
                call() { $CALL; }
                echo \$DBUS_SESSION_BUS_ADDRESS
                call org.example.Allowed
                call org.example.Denied
                dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames | grep -c org.example"
        assert_status 0
        [ "${lines[0]}" = "unix:path=/run/user/$(id -u)/bus" ] || { show_run; fail "DBUS_SESSION_BUS_ADDRESS inside"; }
        [ "${lines[1]}" = ok ] || { show_run; fail "org.example.Allowed was not reached"; }
        [ "${lines[2]}" = "Error org.freedesktop.DBus.Error.ServiceUnknown" ] || { show_run; fail "org.example.Denied was reached"; }
        [ "${lines[3]}" = 1 ] || { show_run; fail "ListNames shows more than the allowed name"; }
}

@test "--talk org.example.* lets a whole prefix through" {
        session_bus
        inside --dbus filtered --talk 'org.example.*' -- /bin/sh -c "call() { $CALL; }; call org.example.Allowed; call org.example.Denied"
        assert_status 0
        [ "$output" = "ok
ok" ] || { show_run; fail "the prefix did not let both through"; }
}

# nook's own files (the proxy's socket) lie in the run directory under
# XDG_RUNTIME_DIR as it is named: reached through a link, they are still
# bound, though every other source is made exact first.
@test "--dbus filtered works with XDG_RUNTIME_DIR reached through a symbolic link" {
        session_bus
        ln -s "$XDG_RUNTIME_DIR" "$TMP/xdg-link"
        XDG_RUNTIME_DIR="$TMP/xdg-link" inside --dbus filtered --talk org.example.Allowed -- /bin/sh -c \
                "call() { $CALL; }; call org.example.Allowed"
        assert_status 0
        [ "$output" = ok ] || { show_run; fail "org.example.Allowed was not reached"; }
}

@test "--own lets the sandbox own a bus name; without it the proxy refuses the name" {
        session_bus
        local own='dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.RequestName string:org.example.Mine uint32:4 2>&1 | tail -1'
        inside --dbus filtered --own org.example.Mine -- /bin/sh -c "$own"
        assert_status 0
        [[ "$output" == *"uint32 1"* ]] || { show_run; fail "the sandbox did not become the owner of org.example.Mine"; }
        inside --dbus filtered --talk org.example.Allowed -- /bin/sh -c "$own"
        [[ "$output" != *"uint32 1"* ]] || { show_run; fail "the name was owned without --own"; }
}

@test "without --dbus the session bus is out of reach, and the proxy is gone when the sandbox ends" {
        session_bus
        inside -- /bin/sh -c "call() { $CALL; }; call org.example.Allowed"
        assert_status 0
        [ "$output" != ok ] || { show_run; fail "the session bus was reached without --dbus"; }
        inside --dbus filtered --talk org.example.Allowed -- /bin/true
        assert_status 0
        wait_until 20 test -z "$(live_proxies)" || fail "xdg-dbus-proxy still runs after the sandbox ended:" "$(live_proxies)"
}

@test "--dbus filtered without a session bus fails in one line naming the socket" {
        mkdir -p "$XDG_RUNTIME_DIR"
        inside --dbus filtered -- /bin/true
        assert_nook_error "$XDG_RUNTIME_DIR/bus"
        DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-x inside --dbus filtered -- /bin/true
        assert_nook_error "unix:abstract=/tmp/dbus-x"
}

@test "a socket path too long for the kernel fails in one line saying so, not as a cut path" {
        local long
        long=$(printf 'w%.0s' $(seq 4200))
        mkdir -p "$XDG_RUNTIME_DIR"
        WAYLAND_DISPLAY=$long inside --display wayland -- /bin/true
        assert_nook_error "WAYLAND_DISPLAY: the path $XDG_RUNTIME_DIR/www"
        [[ "${stderr_lines[0]}" == *"is too long (over 4095 bytes)" ]] || { show_run; fail "the error does not say the path is too long"; }
        XDG_RUNTIME_DIR=/$long inside --audio pulseaudio -- /bin/true
        assert_nook_error "Audio=pulseaudio: the path /www"
        [[ "${stderr_lines[0]}" == *"is too long (over 4095 bytes)" ]] || { show_run; fail "the error does not say the path is too long"; }
        DBUS_SESSION_BUS_ADDRESS=unix:path=/$long inside --dbus filtered -- /bin/true
        assert_nook_error "session bus: the path /www"
        [[ "${stderr_lines[0]}" == *"is too long (over 4095 bytes)" ]] || { show_run; fail "the error does not say the path is too long"; }
        assert_no_files_left
}

# ---- auto ------------------------------------------------------------------------------

@test "--display auto: Wayland when there is a compositor, else X11, else nothing and no error" {
        unix_server "$XDG_RUNTIME_DIR/wayland-5"
        xvfb
        WAYLAND_DISPLAY=wayland-5 DISPLAY=":$XNUM" inside --display auto -- /bin/sh -c 'echo ${WAYLAND_DISPLAY:-none} ${DISPLAY:-none}'
        assert_answer "wayland-0 none"
        DISPLAY=":$XNUM" inside --display auto -- /bin/sh -c 'xdpyinfo >/dev/null && echo ${WAYLAND_DISPLAY:-none} $DISPLAY'
        assert_answer "none :$XNUM"
        inside --display auto -- /bin/sh -c 'echo ${WAYLAND_DISPLAY:-none} ${DISPLAY:-none}'
        assert_answer "none none"
}

@test "--audio auto: PulseAudio's socket, else PipeWire's, else no sound and no error" {
        inside --audio auto -- /bin/sh -c 'echo ${PIPEWIRE_REMOTE:-none} ${PULSE_SERVER:-none}'
        assert_answer "none none"
        unix_server "$XDG_RUNTIME_DIR/pulse/native"
        inside --audio auto -- /bin/sh -c 'echo ${PIPEWIRE_REMOTE:-none} ${PULSE_SERVER:-none}'
        assert_answer "none unix:/run/user/$(id -u)/pulse/native"
        # PulseAudio's socket first (pipewire-pulse's on a PipeWire desktop):
        # PipeWire's own gives the whole media graph
        unix_server "$XDG_RUNTIME_DIR/pipewire-0"
        inside --audio auto -- /bin/sh -c 'echo ${PIPEWIRE_REMOTE:-none} ${PULSE_SERVER:-none}'
        assert_answer "none unix:/run/user/$(id -u)/pulse/native"
        rm -f "$XDG_RUNTIME_DIR/pulse/native"
        inside --audio auto -- /bin/sh -c 'echo ${PIPEWIRE_REMOTE:-none}'
        assert_answer pipewire-0
}

@test "--gpu auto binds what the host has, and never fails for it" {
        inside --gpu auto -- /bin/sh -c 'test -e /dev/dri && echo dri || echo none'
        assert_status 0
        if [ -e /dev/dri ]; then assert_output dri; else assert_output none; fi
}

# ---- launchers -------------------------------------------------------------------------

@test "nook profile desktop-entry prints a launcher from Name= and Icon=, and --install writes it" {
        mkdir -p "$TMP/config/nook/profiles"
        export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
        printf '[Profile]\nDescription=A test app\n\n[Run]\nCommand=/bin/true\n\n[Desktop]\nDisplay=auto\nName=Test App\nIcon=test-icon\n' \
                >"$TMP/config/nook/profiles/testapp.profile"
        run --separate-stderr "$NOOK" profile desktop-entry testapp
        assert_status 0
        [ "${lines[0]}" = "[Desktop Entry]" ] || { show_run; fail "no group header"; }
        [[ "$output" == *$'\nName=Test App\n'* ]] || { show_run; fail "Name"; }
        [[ "$output" == *$'\nIcon=test-icon\n'* ]] || { show_run; fail "Icon"; }
        [[ "$output" == *$'\nComment=A test app\n'* ]] || { show_run; fail "Comment"; }
        [[ "$output" == *"Exec=\"$(readlink -f "$NOOK")\" run \"testapp\" %U"* ]] || { show_run; fail "Exec"; }
        [[ "$output" == *$'\nTerminal=false\n'* ]] || { show_run; fail "a display app gets a terminal"; }
        run --separate-stderr "$NOOK" profile desktop-entry --install testapp
        assert_status 0
        assert_output "$XDG_DATA_HOME/applications/nook-testapp.desktop"
        [ -f "$output" ] || fail "not written"
        if command -v desktop-file-validate >/dev/null; then
                desktop-file-validate "$XDG_DATA_HOME/applications/nook-testapp.desktop" || fail "not a valid desktop entry"
        fi
        run --separate-stderr "$NOOK" profile desktop-entry nosuchprofile
        [ "$status" -ne 0 ] && [[ "$stderr" == *nosuchprofile* ]] || { show_run; fail "a missing profile"; }
}

@test "nook profile desktop-entry --install under a path too long for the kernel fails saying so, and makes nothing" {
        mkdir -p "$TMP/config/nook/profiles"
        printf '[Run]\nCommand=/bin/true\n' >"$TMP/config/nook/profiles/testapp.profile"
        # 4086 bytes: XDG_DATA_HOME/applications is 4099, which cut at 4095
        # once named (and made) XDG_DATA_HOME/applicat
        local data="$TMP/d"
        while [ $((${#data} + 201)) -le 4086 ]; do data="$data/$(printf 'x%.0s' $(seq 200))"; done
        data="$data/$(printf 'y%.0s' $(seq $((4086 - ${#data} - 1))))"
        [ "${#data}" -eq 4086 ] || fail "the test's path is ${#data} bytes"
        XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME=$data run --separate-stderr "$NOOK" profile desktop-entry --install testapp
        assert_status 1
        [ -z "$output" ] || { show_run; fail "something on stdout"; }
        [ "${#stderr_lines[@]}" -eq 1 ] && [[ "$stderr" == "nook: cannot write the desktop entry "*"the path is too long"* ]] ||
                { show_run; fail "not one line saying the path is too long"; }
        [ ! -e "$TMP/d" ] || fail "directories were made:" "$(find "$TMP/d" -name 'appl*' | tail -c 300)"
}
