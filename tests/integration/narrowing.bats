#!/usr/bin/env bats
# The keys that narrow a sandbox as firejail's most used directives do:
# PrivateEtc= and PrivateBin= (only the listed entries of the host's /etc,
# /usr/bin and /usr/sbin show, read-only), MachineId=random,
# SocketFamilies= (socket(2) of another family fails) and
# MemoryDenyWriteExecute= (no memory both writable and executable), each
# tried from inside, through nook run and through nook enter; bad values
# and impossible combinations refused in one line.

load helpers

setup() {
        common_setup
        NAME="narrow-${TEST_MARKER//./-}"
}

teardown() {
        "$NOOK" stop -t 1 "$NAME" >/dev/null 2>&1 || true
        common_teardown
}

in_box() { run --separate-stderr "$NOOK" run "$@"; }

# py_sockets: for each family (numbers), "AF:ok" or "AF:errno" of socket(2) inside
SOCKETS='
import socket, sys
for f in (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET, 45):
    t = socket.SOCK_RAW if f in (socket.AF_NETLINK, socket.AF_PACKET) else socket.SOCK_DGRAM
    try:
        socket.socket(f, t).close(); print("%d:ok" % f)
    except OSError as e:
        print("%d:%d" % (f, e.errno))
'

# W|X memory, then exec added to writable memory, then plain read-write memory
MEMORY='
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
RW, X = mmap.PROT_READ | mmap.PROT_WRITE, mmap.PROT_EXEC
flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
p = libc.mmap(None, 4096, RW | X, flags, -1, 0)
print("wx:" + ("ok" if p not in (None, ctypes.c_void_p(-1).value) else str(ctypes.get_errno())))
q = libc.mmap(None, 4096, RW, flags, -1, 0)
print("rw:" + ("ok" if q not in (None, ctypes.c_void_p(-1).value) else str(ctypes.get_errno())))
r = libc.mprotect(ctypes.c_void_p(q), 4096, mmap.PROT_READ | X)
print("mprotect-x:" + ("ok" if r == 0 else str(ctypes.get_errno())))
'

@test "PrivateEtc=: only the listed entries of /etc show, links stay links, and /etc is read-only" {
        in_box --private-etc 'hostname, os-release,ssl' --private-etc passwd -- /bin/sh -c \
                'ls -A /etc; readlink /etc/os-release; head -c 4 /etc/ssl/certs/ca-certificates.crt 2>/dev/null | wc -c; touch /etc/new 2>&1; test -e /etc/shadow && echo shadow; true'
        assert_status 0
        [ "${lines[0]}" = hostname ] && [ "${lines[1]}" = os-release ] && [ "${lines[2]}" = passwd ] && [ "${lines[3]}" = ssl ] ||
                { show_run; fail "/etc holds more or less than the list"; }
        [ "${lines[4]}" = "$(readlink /etc/os-release)" ] || { show_run; fail "os-release is not the host's link"; }
        [[ "$output" == *"Read-only file system"* ]] || { show_run; fail "/etc is writable"; }
        [[ "$output" != *shadow* ]] || fail "an unlisted entry shows"
        # a listed entry the host does not have is passed over
        in_box --private-etc hostname,no-such-entry -- ls -A /etc
        assert_status 0
        [ "$output" = hostname ] || { show_run; fail "$output"; }
}

@test "PrivateEtc= keeps the resolv.conf and hosts nook writes for a slirp network" {
        command -v slirp4netns >/dev/null || skip "host: no slirp4netns"
        in_box --net slirp --private-etc hostname -- /bin/sh -c 'ls -A /etc; grep -c nameserver /etc/resolv.conf'
        assert_status 0
        [ "$(printf '%s\n' "${lines[@]:0:3}" | sort | tr '\n' ' ')" = "hostname hosts resolv.conf " ] || { show_run; fail "/etc"; }
}

@test "PrivateBin=: only the listed programs show in /usr/bin and /usr/sbin, a linked one runs, others are not found" {
        command -v awk >/dev/null && [ -L "$(command -v awk)" ] || skip "host: awk is not a link (alternatives)"
        in_box --private-bin sh,ls,awk -- /bin/sh -c 'ls /usr/bin; echo --; ls /usr/sbin; echo --; echo 1 2 | awk "{print \$2}"; id; echo id=$?; : >/usr/bin/x 2>&1'
        [ "${lines[0]}" = awk ] && [ "${lines[1]}" = ls ] && [ "${lines[2]}" = sh ] && [ "${lines[3]}" = -- ] &&
                [ "${lines[4]}" = -- ] || { show_run; fail "/usr/bin and /usr/sbin"; }
        [ "${lines[5]}" = 2 ] || { show_run; fail "awk, a link through /etc/alternatives, did not run"; }
        [[ "$output" == *"id=127"* ]] || { show_run; fail "an unlisted program ran"; }
        [[ "$stderr$output" == *"Read-only file system"* ]] || { show_run; fail "/usr/bin is writable"; }
}

