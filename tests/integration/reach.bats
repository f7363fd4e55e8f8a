#!/usr/bin/env bats
# What a sandbox can reach of nook's own state: other sandboxes' run
# directories (their sockets and states), the profiles that start the next
# run, the logs of detached runs, the home directory. Each test attacks
# from inside a sandbox, as a program there would.

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

# victim ARGS...: a sandbox that holds a secret in its environment, running
# until the test ends; NOOK_PID is its id.
victim() {
        start_bg --name victim -e NOOK_SECRET=hunter2 "$@" -- sleep "$TEST_MARKER"
        wait_until 50 listed "$NOOK_PID" || fail "the victim sandbox did not start:" "$(cat "$TMP/nook.err")"
}

# What a program in a sandbox learns of the run directory $1/$2: its
# listing, its state, and whether slirp4netns's API socket there answers
# connect(2) (a read-only mount does not stop that).
PEEK='
import os, socket, sys
d, run = sys.argv[1], sys.argv[1] + "/" + sys.argv[2]
try: print("listing:", " ".join(sorted(os.listdir(d))))
except OSError as e: print("listing: error", e.errno)
try: print("state:", open(run + "/state").read())
except OSError as e: print("state: error", e.errno)
s = socket.socket(socket.AF_UNIX)
try: s.connect(run + "/slirp.sock"); print("api: connected")
except OSError as e: print("api: error", e.errno)
'

need_slirp() {
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed (apt-get install slirp4netns)"
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] || skip "host: /dev/net/tun is not usable"
}

setup() { common_setup; }
teardown() { common_teardown; }

# ---- run directories ----------------------------------------------------------

@test "from /tmp without XDG_RUNTIME_DIR, a sandbox reaches neither another's slirp4netns API nor its state" {
        need_slirp
        unset XDG_RUNTIME_DIR
        local base
        base=/tmp/nook-$(id -u)
        victim --net slirp
        [ -S "$base/$NOOK_PID/slirp.sock" ] || fail "no API socket at $base/$NOOK_PID/slirp.sock"
        cd /tmp
        run --separate-stderr "$NOOK" run -- /usr/bin/python3 -c "$PEEK" "$base" "$NOOK_PID"
        assert_status 0
        assert_output_lacks "api: connected"
        assert_output_lacks hunter2
        assert_output_lacks "$TEST_MARKER"
        [[ "${lines[0]}" == "listing: error "* || "${lines[0]}" == "listing: " ]] || { show_run; fail "the run directories are listed"; }
}

@test "a read-only bind of the runtime directory shows no run directory" {
        need_slirp
        victim --net slirp
        run --separate-stderr "$NOOK" run --ro-bind "$XDG_RUNTIME_DIR" -- /usr/bin/python3 -c "$PEEK" "$XDG_RUNTIME_DIR/nook" "$NOOK_PID"
        assert_status 0
        assert_output_lacks "api: connected"
        assert_output_lacks hunter2
        [[ "${lines[0]}" == "listing: error "* || "${lines[0]}" == "listing: " ]] || { show_run; fail "the run directories are listed"; }
}

@test "a bind of another sandbox's run directory itself shows nothing of it" {
        victim
        run --separate-stderr "$NOOK" run --ro-bind "$XDG_RUNTIME_DIR/nook/$NOOK_PID:/peek" -- /bin/sh -c 'cat /peek/state; ls -A /peek'
        assert_output_lacks hunter2
        assert_output_lacks state
}

@test "a read-write bind of the runtime directory: the rest is writable, the run directories hidden and pinned" {
        victim
        run --separate-stderr "$NOOK" run --bind "$XDG_RUNTIME_DIR" -- /bin/sh -c \
                "touch '$XDG_RUNTIME_DIR/other' && echo other-ok; ls -A '$XDG_RUNTIME_DIR/nook' 2>/dev/null | grep -c . ; mv '$XDG_RUNTIME_DIR/nook' '$XDG_RUNTIME_DIR/moved' 2>/dev/null && echo moved || echo kept"
        assert_status 0
        [ "${lines[0]}" = other-ok ] || { show_run; fail "the bind is not read-write"; }
        [ "${lines[1]}" = 0 ] || { show_run; fail "the run directories are listed"; }
        [ "${lines[2]}" = kept ] || { show_run; fail "the run directories were moved aside"; }
        [ -d "$XDG_RUNTIME_DIR/nook/$NOOK_PID" ] || fail "the victim's run directory is gone"
}

# owner_only PATH: no permission bit for the group or others
owner_only() { [ $((0$(stat -c %a "$1") & 077)) -eq 0 ] || fail "$1 has mode $(stat -c %a "$1")"; }

@test "run directories, slirp4netns's API socket and the state are the user's alone (no group or other bits)" {
        need_slirp
        victim --net slirp
        local d=$XDG_RUNTIME_DIR/nook/$NOOK_PID
        owner_only "$XDG_RUNTIME_DIR/nook"
        owner_only "$d"
        wait_until 50 test -S "$d/slirp.sock" || fail "no API socket"
        owner_only "$d/slirp.sock"
        owner_only "$d/state"
}

