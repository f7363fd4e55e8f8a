#!/usr/bin/env bats
# nook desktop: the menu entries of apps with a nook profile made to start
# them through nook, for the user only. A real system entry (vim's) and
# entries of the test's own "system" directory (first in XDG_DATA_DIRS):
# the override has the same desktop file id, every Exec= wrapped, TryExec
# and MIME types kept, desktop-file-validate clean; gio launch, gtk-launch,
# xdg-open of an associated file and D-Bus activation all start the app
# inside a sandbox (its pid namespace is not ours); ls, sync and remove
# keep to what nook wrote.

load helpers

setup() {
        common_setup
        export XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config"
        # the shipped library (vim's profile), after the test's own
        [ -z "${NOOK_SRCDIR:-}" ] || export NOOK_PROFILES_DIR="$NOOK_SRCDIR/data/profiles"
        SYS="$TMP/sys"
        export XDG_DATA_DIRS="$SYS:/usr/local/share:/usr/share"
        mkdir -p "$SYS/applications" "$SYS/dbus-1/services" "$XDG_CONFIG_HOME/nook/profiles" "$TMP/bin" "$TMP/out"
        APPS="$XDG_DATA_HOME/applications"
        HOST_PIDNS=$(readlink /proc/self/ns/pid)
        # the app: says where it ran (its pid namespace) and with what
        cat >"$TMP/bin/nooktest-viewer" <<EOF
#!/bin/sh
echo "\$(readlink /proc/self/ns/pid) \$*" >>"$TMP/out/result"
EOF
        chmod +x "$TMP/bin/nooktest-viewer"
        printf '[Filesystem]\nBindReadOnly=%s\nBind=%s\n' "$TMP/bin" "$TMP/out" >"$XDG_CONFIG_HOME/nook/profiles/nooktest-viewer.profile"
        cat >"$SYS/applications/nooktest-viewer.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=Nook Test Viewer
Comment=shows where it runs
Exec=$TMP/bin/nooktest-viewer %f
TryExec=$TMP/bin/nooktest-viewer
MimeType=text/plain;
Actions=second;

[Desktop Action second]
Name=Second
Exec=$TMP/bin/nooktest-viewer --second %f
EOF
}

teardown() {
        stop_display_servers
        common_teardown
}

# result_line N: the Nth line the app wrote; fails when it did not write.
wait_result() { wait_until 100 test -s "$TMP/out/result" || fail "the app did not run"; }
assert_ran_inside() {
        wait_result
        local ns
        ns=$(cut -d' ' -f1 <"$TMP/out/result" | tail -1)
        [ -n "$ns" ] && [ "$ns" != "$HOST_PIDNS" ] || fail "the app ran outside any sandbox: $(cat "$TMP/out/result")"
}

@test "install writes an entry of the same id for a real system entry: Exec through nook, the rest kept, desktop-file-validate clean" {
        [ -f /usr/share/applications/vim.desktop ] || skip "host: vim's entry is not installed (apt-get install vim)"
        local before
        before=$(sha256sum /usr/share/applications/vim.desktop)
        run --separate-stderr "$NOOK" desktop install vim
        assert_status 0
        assert_output "vim.desktop: vim"
        local f="$APPS/vim.desktop"
        grep -qx "Exec=$NOOK run vim -- $(sed -n 's/^Exec=//p' /usr/share/applications/vim.desktop | head -1)" "$f" ||
                fail "Exec: $(grep ^Exec "$f")"
        grep -q "^TryExec=vim$" "$f" && grep -q "^MimeType=" "$f" && grep -q "^X-Nook-Profile=vim$" "$f" || fail "$(cat "$f")"
        run desktop-file-validate "$f"
        [ "$status" -eq 0 ] && [ -z "$output" ] || { show_run; fail "desktop-file-validate"; }
        [ "$(sha256sum /usr/share/applications/vim.desktop)" = "$before" ] || fail "the system entry changed"
}