@test "MachineId=random: a new machine id each run, the host's out of sight" {
        in_box --machine-id random -- cat /etc/machine-id
        assert_status 0
        local one=$output
        [[ "$one" =~ ^[0-9a-f]{32}$ ]] || fail "not a machine id: $one"
        [ "$one" != "$(cat /etc/machine-id 2>/dev/null)" ] || fail "the host's machine id"
        in_box --machine-id random --private-etc hostname -- cat /etc/machine-id
        [[ "$output" =~ ^[0-9a-f]{32}$ ]] && [ "$output" != "$one" ] || fail "the second run: $output"
        in_box -- cat /etc/machine-id
        [ "$output" = "$(cat /etc/machine-id)" ] || fail "without the key the host's shows"
}

@test "SocketFamilies=: sockets of other families fail with EAFNOSUPPORT, in nook run and in nook enter" {
        command -v python3 >/dev/null || skip "host: no python3"
        in_box --socket-families unix -- python3 -c "$SOCKETS"
        assert_status 0
        assert_output "1:ok
2:97
10:97
16:97
17:97
45:97"
        in_box --socket-families unix,inet,netlink -- python3 -c "$SOCKETS"
        [[ "$output" == *"2:ok"* && "$output" == *"16:ok"* && "$output" == *"10:97"* ]] || { show_run; fail "unix,inet,netlink"; }
        in_box --socket-families none -- python3 -c "$SOCKETS"
        [[ "$output" == *"1:97"* ]] || { show_run; fail "none let unix through"; }
        # a command entered into the sandbox is held the same
        run --separate-stderr "$NOOK" run -d --name "$NAME" --socket-families unix -- sleep 600
        assert_status 0
        run --separate-stderr "$NOOK" enter "$NAME" -- python3 -c "$SOCKETS"
        assert_status 0
        [[ "$output" == *"1:ok"* && "$output" == *"2:97"* ]] || { show_run; fail "nook enter escaped SocketFamilies="; }
}

@test "MemoryDenyWriteExecute=: no W|X memory, no exec added to writable memory; programs still run; enter is held too" {
        command -v python3 >/dev/null || skip "host: no python3"
        in_box -- python3 -c "$MEMORY"
        assert_output "wx:ok
rw:ok
mprotect-x:ok"
        in_box --memory-deny-write-execute -- python3 -c "$MEMORY"
        assert_status 0
        assert_output "wx:1
rw:ok
mprotect-x:1"
        run --separate-stderr "$NOOK" run -d --name "$NAME" --memory-deny-write-execute -- sleep 600
        assert_status 0
        run --separate-stderr "$NOOK" enter "$NAME" -- python3 -c "$MEMORY"
        [[ "$output" == *"wx:1"* ]] || { show_run; fail "nook enter escaped MemoryDenyWriteExecute="; }
}

@test "the narrowing keys in a profile, and their bad values and combinations refused in one line" {
        local p="$TMP/narrow.profile"
        printf '[Filesystem]\nPrivateEtc=hostname\nMachineId=random\n[Security]\nSocketFamilies=unix\nMemoryDenyWriteExecute=yes\n' >"$p"
        run --separate-stderr "$NOOK" run --profile "$p" -- /bin/sh -c 'ls -A /etc'
        assert_status 0
        [ "$output" = "hostname
machine-id" ] || { show_run; fail "the profile's keys"; }
        run --separate-stderr "$NOOK" run --private-etc ../shadow -- true
        assert_nook_error "not an entry of /etc"
        run --separate-stderr "$NOOK" run --private-etc /etc/passwd -- true
        assert_nook_error "not an entry of /etc"
        run --separate-stderr "$NOOK" run --private-bin /bin/sh -- true
        assert_nook_error "not a program name"
        run --separate-stderr "$NOOK" run --socket-families unix,ipx -- true
        assert_nook_error "'ipx' is not a socket family"
        run --separate-stderr "$NOOK" run --machine-id fixed -- true
        assert_nook_error "not one of random, host"
        run --separate-stderr "$NOOK" run --seccomp none --socket-families unix -- true
        assert_nook_error "SocketFamilies= is made by the seccomp filter"
        run --separate-stderr "$NOOK" run --seccomp none --memory-deny-write-execute -- true
        assert_nook_error "MemoryDenyWriteExecute= is made by the seccomp filter"
        run --separate-stderr "$NOOK" run --own org.example.Mine -- true
        assert_nook_error "DBus=filtered"
        run --separate-stderr "$NOOK" run --dbus filtered --own org.freedesktop.Notifications -- true
        assert_nook_error "may not own"
}
