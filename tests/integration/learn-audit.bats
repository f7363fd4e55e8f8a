#!/usr/bin/env bats
# nook run --audit: the profile enforced as without it, and at the end what
# the command tried that the sandbox refused or did not show, with the
# profile line that would allow it.

load learn-helpers

# learnt_app: the python3 app learnt into $F, its output removed again
learnt_app() {
        app_home
        learn -- python3 -c "$APP"
        assert_status 0
        rm "$HOME/out/report.txt"
}

# audit ARG...: nook run --audit ARG...
audit() { run --separate-stderr "$NOOK" run --audit "$@"; }

@test "--audit of a profile with one bind removed names the missing line" {
        learnt_app
        grep -qx 'BindReadOnly=${HOME}/.config/app/conf.ini' "$F"
        sed -i '/^BindReadOnly=${HOME}\/.config\/app\/conf.ini$/d' "$F"
        audit --profile "$F" -- python3 -c "$APP"
        [ "$status" -ne 0 ] || fail "the app ran without its config"
        [[ "$stderr" == *"  $HOME/.config/app/conf.ini: read, not in the sandbox (1 time, first by python3)"$'\n'"    [Filesystem] BindReadOnly=\${HOME}/.config/app/conf.ini"* ]] ||
                { show_run >&2; fail "the missing line is not named"; }
        [[ "$stderr" != *"report.txt"* ]] || fail "what the sandbox allowed is reported"
}

@test "--audit of the whole learnt profile reports nothing refused" {
        learnt_app
        audit --profile "$F" -- python3 -c "$APP"
        assert_status 0
        [[ "$stderr" == *"with the profile line that would allow it:"$'\n'"  nothing"* ]] || { show_run >&2; fail "something reported"; }
        [ -s "$HOME/out/report.txt" ]
}

@test "--audit names Bind= for a file made in a directory bound read-only" {
        learnt_app
        sed -i 's|^Bind=${HOME}/out$|BindReadOnly=${HOME}/out|' "$F"
        grep -qx 'BindReadOnly=${HOME}/out' "$F"
        audit --profile "$F" -- python3 -c "$APP"
        [ "$status" -ne 0 ]
        [[ "$stderr" == *"  $HOME/out: changed, read-only in the sandbox"*"    [Filesystem] Bind=\${HOME}/out"* ]] ||
                { show_run >&2; fail "the read-only directory is not named"; }
        [ ! -e "$HOME/out/report.txt" ]
}

@test "--audit enforces as much as without it: the stand-in key stays unreadable, and is named" {
        audit -- cat "$HOME/.ssh/id_ed25519"
        [ "$status" -ne 0 ]
        [[ "$output" != *"not for the sandbox"* ]] || fail "the key was read"
        [[ "$stderr" == *"[Filesystem] BindReadOnly=\${HOME}/.ssh/id_ed25519"* ]] || { show_run >&2; fail "not named"; }
        audit -- unshare -U true
        [ "$status" -ne 0 ] || fail "the default filter's refusal was lifted"
}

@test "--audit names a system call the filter refused, with SyscallAllow=, and the call still fails" {
        audit -- sh -c 'unshare -r true; echo "unshare: $?"'
        assert_status 0
        [[ "$output" == *"unshare: 1"* ]] || { show_run >&2; fail "unshare ran under --audit"; }
        [[ "$stderr" == *"  unshare(): a system call the filter refuses, failed with EPERM (1 time, first by unshare)"$'\n'"    [Security] SyscallAllow=unshare"* ]] ||
                { show_run >&2; fail "the refused call is not named"; }
}

@test "--audit: a SyscallDeny= of a call nook observes stays refused, and is named; clone3 (ENOSYS, worked around) is not" {
        audit --syscall-deny mkdir --syscall-deny mkdirat -- sh -c 'mkdir /tmp/made; test -d /tmp/made && echo made; python3 -c "import threading; t = threading.Thread(target=print); t.start(); t.join()"'
        assert_status 0
        [[ "$output" != *made* ]] || { show_run >&2; fail "mkdir went on under --audit"; }
        [[ "$stderr" == *"  mkdir"*"(): a system call the filter refuses, failed with EPERM (1 time, first by mkdir)"* ]] ||
                { show_run >&2; fail "the denied mkdir is not named"; }
        [[ "$stderr" != *clone3* ]] || { show_run >&2; fail "clone3 reported"; }
}