@test "every action's Exec goes through nook; gio launch and gtk-launch start the app inside a sandbox" {
        run --separate-stderr "$NOOK" desktop install nooktest-viewer
        assert_status 0
        [ "$(grep -c "^Exec=$NOOK run nooktest-viewer -- $TMP/bin/nooktest-viewer" "$APPS/nooktest-viewer.desktop")" -eq 2 ] ||
                fail "$(grep ^Exec "$APPS/nooktest-viewer.desktop")"
        grep -q -- "-- $TMP/bin/nooktest-viewer --second %f" "$APPS/nooktest-viewer.desktop" || fail "the action"
        echo hello >"$TMP/doc.txt"
        command -v gio >/dev/null || skip "host: no gio (apt-get install libglib2.0-bin)"
        run timeout 30 gio launch "$APPS/nooktest-viewer.desktop" "$TMP/doc.txt"
        assert_ran_inside
        grep -q " $TMP/doc.txt$" "$TMP/out/result" || fail "the file did not reach the app: $(cat "$TMP/out/result")"
        command -v gtk-launch >/dev/null || skip "host: no gtk-launch (apt-get install libgtk-3-bin)"
        xvfb
        : >"$TMP/out/result"
        DISPLAY=":$XNUM" timeout 30 gtk-launch nooktest-viewer "$TMP/doc.txt" >/dev/null 2>&1
        assert_ran_inside
}

@test "xdg-open of an associated file starts the app inside a sandbox, and the system's entry without install does not" {
        command -v xdg-open >/dev/null || skip "host: no xdg-open (apt-get install xdg-utils)"
        printf '[Default Applications]\ntext/plain=nooktest-viewer.desktop\n' >"$XDG_CONFIG_HOME/mimeapps.list"
        echo hello >"$TMP/doc.txt"
        # without the override: the system entry, unsandboxed (the control)
        DISPLAY=:nowhere timeout 30 xdg-open "$TMP/doc.txt" >/dev/null 2>&1 || true
        wait_result
        [ "$(cut -d' ' -f1 <"$TMP/out/result")" = "$HOST_PIDNS" ] || fail "the control ran sandboxed?"
        : >"$TMP/out/result"
        "$NOOK" desktop install nooktest-viewer >/dev/null || fail "install"
        DISPLAY=:nowhere timeout 30 xdg-open "$TMP/doc.txt" >/dev/null 2>&1 || true
        assert_ran_inside
}

# a D-Bus activatable app: its entry, the system's service file, a profile
# that may own its name; a session bus of the test's own
dbus_app() {
        command -v dbus-daemon >/dev/null && command -v dbus-test-tool >/dev/null && command -v xdg-dbus-proxy >/dev/null ||
                skip "host: needs dbus-daemon, dbus-test-tool, xdg-dbus-proxy"
        cat >"$SYS/applications/org.example.NookTest.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=Nook Test Service
Exec=/usr/bin/dbus-test-tool echo --name=org.example.NookTest
DBusActivatable=true
EOF
        printf '[D-BUS Service]\nName=org.example.NookTest\nExec=/usr/bin/dbus-test-tool echo --name=org.example.NookTest\n' \
                >"$SYS/dbus-1/services/org.example.NookTest.service"
        printf '[Desktop]\nDBus=filtered\nOwn=org.example.NookTest\n' >"$XDG_CONFIG_HOME/nook/profiles/nooktest-echo.profile"
}

start_bus() {
        export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
        bg_rec dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile
        wait_until 50 test -S "$XDG_RUNTIME_DIR/bus" || fail "dbus-daemon did not start"
}

@test "a DBusActivatable app gets a service file of the user's that starts it through nook; D-Bus activation runs it sandboxed" {
        dbus_app
        run --separate-stderr "$NOOK" desktop install --profile nooktest-echo org.example.NookTest
        assert_status 0
        local svc="$XDG_DATA_HOME/dbus-1/services/org.example.NookTest.service"
        grep -q "^Exec=$NOOK run nooktest-echo -- /usr/bin/dbus-test-tool echo --name=org.example.NookTest$" "$svc" || fail "$(cat "$svc")"
        grep -q "^DBusActivatable=true$" "$APPS/org.example.NookTest.desktop" || fail "activation was turned off"
        start_bus
        run timeout 30 dbus-send --session --print-reply --dest=org.example.NookTest / org.example.Ping
        assert_status 0
        local pid
        pid=$(pgrep -u "$(id -u)" -f -- "--name=org.example.NookTest" | while read -r p; do
                [ "$(readlink "/proc/$p/ns/pid")" != "$HOST_PIDNS" ] && echo "$p"; done | head -1)
        [ -n "$pid" ] || fail "no sandboxed echo service: $(pgrep -a -u "$(id -u)" -f NookTest)"
        # the activated service lives as long as the bus; end it by its pid
        kill "$pid" 2>/dev/null || true
}

@test "a DBusActivatable app with no service file on the system is started by Exec= instead" {
        dbus_app
        rm "$SYS/dbus-1/services/org.example.NookTest.service"
        run --separate-stderr "$NOOK" desktop install --profile nooktest-echo org.example.NookTest
        assert_status 0
        grep -q "^DBusActivatable=false$" "$APPS/org.example.NookTest.desktop" || fail "$(cat "$APPS/org.example.NookTest.desktop")"
        [ ! -e "$XDG_DATA_HOME/dbus-1/services/org.example.NookTest.service" ] || fail "a service file was written"
}

