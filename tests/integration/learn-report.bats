#!/usr/bin/env bats
# nook learn --report: what the run used, for a person to read, beside the
# profile or instead of it.

load learn-helpers

@test "--report summarises files by directory, programs run, devices and destinations, beside the profile" {
        mkdir -p "$HOME/docs" "$HOME/out"
        echo a >"$HOME/docs/a.txt"
        echo b >"$HOME/docs/b.txt"
        learn --report -- sh -c 'cat ~/docs/a.txt ~/docs/b.txt >/dev/null; echo r >~/out/r.txt
                cat ~/.nothere 2>/dev/null; head -c1 /dev/urandom >/dev/null; true'
        assert_status 0
        [[ "$output" == "nook learn: what one run of sh -c "*" calls observed)"* ]] || { show_run >&2; fail "no heading"; }
        file_has_line <(echo "$output") "  $HOME/docs: 2 read" || { show_run >&2; fail "no line for ~/docs"; }
        file_has_line <(echo "$output") "  $HOME/out: 1 written, 1 made" || fail "no line for ~/out"
        file_has_line <(echo "$output") "  $HOME: 1 looked for, missing" || fail "the missing file is not counted"
        [[ "$output" == *"Programs run:"*"/bin/cat (2 times, first by sh)"* ]] || fail "cat is not among the programs"
        [[ "$output" == *"Devices:"*"  /dev/urandom (r, 1 time, first by head)"* ]] || fail "/dev/urandom is not among the devices"
        grep -qx 'BindReadOnly=${HOME}/docs/a.txt' "$F"
}

@test "--report names a destination connected to, and a name server asked" {
        hello port
        learn --report --ro-bind "$netserver" -- python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 53))
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(t.recv(64).decode().strip())' "$port"
        assert_status 0
        [[ "$output" == *"Network destinations:"*"  127.0.0.1:53 (a name server) (1 time, first by python3)"* ]] || { show_run >&2; fail "no name server"; }
        [[ "$output" == *"  127.0.0.1:$port (1 time, first by python3)"* ]] || fail "no destination"
}

@test "--report --no-profile writes no profile, and needs no -o" {
        run --separate-stderr "$NOOK" learn --report --no-profile -- cat /etc/hostname
        assert_status 0
        [[ "$output" == *"Programs run:"* ]]
        [ ! -e "$XDG_CONFIG_HOME/nook/profiles/cat.profile" ]
        run --separate-stderr "$NOOK" learn --no-profile -- true
        assert_nook_error "--no-profile needs --report"
}

@test "a name with a control character is shown in the report with it replaced" {
        mkdir -p "$HOME/d"
        local evil=$'x\e[2Jy'
        echo 1 >"$HOME/d/$evil"
        learn --report -- cat "$HOME/d/$evil"
        assert_status 0
        [[ "$output" != *$'\e'* ]] || fail "an escape reached the report"
}

@test "the command's own program is among the programs run, and a PATH entry that lacks it is not" {
        mkdir -p "$TMP/empty"
        PATH="$TMP/empty:$PATH" run --separate-stderr "$NOOK" learn --report --no-profile -- true
        assert_status 0
        [[ "$output" == *"Programs run:"$'\n'"  "*"/bin/true (1 time, first by "* ]] || { show_run >&2; fail "the first exec was missed"; }
        [[ "$output" != *"$TMP/empty/true"* ]] || fail "a program not found is listed"
}

@test "a run past what the observer keeps (70000 names, 4200 destinations) is bounded, and said in the profile, the report and on stderr" {
        run --separate-stderr timeout 300 "$NOOK" learn -o "$F" --report -- python3 -c '
import os, socket
for i in range(70000):
    try:
        open("/tmp/nx-%d" % i)
    except OSError:
        pass
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(1000, 5200):
    s.connect(("127.0.0.1", p))
'
        assert_status 0
        grep -q '^# [0-9]* uses were not recorded: the run went past what nook keeps of one run (65536 paths,' "$F"
        [[ "$output" == *"uses were not recorded"* ]]
        [[ "$stderr" == *"nook: warning: "*"uses were not recorded"* ]]
        [ "$(grep -c '^Allow=' "$F")" -le 4096 ]
        run --separate-stderr "$NOOK" profile check "$F"
        assert_status 0
}