@test "--audit names a device the sandbox does not have as Device=" {
        [ -c /dev/tty0 ] || [ -c /dev/loop-control ] || skip "host: no device to try"
        local dev=/dev/loop-control
        [ -c "$dev" ] || dev=/dev/tty0
        audit -- sh -c "exec 3<$dev" 
        [ "$status" -ne 0 ]
        [[ "$stderr" == *"  $dev: read, not in the sandbox"*"    [Filesystem] Device=$dev"* ]] || { show_run >&2; fail "no Device="; }
}

@test "--audit names a connect with no network, with the lines of the host's loopback through slirp" {
        hello port
        audit --ro-bind "$netserver" -- python3 "$netserver" connect 127.0.0.1 "$port" 3
        [[ "$output" != "ok hello"* ]] || fail "reached the host's loopback with no network"
        [[ "$stderr" == *"  127.0.0.1:$port: connected to, no network in the sandbox (1 time, first by python3)"$'\n'"    [Network] Mode=slirp, AllowHostLoopback=yes, Allow=10.0.2.2:$port"* ]] ||
                { show_run >&2; fail "the connect is not named"; }
}

@test "--audit names a connect the egress rules refuse, and not one they let through" {
        command -v slirp4netns >/dev/null || skip "host: no slirp4netns"
        hello port
        hello other
        audit --net slirp --allow-host-loopback --allow "10.0.2.2:$port" --ro-bind "$netserver" -- sh -c \
                'python3 "$1" connect 10.0.2.2 "$2" 5; python3 "$1" connect 10.0.2.2 "$3" 3' sh "$netserver" "$port" "$other"
        [[ "$output" == "ok hello $port"* ]] || { show_run >&2; fail "the allowed port was not reached"; }
        [[ "$output" != *"ok hello $other"* ]] || fail "the refused port was reached"
        [[ "$stderr" == *"  10.0.2.2:$other: connected to, refused by the egress rules"*"    [Network] Allow=10.0.2.2:$other"* ]] ||
                { show_run >&2; fail "the refused connect is not named"; }
        [[ "$stderr" != *"10.0.2.2:$port:"* ]] || fail "the allowed connect is reported"
}

@test "--audit with -d: the report is in nook logs" {
        export XDG_STATE_HOME="$TMP/state"
        run --separate-stderr "$NOOK" run -d --audit -- cat "$HOME/.ssh/id_ed25519"
        assert_status 0
        local id=$output
        wait_until 50 bash -c '"$1" logs "$2" | grep -q "BindReadOnly=\${HOME}/.ssh/id_ed25519"' _ "$NOOK" "$id" ||
                fail "nook logs: $("$NOOK" logs "$id" 2>&1)"
}

@test "--audit with Seccomp=none is refused" {
        audit --seccomp none -- true
        assert_nook_error "Seccomp=none cannot be audited"
}

