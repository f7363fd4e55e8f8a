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
        # Not yet understood: in the ASan/UBSan pass of two clean-clone CI
        # runs (Dec 2026) this nook, started in the background, never showed
        # its stand-in slirp4netns within 30 s, with no sanitizer report; it
        # passes in the plain pass and in an ASan run on a quiet machine.
        # The plain pass keeps the promise tested until that is found.
        [ -z "${ASAN_OPTIONS:-}" ] || skip "flaky under the sanitizers (see the comment in the test)"
        hanging_helper slirp4netns
        env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net slirp -- /bin/true 2>/dev/null 3>&- &
        local nook_pid=$!
        proc_stat "$nook_pid" && STARTED_PIDS+=("$nook_pid:$STAT_START")
        # up to 30 s: under ASan on a loaded 2-core machine the start once
        # took more than 5 (the wait ends as soon as the stand-in runs)
        wait_until 300 test -n "$(marked_procs "$TEST_MARKER")" || fail "the stand-in slirp4netns did not start"
        kill -KILL "$nook_pid"
        wait "$nook_pid" 2>/dev/null || true
        wait_until 20 no_stand_in_left || fail "slirp4netns outlived its nook:" "$(marked_procs "$TEST_MARKER")"
}

# The script of the next test, run as root of a user and pid namespace of
# its own (where it may choose the next pid through ns_last_pid): nook runs
# a sandbox with a pasta stand-in that sets up a route, then exits; once
# nook has reaped it, a victim is started with the very pid it had; when
# the sandbox ends, nook must not signal the victim.
REUSE_SCRIPT='
set -u
D=$1 NOOK=$2
export MARK=$D/helper.pid PATH="$D/fakebin:$PATH"
"$NOOK" run --net pasta -- sleep 3 2>"$D/nook.err" &
nook=$!
for i in $(seq 50); do [ -s "$D/helper.pid" ] && break; sleep 0.1; done
P=$(cat "$D/helper.pid") || { echo "the stand-in did not start: $(cat "$D/nook.err")"; exit 2; }
for i in $(seq 50); do [ -e "/proc/$P" ] || break; sleep 0.1; done
[ -e "/proc/$P" ] && { echo "nook did not reap its helper"; exit 2; }
echo $((P - 1)) >/proc/sys/kernel/ns_last_pid
sh -c "trap \"echo TERM >$D/hit; exit 0\" TERM; echo \$\$ >$D/victim.pid; sleep 10 & wait" &
victim=$!
sleep 0.3
[ "$(cat "$D/victim.pid")" = "$P" ] || { echo "pid $P was not reused"; exit 2; }
wait "$nook" || { echo "nook failed: $(cat "$D/nook.err")"; exit 2; }
sleep 0.5
[ ! -e "$D/hit" ] || { echo "nook signalled pid $P, its helper once, another process now"; exit 1; }
kill -KILL "$victim" 2>/dev/null
'

@test "a helper's pid, reaped and reused by another process, is never signalled by nook" {
        local tool
        for tool in unshare nsenter ip; do
                command -v "$tool" >/dev/null || skip "host: this test needs $tool"
        done
        mkdir "$TMP/fakebin"
        # a pasta that gives the namespace its route, and is gone 0.5 s later
        cat >"$TMP/fakebin/pasta" <<'PASTA'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in --userns) U=$2 ;; --netns) N=$2 ;; esac; shift; done
nsenter --preserve-credentials --user="$U" --net="$N" ip link set lo up
nsenter --preserve-credentials --user="$U" --net="$N" ip route add default dev lo
echo $$ >"$MARK"
sleep 0.5
PASTA
        chmod +x "$TMP/fakebin/pasta"
        run unshare --user --map-root-user --pid --fork --mount-proc bash -c "$REUSE_SCRIPT" _ "$TMP" "$NOOK"
        [ "$status" -eq 0 ] || { show_run; fail "status $status"; }
}

# failing_helper NAME: a stand-in for NAME that says why and exits 1 at once.
failing_helper() {
        mkdir -p "$TMP/fakebin"
        printf '#!/bin/sh\necho "%s: stand-in refuses to start" >&2\nexit 1\n' "$1" >"$TMP/fakebin/$1"
        chmod +x "$TMP/fakebin/$1"
}

# garbage_helper NAME: a stand-in for NAME that prints terminal escapes and
# 100 KB of bytes with no newline, on stdout and stderr, then exits 1.
garbage_helper() {
        mkdir -p "$TMP/fakebin"
        head -c 100000 /dev/urandom | tr -d '\n' >"$TMP/garbage"
        printf '#!/bin/sh\nprintf "\\033]0;title\\007\\033[2J\\033[31m\\r"\ncat "%s"\ncat "%s" >&2\nexit 1\n' \
                "$TMP/garbage" "$TMP/garbage" >"$TMP/fakebin/$1"
        chmod +x "$TMP/fakebin/$1"
}

# assert_clear_helper_error NAME SECONDS: the error of the last `run` was one
# escaped line of bounded length naming NAME, in under SECONDS, and nothing
# stayed behind.
assert_clear_helper_error() {
        assert_nook_error "$1"
        # nook cuts every line it prints at 1000 bytes (NOOK_LINE_MAX); a
        # helper's random bytes, escaped as \xNN, reach that bound
        [ "${#stderr_lines[0]}" -le 1010 ] || fail "an error line of ${#stderr_lines[0]} characters"
        [[ "${stderr_lines[0]}" != *[$'\001'-$'\037'$'\177']* ]] || fail "control characters in the error:" "$(printf %q "${stderr_lines[0]}")"
        [ "$SECONDS" -lt "$2" ] || fail "took ${SECONDS} s"
        [ -z "$(find "$XDG_RUNTIME_DIR" -mindepth 2 2>/dev/null)" ] || fail "left in the run directory:" "$(find "$XDG_RUNTIME_DIR")"
        [ "$(cat /proc/self/mountinfo)" = "$MOUNTS_BEFORE" ] || fail "a mount was left"
}