@test "the run state records no value given with -e" {
        victim
        ! grep -q hunter2 "$XDG_RUNTIME_DIR/nook/$NOOK_PID/state" || fail "the state holds the value: $(cat "$XDG_RUNTIME_DIR/nook/$NOOK_PID/state")"
        # and nook enter still gives the command's environment
        run --separate-stderr "$NOOK" enter victim -- /bin/sh -c 'echo "$NOOK_SECRET"'
        assert_answer hunter2
}

# ---- the home directory ---------------------------------------------------------

# a home of this test's own, with a key in it
fake_home() {
        export HOME="$TMP/home"
        mkdir -p "$HOME/.ssh" "$HOME/proj"
        echo secret-key >"$HOME/.ssh/id_x"
}

@test "started from the home directory, a sandbox cannot read ~/.ssh: the home is not bound as the current directory" {
        fake_home
        cd "$HOME"
        run --separate-stderr "$NOOK" run -- /bin/sh -c 'pwd; cat .ssh/id_x; echo planted >planted'
        [ "${lines[0]}" = "$HOME" ] || { show_run; fail "the command does not start in the (empty) home"; }
        assert_output_lacks secret-key
        [ ! -e "$HOME/planted" ] || fail "the sandbox wrote into the real home"
        [[ "$stderr" != *"not bound"* ]] || { show_run; fail "a note without -v"; }
}

@test "started from above the home directory, the sandbox cannot read ~/.ssh either (--home none: no tmpfs covers it)" {
        fake_home
        cd "$TMP"
        run --separate-stderr "$NOOK" run --home none -- /bin/cat home/.ssh/id_x
        assert_output_lacks secret-key
        [ "$status" -ne 0 ] || { show_run; fail "the key was read"; }
}

@test "from a directory below the home, the current directory is still bound read-write" {
        fake_home
        cd "$HOME/proj"
        run --separate-stderr "$NOOK" run -- /bin/sh -c 'echo made >inside; cat ../.ssh/id_x'
        [ "$(cat "$HOME/proj/inside")" = made ] || { show_run; fail "the current directory is not bound read-write"; }
        assert_output_lacks secret-key
}

@test "with -v, the unbound home gets a one-line note naming --bind and --home host; --bind ~ shares it" {
        fake_home
        cd "$HOME"
        run --separate-stderr "$NOOK" run -v -- /bin/true
        assert_status 0
        [[ "$stderr" == *"nook: the current directory $HOME is your home or above it: not bound (share your home with --bind $HOME, or --home host)"* ]] ||
                { show_run; fail "no note"; }
        run --separate-stderr "$NOOK" run --bind "$HOME" -- /bin/cat .ssh/id_x
        assert_answer secret-key
}

# ---- the profile search path ------------------------------------------------------

# seccomp_of: the Seccomp: mode of a plain `nook run` now (2: the filter)
seccomp_of() { "$NOOK" run -- /bin/sh -c 'grep "^Seccomp:" /proc/self/status' | cut -f2; }

@test "a sandbox that sees a user-owned NOOK_PROFILES_DIR plants neither a drop-in nor a profile there" {
        export NOOK_PROFILES_DIR="$TMP/lib"
        mkdir -p "$TMP/lib"
        printf '[Profile]\nDescription=mine\n' >"$TMP/lib/default.profile"
        cd "$TMP"
        run --separate-stderr "$NOOK" run -- /bin/sh -c '
                mkdir -p lib/default.profile.d 2>/dev/null
                printf "[Security]\nSeccomp=none\n" >lib/default.profile.d/99-wide.conf 2>/dev/null
                printf "[Security]\nSeccomp=none\n" >lib/sh.profile 2>/dev/null
                touch other && echo writable'
        assert_status 0
        assert_output writable
        [ ! -e "$TMP/lib/default.profile.d/99-wide.conf" ] || fail "a drop-in was planted"
        [ ! -e "$TMP/lib/sh.profile" ] || fail "a profile was planted"
        [ "$(seccomp_of)" = 2 ] || fail "the next run lost its filter"
}

@test "a sandbox cannot make a missing NOOK_PROFILES_DIR first and fill it" {
        export NOOK_PROFILES_DIR="$TMP/lib"
        cd "$TMP"
        run --separate-stderr "$NOOK" run -- /bin/sh -c '
                mkdir lib 2>/dev/null
                printf "[Security]\nSeccomp=none\n" >lib/default.profile 2>/dev/null
                touch other && echo writable'
        assert_status 0
        assert_output writable
        [ ! -e "$TMP/lib/default.profile" ] || fail "a profile was planted"
        [ "$(seccomp_of)" = 2 ] || fail "the next run lost its filter"
}

