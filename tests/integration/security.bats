#!/usr/bin/env bats
# What the command cannot do: no capabilities, no new privileges, the
# default seccomp filter, no inherited descriptors, no view of the host's
# processes.

load helpers

ZERO_CAPS=0000000000000000

# ---- capabilities and privileges ------------------------------------------------

@test "no effective or permitted capability" {
        ask -- caps
        assert_field CapEff "$ZERO_CAPS"
        assert_field CapPrm "$ZERO_CAPS"
}

@test "the bounding set is empty" {
        ask -- caps
        assert_field CapBnd "$ZERO_CAPS"
}

@test "no inheritable or ambient capability" {
        ask -- caps
        assert_field CapInh "$ZERO_CAPS"
        assert_field CapAmb "$ZERO_CAPS"
}

@test "inside root (--uid 0) has no capability either" {
        ask --uid 0 --gid 0 -- caps
        assert_field CapEff "$ZERO_CAPS"
        assert_field CapPrm "$ZERO_CAPS"
        assert_field CapBnd "$ZERO_CAPS"
        assert_field CapInh "$ZERO_CAPS"
        assert_field CapAmb "$ZERO_CAPS"
}

@test "no_new_privs is set" {
        ask -- caps
        assert_field NoNewPrivs 1
}

@test "the default seccomp filter is on (Seccomp 2)" {
        ask -- caps
        assert_field Seccomp 2
}

@test "--seccomp default is the default filter" {
        ask --seccomp default -- caps
        assert_field Seccomp 2
}

@test "--seccomp none turns the filter off and keeps no_new_privs" {
        ask --seccomp none -- caps
        assert_field Seccomp 0
        assert_field NoNewPrivs 1
        assert_field CapEff "$ZERO_CAPS"
}

@test "the sandbox's init cannot be read by the command (not dumpable)" {
        # pid 1 is nook's init, which shares the sandbox with the command.
        ask -- read /proc/1/environ
        assert_answer_in EACCES EPERM
}

# ---- file descriptors ---------------------------------------------------------------

@test "only descriptors 0, 1 and 2 reach the command" {
        ask -- fds 7</dev/null 8>"$TMP/eight" 9<"$PROBE"
        assert_answer "0 1 2"
}

# ---- processes ---------------------------------------------------------------------

@test "/proc lists only the sandbox's processes" {
        ask -- ls /proc
        assert_status 0
        local pids=() w
        for w in $output; do [[ "$w" =~ ^[0-9]+$ ]] && pids+=("$w"); done
        # init and the probe; a helper more would still be a handful.
        [ "${#pids[@]}" -ge 1 ] && [ "${#pids[@]}" -le 3 ] ||
                fail "expected the sandbox's own few pids in /proc, got: ${pids[*]}"
}

@test "a host process is not visible" {
        sleep "$(unique_marker)" &
        local host_pid=$!
        proc_stat "$host_pid"
        STARTED_PIDS+=("$host_pid:$STAT_START")
        ask -- stat "/proc/$host_pid"
        assert_answer ENOENT
}

@test "a host process cannot be signalled" {
        sleep "$(unique_marker)" &
        local host_pid=$!
        proc_stat "$host_pid"
        STARTED_PIDS+=("$host_pid:$STAT_START")
        ask -- kill "$host_pid" 0
        assert_answer ESRCH
        ask -- kill "$host_pid" KILL
        assert_answer ESRCH
        proc_alive "$host_pid:$STAT_START" || fail "the host process died"
}

# ---- the default seccomp filter --------------------------------------------------------

# denied SYSCALL [ERRNO]: the probe's syscall gives ERRNO (EPERM by default).
denied() {
        ask -- syscall "$1"
        assert_answer "${2:-EPERM}"
}

@test "an ordinary fork (clone without namespace flags) works" {
        ask -- syscall clone-plain
        assert_answer ok
}

@test "getpid works" {
        ask -- syscall getpid
        assert_answer ok
}