@test "a slirp4netns that exits at once gives one line with its complaint, quickly" {
        need_tun
        failing_helper slirp4netns
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net slirp -- /bin/true
        assert_clear_helper_error "slirp4netns failed: slirp4netns: stand-in refuses to start" 15
}

@test "a slirp4netns that prints 100 KB of garbage gives one escaped line of bounded length" {
        need_tun
        garbage_helper slirp4netns
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net slirp -- /bin/true
        assert_clear_helper_error "slirp4netns failed" 15
}

@test "a pasta that exits at once gives one line with its complaint, quickly" {
        need_tun
        failing_helper pasta
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net pasta -- /bin/true
        assert_clear_helper_error "pasta failed: pasta: stand-in refuses to start" 15
}

@test "a pasta that prints 100 KB of garbage gives one escaped line of bounded length" {
        need_tun
        garbage_helper pasta
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net pasta -- /bin/true
        assert_clear_helper_error "pasta failed" 15
}

# reporting_helper NAME: a stand-in for NAME that says on one line of its
# stderr which signals it started with blocked and ignored (its /proc
# status, read by a child) and which fds it holds (as the probe, a child
# that inherits them, sees them), then exits 1.
reporting_helper() {
        mkdir -p "$TMP/fakebin"
        cat >"$TMP/fakebin/$1" <<EOF
#!/bin/sh
sig=\$(grep -E '^Sig(Blk|Ign):' /proc/\$\$/status | tr -d '\t' | tr '\n' ' ')
echo "$1 stand-in: \${sig}fds=\$("$PROBE" fds)" >&2
exit 1
EOF
        chmod +x "$TMP/fakebin/$1"
}

# What a helper must start with: nothing blocked, nothing ignored, only the
# standard fds (the probe's fd 1 is the pipe its answer goes back through).
CLEAN_START="stand-in: SigBlk:0000000000000000 SigIgn:0000000000000000 fds=0 1 2"

# The script of the next test, run as root of a user and mount namespace of
# its own: newuidmap and newgidmap are stand-ins mounted over the
# distribution's (which nook runs before any PATH entry), root has a
# subordinate range, and nook, started with SIGHUP ignored and an fd 7 of
# its caller's, maps an image's ids through them.
NEWUIDMAP_SCRIPT='
set -eu
D=$1 NOOK=$2
for f in newuidmap newgidmap; do
        [ -e "/usr/bin/$f" ] && mount --bind "$D/fakebin/$f" "/usr/bin/$f"
done
echo "root:100000:65536" >"$D/subid"
for f in subuid subgid; do
        [ -e "/etc/$f" ] && mount --bind "$D/subid" "/etc/$f"
done
mkdir -p "$D/root"
trap "" HUP
PATH="$D/fakebin:$PATH" exec "$NOOK" run --image "$D/root" --map=range -- /bin/true 7</dev/null
'

@test "newuidmap starts with no signal blocked or ignored and no fd of nook's" {
        local tool
        for tool in unshare mount grep; do
                command -v "$tool" >/dev/null || skip "host: this test needs $tool"
        done
        [ -e /etc/subuid ] && [ -e /etc/subgid ] || skip "host: no /etc/subuid and /etc/subgid to mount over"
        reporting_helper newuidmap
        reporting_helper newgidmap
        run --separate-stderr unshare --user --map-root-user --mount sh -c "$NEWUIDMAP_SCRIPT" _ "$TMP" "$NOOK"
        assert_nook_error "cannot map ids: newuidmap failed: newuidmap $CLEAN_START "
}

@test "skopeo starts with no signal ignored and no fd of nook's" {
        reporting_helper skopeo
        export XDG_DATA_HOME="$TMP/data"
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" sh -c 'trap "" HUP; exec "$1" image pull example.invalid/nothing 7</dev/null' _ "$NOOK"
        [ "$status" -eq 125 ] || { show_run; fail "status $status"; }
        [[ "$stderr" == *"skopeo $CLEAN_START"$'\n'* ]] || { show_run; fail "skopeo did not start clean"; }
        [[ "$stderr" == *"skopeo failed"* ]] || { show_run; fail "no error from nook"; }
}

# The network helpers start through launcher_fork_keep too, with only the
# fds they are told about: fd 9 of nook's caller never reaches them.
@test "slirp4netns starts with no signal blocked or ignored, and no fd of nook's caller" {
        need_tun
        reporting_helper slirp4netns
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" sh -c 'trap "" HUP; exec "$1" run --net slirp -- /bin/true 9</dev/null' _ "$NOOK"
        assert_nook_error "slirp4netns failed: slirp4netns stand-in: SigBlk:0000000000000000 SigIgn:0000000000000000 fds="
        [[ " ${stderr_lines[0]#*fds=} " != *" 9 "* ]] || fail "fd 9 of nook's caller reached slirp4netns:" "${stderr_lines[0]}"
}

@test "pasta starts with no signal blocked or ignored, and no fd of nook's caller" {
        need_tun
        reporting_helper pasta
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" sh -c 'trap "" HUP; exec "$1" run --net pasta -- /bin/true 9</dev/null' _ "$NOOK"
        assert_nook_error "pasta failed: pasta stand-in: SigBlk:0000000000000000 SigIgn:0000000000000000 fds="
        [[ " ${stderr_lines[0]#*fds=} " != *" 9 "* ]] || fail "fd 9 of nook's caller reached pasta:" "${stderr_lines[0]}"
}