@test "a drop-in directory that links into a writable bind cannot be written through" {
        export NOOK_PROFILES_DIR="$TMP/lib"
        mkdir -p "$TMP/lib" "$TMP/work/dropins"
        ln -s "$TMP/work/dropins" "$TMP/lib/default.profile.d"
        cd "$TMP/work"
        run --separate-stderr "$NOOK" run -- /bin/sh -c '
                printf "[Security]\nSeccomp=none\n" >dropins/99-wide.conf 2>/dev/null
                touch other && echo writable'
        assert_status 0
        assert_output writable
        [ ! -e "$TMP/work/dropins/99-wide.conf" ] || fail "a drop-in was planted"
        [ "$(seccomp_of)" = 2 ] || fail "the next run lost its filter"
}

@test "a NOOK_PROFILES_DIR reached through a link the sandbox could replace is refused, naming it" {
        mkdir -p "$TMP/reallib" "$TMP/work"
        ln -s "$TMP/reallib" "$TMP/work/lib"
        export NOOK_PROFILES_DIR="$TMP/work/lib"
        cd "$TMP/work"
        run --separate-stderr "$NOOK" run -- /bin/true
        assert_nook_error NOOK_PROFILES_DIR
        cd "$TMP"
        run --separate-stderr "$NOOK" run --no-cwd -- /bin/true
        assert_status 0
}

# ---- logs of detached runs ------------------------------------------------------------

@test "with HOME unset, nook run -d keeps its log in the home of the password database, never under /tmp" {
        local pwhome
        pwhome=$(getent passwd "$(id -u)" | cut -d: -f6)
        [ -n "$pwhome" ] && [ -d "$pwhome" ] && [ -w "$pwhome" ] || skip "host: the test user has no writable home in the password database"
        unset HOME XDG_STATE_HOME
        run --separate-stderr "$NOOK" run -d -- /bin/true
        assert_status 0
        local id=$output
        HOST_FILES+=("$pwhome/.local/state/nook/logs/$id.log" "/tmp/.local/state/nook/logs/$id.log")
        [ ! -e "/tmp/.local/state/nook/logs/$id.log" ] || fail "the log is in the shared /tmp/.local"
        [ -f "$pwhome/.local/state/nook/logs/$id.log" ] || fail "no log in $pwhome/.local/state/nook/logs"
        run --separate-stderr "$NOOK" logs "$id"
        assert_status 0
}

@test "nook run -d refuses a log directory below one that others may write, in one line, and makes nothing" {
        mkdir "$TMP/open" "$TMP/sticky" "$TMP/real"
        chmod 0777 "$TMP/open"
        chmod 1777 "$TMP/sticky"
        XDG_STATE_HOME="$TMP/open/state" run --separate-stderr "$NOOK" run -d -- /bin/true
        assert_nook_error XDG_STATE_HOME
        [ ! -e "$TMP/open/state" ] || fail "something was made below $TMP/open"
        # a sticky directory (as /tmp) is fine, and so is a link of the user's own
        XDG_STATE_HOME="$TMP/sticky/state" run --separate-stderr "$NOOK" run -d -- /bin/true
        assert_status 0
        ln -s "$TMP/real" "$TMP/link"
        XDG_STATE_HOME="$TMP/link" run --separate-stderr "$NOOK" run -d -- /bin/true
        assert_status 0
        [ -f "$TMP/real/nook/logs/$output.log" ] || fail "no log through the link"
}

# Another sandbox that may write the parent of the working directory swaps
# it, again and again, with a link to the home (renameat2 RENAME_EXCHANGE).
# nook judged the working directory by its real path (never the home); the
# path must not lead elsewhere when the sandbox is put together: the home
# was bound, read-write, in 35 of 150 runs before.
@test "a working directory swapped with a link to the home while nook starts never shows the home" {
        command -v python3 >/dev/null || skip "host: no python3 for the swapping process"
        mkdir -p "$TMP/home" "$TMP/proj/sub"
        echo secret >"$TMP/home/.secret"
        ln -s "$TMP/home" "$TMP/proj/lnk"
        bg_rec python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.fsencode(p) for p in sys.argv[1:3])
end = time.monotonic() + 60
while time.monotonic() < end:
        libc.renameat2(-100, a, -100, b, 2)    # RENAME_EXCHANGE
' "$TMP/proj/sub" "$TMP/proj/lnk"
        local i leaks=0 runs=0
        for i in $(seq 1 60); do
                run --separate-stderr env HOME="$TMP/home" /bin/sh -c \
                        'cd "$1" 2>/dev/null || exit 0; exec "$2" run -- /bin/sh -c "test -e .secret && echo LEAK; true"' \
                        sh "$TMP/proj/sub" "$NOOK"
                runs=$((runs + 1))
                [[ "$output" != *LEAK* ]] || leaks=$((leaks + 1))
        done
        [ "$leaks" -eq 0 ] || fail "the home showed as the working directory in $leaks of $runs runs"
}