@test "unshare(CLONE_NEWUSER) is denied: no nested user namespace" { denied unshare; }
@test "unshare(CLONE_NEWNS) is denied" {
        ask -- syscall unshare-ns mnt
        assert_answer EPERM
}
@test "unshare(CLONE_NEWNET) is denied" {
        ask -- syscall unshare-ns net
        assert_answer EPERM
}
@test "setns is denied" { denied setns; }
@test "mount is denied" { denied mount; }
@test "umount2 is denied" { denied umount2; }
@test "pivot_root is denied" { denied pivot_root; }
@test "chroot is denied" { denied chroot; }
@test "clone(CLONE_NEWUSER) is denied: no nested user namespace" { denied clone-newuser; }
@test "clone(CLONE_NEWNS) is denied" { denied clone-newns; }
@test "clone(CLONE_NEWNET) is denied" { denied clone-newnet; }
@test "clone3 fails with ENOSYS" { denied clone3 ENOSYS; }
@test "open_tree is denied" { denied open_tree; }
@test "move_mount is denied" { denied move_mount; }
@test "fsopen is denied" { denied fsopen; }
@test "fsconfig is denied" { denied fsconfig; }
@test "fsmount is denied" { denied fsmount; }
@test "fspick is denied" { denied fspick; }
@test "mount_setattr is denied" { denied mount_setattr; }
@test "add_key is denied" { denied add_key; }
@test "keyctl is denied" { denied keyctl; }
@test "request_key is denied" { denied request_key; }
@test "kexec_load is denied" { denied kexec_load; }
@test "kexec_file_load is denied" { denied kexec_file_load; }
@test "init_module is denied" { denied init_module; }
@test "finit_module is denied" { denied finit_module; }
@test "delete_module is denied" { denied delete_module; }
@test "bpf is denied" { denied bpf; }
@test "perf_event_open is denied" { denied perf_event_open; }
@test "userfaultfd is denied" { denied userfaultfd; }
@test "open_by_handle_at is denied" { denied open_by_handle_at; }
@test "syslog is denied" { denied syslog; }
@test "acct is denied" { denied acct; }
@test "quotactl is denied" { denied quotactl; }
@test "swapon is denied" { denied swapon; }
@test "swapoff is denied" { denied swapoff; }
@test "reboot is denied" { denied reboot; }
@test "io_uring_setup is denied" { denied io_uring_setup; }
@test "io_uring_enter is denied" { denied io_uring_enter; }
@test "io_uring_register is denied" { denied io_uring_register; }

@test "the i386 syscall ABI is denied" {
        [ "$(uname -m)" = x86_64 ] || skip "host: not x86_64"
        ask_host syscall i386-getpid
        [ "$output" = ok ] || skip "host: the kernel has no i386 emulation ($output)"
        ask -- syscall i386-getpid
        assert_answer_in EPERM ENOSYS
}

@test "the x32 syscall ABI is denied" {
        [ "$(uname -m)" = x86_64 ] || skip "host: not x86_64"
        ask -- syscall x32-getpid
        assert_answer_in EPERM ENOSYS
}

@test "TIOCSTI is denied" {
        ask -- ioctl tiocsti
        assert_answer EPERM
}

@test "TIOCSTI with high bits set in the request is denied" {
        ask -- ioctl tiocsti-high
        assert_answer EPERM
}

@test "TIOCLINUX is denied" {
        ask -- ioctl tioclinux
        assert_answer EPERM
}

@test "a pty from /dev/ptmx works as controlling terminal (TIOCSTI without the filter)" {
        # The control for the TIOCSTI tests: without the filter, the probe's
        # TIOCSTI on its own pty reaches the kernel (EIO where the host sets
        # dev.tty.legacy_tiocsti=0).
        ask --seccomp none -- ioctl tiocsti
        assert_answer_in ok EIO
}

@test "personality(ADDR_NO_RANDOMIZE) is denied" {
        ask -- syscall personality 0x0040000
        assert_answer EPERM
}

@test "personality(READ_IMPLIES_EXEC) is denied" {
        ask -- syscall personality 0x0400000
        assert_answer EPERM
}

@test "querying the personality (0xffffffff) is allowed" {
        ask -- syscall personality 0xffffffff
        assert_answer ok
}

@test "setting the default personality (PER_LINUX) is allowed" {
        ask -- syscall personality 0
        assert_answer ok
}

@test "--seccomp none allows personality(ADDR_NO_RANDOMIZE)" {
        ask --seccomp none -- syscall personality 0x0040000
        assert_answer ok
}