@test "ls says sandboxed, changed, gone or yours; sync writes again or removes; remove takes back only nook's" {
        ln -s "$SYS/applications/nooktest-viewer.desktop" "$SYS/applications/nooktest-linked.desktop"
        cp "$XDG_CONFIG_HOME/nook/profiles/nooktest-viewer.profile" "$XDG_CONFIG_HOME/nook/profiles/nooktest-linked.profile"
        run --separate-stderr "$NOOK" desktop ls
        [[ "$output" =~ nooktest-viewer.desktop\ +nooktest-viewer\ +no ]] || { show_run; fail "ls before"; }
        "$NOOK" desktop install nooktest-viewer nooktest-linked >/dev/null || fail "install"
        [ -f "$APPS/nooktest-linked.desktop" ] && [ ! -L "$APPS/nooktest-linked.desktop" ] || fail "the linked entry's override is a link"
        run --separate-stderr "$NOOK" desktop ls --json
        [ "$(jq -r '.[] | select(.app == "nooktest-viewer.desktop") | .state' <<<"$output")" = sandboxed ] || { show_run; fail "ls --json"; }
        # an upgrade changes the system entry: changed, then sync
        sed -i 's/^Name=Nook Test Viewer/Name=Nook Test Viewer 2/' "$SYS/applications/nooktest-viewer.desktop"
        run --separate-stderr "$NOOK" desktop ls
        [[ "$output" =~ nooktest-viewer.desktop\ +nooktest-viewer\ +changed ]] || { show_run; fail "not changed"; }
        run --separate-stderr "$NOOK" desktop sync
        assert_status 0
        grep -q "^Name=Nook Test Viewer 2$" "$APPS/nooktest-viewer.desktop" && grep -q "^Exec=$NOOK run" "$APPS/nooktest-viewer.desktop" ||
                fail "sync did not write it again"
        # the app is uninstalled: gone, and sync removes nook's entry
        rm "$SYS/applications/nooktest-linked.desktop"
        run --separate-stderr "$NOOK" desktop ls
        [[ "$output" =~ nooktest-linked.desktop\ +nooktest-linked\ +gone ]] || { show_run; fail "not gone"; }
        "$NOOK" desktop sync >/dev/null
        [ ! -e "$APPS/nooktest-linked.desktop" ] || fail "sync left the entry of an app that is gone"
        # an entry of the user's own is neither replaced nor removed
        printf '[Desktop Entry]\nType=Application\nName=Mine\nExec=true\n' >"$APPS/mine.desktop"
        cp "$SYS/applications/nooktest-viewer.desktop" "$SYS/applications/mine.desktop"
        cp "$XDG_CONFIG_HOME/nook/profiles/nooktest-viewer.profile" "$XDG_CONFIG_HOME/nook/profiles/mine.profile"
        run --separate-stderr "$NOOK" desktop install mine
        assert_status 1
        [[ "$stderr" == *"mine.desktop is an entry of yours that nook did not write"* ]] || { show_run; fail "the user's entry"; }
        "$NOOK" desktop remove --all >/dev/null
        [ -f "$APPS/mine.desktop" ] && [ ! -e "$APPS/nooktest-viewer.desktop" ] || fail "remove --all: $(ls -A "$APPS")"
        run --separate-stderr "$NOOK" desktop install --force mine
        assert_status 0
        grep -q "^X-Nook-Profile=mine$" "$APPS/mine.desktop" || fail "--force did not replace it"
}

@test "bad calls: an unknown app, no app, an unknown command, a profile that does not exist" {
        run --separate-stderr "$NOOK" desktop install no-such-app
        assert_status 1
        [[ "$stderr" == *"no system menu entry is named no-such-app"* ]] || { show_run; fail "unknown app"; }
        run --separate-stderr "$NOOK" desktop install
        assert_status 2
        [[ "$stderr" == *"takes APP... or --all"* ]] || { show_run; fail "no app"; }
        run --separate-stderr "$NOOK" desktop frobnicate
        assert_status 2
        run --separate-stderr "$NOOK" desktop install --profile no-such-profile nooktest-viewer
        assert_status 1
        [[ "$stderr" == *"no profile is named no-such-profile"* ]] || { show_run; fail "unknown profile"; }
        [ ! -e "$APPS/nooktest-viewer.desktop" ] || fail "a failed install wrote an entry"
}