@test "--audit names what the arguments of a call decide: a socket family SocketFamilies= leaves out, a namespace asked of clone, W|X memory" {
        audit --socket-families unix,inet --memory-deny-write-execute -- python3 -c '
import ctypes, os, socket
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
except OSError as e:
    print("inet6", e.errno)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
print("inet ok")
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
print("wx", libc.mmap(None, 4096, 7, 0x22, -1, 0) in (None, ctypes.c_void_p(-1).value), ctypes.get_errno())
print("unshare", libc.unshare(0x10000000), ctypes.get_errno())
'
        assert_status 0
        [[ "$output" == *"inet6 97"*"inet ok"*"wx True 1"*"unshare -1 1"* ]] || { show_run >&2; fail "a refusal did not hold under --audit"; }
        [[ "$stderr" == *"  socket(): a socket of family inet6, which SocketFamilies= leaves out, failed with EAFNOSUPPORT (1 time, first by python3)"$'\n'"    [Security] SocketFamilies= with inet6"* ]] ||
                { show_run >&2; fail "the family is not named"; }
        [[ "$stderr" == *"  mmap(): memory both writable and executable, which MemoryDenyWriteExecute= refuses, failed with EPERM"*"[Security] MemoryDenyWriteExecute=no"* ]] ||
                { show_run >&2; fail "W|X memory is not named"; }
        [[ "$stderr" == *"  unshare(): a system call the filter refuses, failed with EPERM"* ]] || { show_run >&2; fail "unshare is not named"; }
        [[ "$stderr" != *"family inet,"* && "$stderr" != *"family unix"* ]] || { show_run >&2; fail "an allowed family was reported"; }
}

@test "--audit names clone() asking for a namespace, and the clone still fails" {
        [ "$(uname -m)" = x86_64 ] || skip "the test calls clone by its x86_64 number"
        audit -- python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(56, 0x10000000 | 17, None, None, None, None)
print("clone", r, ctypes.get_errno())
'
        assert_status 0
        [[ "$output" == *"clone -1 1"* ]] || { show_run >&2; fail "clone of a user namespace went on under --audit"; }
        [[ "$stderr" == *"  clone(): asked for a new namespace, which the filter refuses, failed with EPERM (1 time, first by python3)"$'\n'"    [Security] SyscallAllow=clone"* ]] ||
                { show_run >&2; fail "the clone is not named"; }
}

@test "--audit names a path a Hide= covers, read or written, with that Hide= line; the hidden file stays unread" {
        mkdir -p "$HOME/notes"
        echo "private" >"$HOME/notes/diary"
        audit --home host --hide "$HOME/.ssh" --hide "$HOME/notes/diary" -- sh -c 'cat "$HOME/.ssh/id_ed25519"; cat "$HOME/notes/diary"; echo x >"$HOME/notes/diary"; cat "$HOME/notes/other" 2>/dev/null; true'
        assert_status 0
        [[ "$output" != *"not for the sandbox"* && "$output" != *private* ]] || { show_run >&2; fail "a hidden file was read"; }
        [[ "$stderr" == *"  $HOME/.ssh/id_ed25519: read, hidden by the profile (1 time, first by cat)"$'\n'"    [Filesystem] Hide=\${HOME}/.ssh: without it"* ]] ||
                { show_run >&2; fail "the hidden key is not named"; }
        [[ "$stderr" == *"  $HOME/notes/diary: changed, hidden by the profile"*"[Filesystem] Hide=\${HOME}/notes/diary: without it"* ]] ||
                { show_run >&2; fail "the hidden file is not named"; }
        [[ "$stderr" != *"notes/other"* ]] || { show_run >&2; fail "a file no Hide= covers, and that nobody has, is named"; }
        [ "$(cat "$HOME/notes/diary")" = private ]
}

# pid 1 of an observed run: dumpable under vfork once, when the command made
# itself readable to the observer; then the command could ptrace pid 1 (no
# filter there) and run in it what the filter refuses
PID1_PROBE='
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
r = libc.ptrace(0x4206, 1, None, None)
print("seize", r, ctypes.get_errno())
try:
    open("/proc/1/environ", "rb").read(); print("environ readable")
except OSError as e:
    print("environ", e.errno)
'

@test "under --audit and nook learn, the command can neither ptrace pid 1 nor read its memory or environment" {
        audit -- python3 -c "$PID1_PROBE"
        assert_status 0
        [[ "$output" == *"seize -1 1"* && "$output" == *"environ 13"* ]] || { show_run >&2; fail "pid 1 is open to the command under --audit"; }
        learn --report --no-profile -- python3 -c "$PID1_PROBE"
        assert_status 0
        [[ "$output" == *"seize -1 1"* && "$output" == *"environ 13"* ]] || { show_run >&2; fail "pid 1 is open to the command under nook learn"; }
}