@test "--seccomp none lets the kernel answer add_key" {
        ask --seccomp none -- syscall add_key
        assert_answer ok
}

@test "the filter holds for inside root too" {
        ask --uid 0 --gid 0 -- syscall add_key
        assert_answer EPERM
}

@test "the filter is inherited by the command's children" {
        run --separate-stderr inbox -- sh -c '"$1" syscall add_key' sh "$PROBE"
        assert_answer EPERM
}

# ---- the cache of compiled filters ($XDG_CACHE_HOME/nook) -----------------------------

# The one cache file nook wrote for the default filter.
cache_file() {
        local f=("$XDG_CACHE_HOME"/nook/seccomp-*.bpf)
        [ "${#f[@]}" -eq 1 ] && [ -f "${f[0]}" ] || fail "expected one cache file, got: ${f[*]}"
        printf '%s\n' "${f[0]}"
}

# forge FILE: rewrites FILE as a well-formed cache file (its own key, a
# right checksum) whose program allows every call: what a hostile writer
# would plant. Layout: sandbox/seccomp-cache.c's struct cache_head.
forge() {
        python3 - "$1" <<'PY'
import struct, sys
p = sys.argv[1]
d = open(p, "rb").read()
klen = struct.unpack_from("<I", d, 8)[0]
key = d[24:24 + klen]
prog = struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)      # ret SECCOMP_RET_ALLOW
h = 0xcbf29ce484222325
for c in key + prog:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(p, "wb").write(d[:8] + struct.pack("<IIQ", klen, 1, h) + key + prog)
PY
}

cache_setup() {
        command -v python3 >/dev/null || skip "host: python3 is needed to forge a cache file"
        export XDG_CACHE_HOME="$TMP/cache"
        ask -- syscall personality 0x0040000
        assert_answer EPERM
        CACHE=$(cache_file)
        [ "$(stat -c %a "$CACHE")" = 600 ] || fail "the cache file is not 0600"
        [ "$(stat -c %a "$XDG_CACHE_HOME/nook")" = 700 ] || fail "the cache directory is not 0700"
}

@test "a cache file changed after it was written does not weaken the filter, and is rewritten" {
        cache_setup
        cp "$CACHE" "$TMP/good"
        # the program's first instruction made "ret ALLOW" (an allow-all
        # filter of the same length), the checksum left alone
        python3 - "$CACHE" <<'PY'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
at = 24 + struct.unpack_from("<I", d, 8)[0]
d[at:at + 8] = struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)
open(p, "wb").write(d)
PY
        ! cmp -s "$CACHE" "$TMP/good" || fail "the cache file was not changed"
        ask -- syscall personality 0x0040000
        assert_answer EPERM
        cmp -s "$CACHE" "$TMP/good" || fail "the damaged cache file was not rewritten"
}

@test "a forged cache file is not used from a directory others may write, nor when group-writable" {
        cache_setup
        forge "$CACHE"
        chmod 0620 "$CACHE"
        ask -- syscall personality 0x0040000
        assert_answer EPERM
        forge "$CACHE"
        chmod 0600 "$CACHE"
        chmod 0777 "$XDG_CACHE_HOME/nook"
        cp "$CACHE" "$TMP/forged"
        ask -- syscall personality 0x0040000
        assert_answer EPERM
        cmp -s "$CACHE" "$TMP/forged" || fail "nook wrote into a cache directory others may write"
        ask -- syscall add_key
        assert_answer EPERM
        # control: the same file, in a directory only the user may write, is
        # the user's own filter and is loaded (so the forgery above was a real one)
        chmod 0700 "$XDG_CACHE_HOME/nook"
        ask -- syscall personality 0x0040000
        assert_answer ok
}

@test "a sandbox cannot write nook's cache directory, even under a bind of it" {
        export XDG_CACHE_HOME="$TMP/cache"
        mkdir "$XDG_CACHE_HOME"         # nook/ not yet: no sandbox makes it first
        ask --bind "$XDG_CACHE_HOME" -- write "$XDG_CACHE_HOME/other"
        assert_answer ok
        ask --bind "$XDG_CACHE_HOME" -- write "$XDG_CACHE_HOME/nook/seccomp-0000000000000000.bpf"
        assert_answer EROFS
}

# ---- bind sources ----------------------------------------------------------------------

# /dev/shm is everyone's to write: a link there that passes for a device
# led the bind to the host's root, read-write (the name was checked as text).
@test "--device naming a link in /dev that leads to the host's root is refused, and nothing runs" {
        [ -w /dev/shm ] && [ -k /dev/shm ] || skip "host: /dev/shm is not a shared sticky directory"
        local link="/dev/shm/nook-test-$(unique_marker)"
        ln -s ../.. "$link"
        HOST_FILES+=("$link")
        run --separate-stderr "$NOOK" run --no-cwd --device "$link" -- /bin/sh -c 'echo ran; ls '"$link"
        [ "$status" -eq 125 ] || { show_run; fail "expected 125, got $status"; }
        # refused when the options are checked (no directory of /dev's own),
        # or when the plan's sources are made exact (not under /dev)
        [[ "$stderr" == *"$link leads to /, which is not under /dev"* ||
           "$stderr" == *"device $link is neither a device node nor a directory of /dev's own"* ]] ||
                { show_run; fail "no clear message"; }
        [[ "$output" != *ran* ]] || fail "the command ran"
}

# /dev/pts holds the user's other terminals: a link to it passed for a
# directory of devices.
@test "--device naming a link to /dev/pts is refused: it is no directory of /dev's own" {
        [ -w /dev/shm ] && [ -k /dev/shm ] || skip "host: /dev/shm is not a shared sticky directory"
        [ "$(stat -c %d /dev/pts)" != "$(stat -c %d /dev)" ] || skip "host: /dev/pts is not a file system of its own"
        local link="/dev/shm/nook-test-$(unique_marker)"
        ln -s /dev/pts "$link"
        HOST_FILES+=("$link")
        run --separate-stderr "$NOOK" run --no-cwd --device "$link" -- /bin/sh -c 'echo ran'
        [ "$status" -eq 125 ] || { show_run; fail "expected 125, got $status"; }
        [[ "$stderr" == *"neither a device node nor a directory of /dev's own"* ]] || { show_run; fail "no clear message"; }
        [[ "$output" != *ran* ]] || fail "the command ran"
}

@test "a bind-try of a link that leads nowhere is skipped, as a missing source is" {
        ln -s "$TMP/no-such-target" "$TMP/dangling"
        run --separate-stderr "$NOOK" run --no-cwd --bind-try "$TMP/dangling:/mnt/x" \
                --bind-try "$TMP/dangling/below:/mnt/y" -- /bin/sh -c \
                'test -e /mnt/x && echo X; test -e /mnt/y && echo Y; echo ran'
        assert_status 0
        [ "$output" = ran ] || { show_run; fail "not skipped"; }
        run --separate-stderr "$NOOK" run --no-cwd --bind "$TMP/dangling:/mnt/x" -- /bin/true
        [ "$status" -eq 125 ] || { show_run; fail "a plain bind of it: expected 125, got $status"; }
}

@test "a bind-try source that is missing and climbs with '..' is refused, naming it" {
        run --separate-stderr "$NOOK" run --no-cwd --bind-try "$TMP/missing/../../..:/mnt" -- /bin/true
        [ "$status" -eq 125 ] || { show_run; fail "expected 125, got $status"; }
        [[ "$stderr" == *"does not exist and has '..' in it"* ]] || { show_run; fail "no clear message"; }
}

# The host's root bound on purpose shows the host's root, not the
# sandbox's own (which is mounted on top of the host's while it is built).
@test "--ro-bind /:/host shows the host's root, read-only, and / stays the sandbox's" {
        run --separate-stderr "$NOOK" run --no-cwd --ro-bind /:/host -- /bin/sh -c \
                'ls -A /host | tr "\n" " "; echo; ls -A / | tr "\n" " "; echo; touch /host/tmp/x 2>&1 || echo refused'
        assert_status 0
        local host=$(ls -A / | tr '\n' ' ')
        [ "${lines[0]}" = "$host" ] || fail "/host lists '${lines[0]}', the host's root '$host'"
        [[ " ${lines[1]} " == *" host "* && " ${lines[1]} " != *" sys "* ]] || fail "/ is not the sandbox's: ${lines[1]}"
        [[ "$output" == *refused* ]] || fail "/host was writable"
}
