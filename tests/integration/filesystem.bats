#!/usr/bin/env bats
# What the command sees of the file system: the host's /usr and /etc read-only,
# its own /proc, /dev, /tmp and home, the binds it asked for, nosuid and nodev
# everywhere, and nothing that leaks back to the host.

load helpers

# The per-mount options of the mount holding a path, as the probe reports them.
has_mount_opt() { [[ ",$output," == *",$1,"* ]]; }
assert_mount_opts() {
        local o
        assert_status 0
        for o in "$@"; do
                has_mount_opt "$o" || { show_run >&2; fail "expected mount option $o"; }
        done
}

# ---- the host system, read-only ------------------------------------------------

@test "/usr is read-only: writing gives EROFS" {
        ask -- write /usr/nook-probe-write
        assert_answer EROFS
}

@test "/etc is read-only: writing gives EROFS" {
        ask -- write /etc/nook-probe-write
        assert_answer EROFS
}

@test "/usr is mounted ro,nosuid,nodev" {
        ask -- mountinfo /usr
        assert_mount_opts ro nosuid nodev
}

@test "/bin, /lib and /sbin are as on the host" {
        local p host inside
        for p in /bin/sh /lib /sbin; do
                [ -e "$p" ] || continue
                host=$(readlink -f "$p")
                run --separate-stderr inbox -- readlink -f "$p"
                assert_status 0
                [ "$output" = "$host" ] || fail "$p resolves to '$output' inside, '$host' on the host"
        done
}

@test "a setuid-root binary runs without privilege" {
        local helper=/usr/lib/polkit-1/polkit-agent-helper-1
        [ -u "$helper" ] && [ "$(stat -c %u "$helper")" -eq 0 ] ||
                skip "host: no setuid-root $helper to try"
        # On the host it runs as root and complains about its arguments; without
        # privilege it says it needs to be setuid root.
        run "$helper" </dev/null
        [[ "$output" != *"needs to be setuid root"* ]] ||
                skip "host: setuid is not effective for $helper even outside the sandbox"
        run nook run -- "$helper" </dev/null
        assert_output_has "needs to be setuid root"
}

# ---- binds -----------------------------------------------------------------------

@test "--ro-bind SRC:DST shows SRC's files at DST" {
        mkdir "$TMP/data"
        echo hello >"$TMP/data/file"
        ask --ro-bind "$TMP/data:/data" -- ls /data
        assert_answer file
}

@test "--ro-bind is read-only: writing gives EROFS" {
        mkdir "$TMP/data"
        echo hello >"$TMP/data/file"
        ask --ro-bind "$TMP/data:/data" -- write /data/file
        assert_answer EROFS
        [ "$(cat "$TMP/data/file")" = hello ] || fail "the host file changed"
}

@test "--ro-bind is read-only over the host's submounts too" {
        [ -w /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d /dev)" ] ||
                skip "host: /dev/shm is not a writable mount below /dev"
        local name="nook-probe-$(unique_marker)"
        HOST_FILES+=("/dev/shm/$name")
        ask --ro-bind /dev:/hostdev -- write "/hostdev/shm/$name"
        assert_answer EROFS
        [ ! -e "/dev/shm/$name" ] || fail "the file was written on the host"
}

@test "--ro-bind marks the host's submounts ro,nosuid,nodev" {
        [ "$(stat -c %d /dev/shm)" != "$(stat -c %d /dev)" ] ||
                skip "host: /dev/shm is not a mount below /dev"
        ask --ro-bind /dev:/hostdev -- mountinfo /hostdev/shm
        assert_mount_opts ro nosuid nodev
}

@test "device nodes in a bind cannot be opened (nodev)" {
        ask --ro-bind /dev:/hostdev -- open /hostdev/null r
        assert_answer EACCES
}

@test "--ro-bind SRC binds at the same path" {
        mkdir "$TMP/same"
        echo hello >"$TMP/same/file"
        ask --ro-bind "$TMP/same" -- ls "$TMP/same"
        assert_answer file
}

@test "--bind is writable: writes reach the host" {
        mkdir "$TMP/data"
        ask --bind "$TMP/data:/data" -- write /data/made-inside
        assert_answer ok
        [ "$(cat "$TMP/data/made-inside")" = x ] || fail "the write did not reach the host"
}

@test "--bind SRC binds at the same path, writable" {
        mkdir "$TMP/same"
        ask --bind "$TMP/same" -- write "$TMP/same/made-inside"
        assert_answer ok
        [ -f "$TMP/same/made-inside" ] || fail "the write did not reach the host"
}

@test "--bind creates a missing DST, however deep" {
        mkdir "$TMP/data"
        echo hello >"$TMP/data/file"
        ask --bind "$TMP/data:/a/b/c" -- ls /a/b/c
        assert_answer file
}

@test "--bind of a single file" {
        printf 'abc' >"$TMP/file"
        ask --bind "$TMP/file:/the-file" -- read /the-file
        assert_answer 3
}

@test "--bind is mounted nosuid,nodev" {
        mkdir "$TMP/data"
        ask --bind "$TMP/data:/data" -- mountinfo /data
        assert_mount_opts rw nosuid nodev
}

@test "--ro-bind is mounted ro,nosuid,nodev" {
        mkdir "$TMP/data"
        ask --ro-bind "$TMP/data:/data" -- mountinfo /data
        assert_mount_opts ro nosuid nodev
}

@test "the caller's directory is mounted nosuid,nodev" {
        mkdir "$TMP/work"
        cd "$TMP/work"
        ask -- mountinfo "$TMP/work"
        assert_mount_opts rw nosuid nodev
}

# ---- /proc -------------------------------------------------------------------------

@test "/proc is mounted nosuid,nodev,noexec" {
        ask -- mountinfo /proc
        assert_mount_opts nosuid nodev noexec
}

# masked PATH: something is mounted over PATH and it reads as nothing (or
# not at all: the host's file may be root's alone).
assert_masked() {
        ask -- mountpoint "$1"
        assert_answer yes
        ask -- read "$1"
        assert_answer_in 0 EACCES EPERM
}

@test "/proc/kcore is masked" {
        [ -e /proc/kcore ] || skip "host: the kernel has no /proc/kcore"
        assert_masked /proc/kcore
}

@test "/proc/kcore reads nothing" {
        [ -e /proc/kcore ] || skip "host: the kernel has no /proc/kcore"
        ask -- read /proc/kcore
        assert_answer_in 0 EACCES EPERM
}

@test "/proc/keys is masked" {
        [ -e /proc/keys ] || skip "host: the kernel has no /proc/keys"
        assert_masked /proc/keys
}

@test "/proc/keys reads nothing, even with a key present" {
        [ -e /proc/keys ] || skip "host: the kernel has no /proc/keys"
        # Without the filter the command can add a key, which /proc/keys
        # would list if it were not masked.
        run --separate-stderr inbox --seccomp none -- sh -c '"$1" syscall add_key && "$1" read /proc/keys' sh "$PROBE"
        assert_status 0
        [ "${lines[0]}" = ok ] || { show_run; fail "could not add a key to test with"; }
        [ "${lines[1]}" = 0 ] || { show_run; fail "expected /proc/keys to read 0 bytes"; }
}

@test "/proc/timer_list is masked" {
        [ -e /proc/timer_list ] || skip "host: the kernel has no /proc/timer_list"
        assert_masked /proc/timer_list
}

@test "/proc/sys is mounted read-only" {
        ask -- mountinfo /proc/sys
        assert_mount_opts ro
}

@test "/proc/sys refuses writes as a read-only mount (EROFS)" {
        # Opening with O_TRUNC asks the mount for write access before the
        # file's permissions are looked at: a writable /proc/sys would say
        # EACCES here, a read-only one EROFS.
        ask -- open /proc/sys/kernel/hostname trunc
        assert_answer EROFS
}

@test "/proc/sysrq-trigger is mounted read-only" {
        [ -e /proc/sysrq-trigger ] || skip "host: the kernel has no /proc/sysrq-trigger"
        ask -- mountinfo /proc/sysrq-trigger
        assert_mount_opts ro
}

@test "/proc/irq is mounted read-only" {
        [ -e /proc/irq ] || skip "host: the kernel has no /proc/irq"
        ask -- mountinfo /proc/irq
        assert_mount_opts ro
}

@test "/proc/bus is mounted read-only" {
        [ -e /proc/bus ] || skip "host: the kernel has no /proc/bus"
        ask -- mountinfo /proc/bus
        assert_mount_opts ro
}

# ---- /dev -------------------------------------------------------------------------------

@test "/dev holds exactly the minimal set of nodes" {
        ask -- ls /dev
        assert_answer "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"
}

@test "/dev/null, /dev/zero and /dev/urandom work" {
        ask -- write /dev/null
        assert_answer ok
        ask -- read /dev/zero
        assert_answer 1048576
        ask -- read /dev/urandom
        assert_answer 1048576
}

@test "/dev/pts is a new instance without the host's terminals" {
        ask -- ls /dev/pts
        assert_answer ptmx
}

@test "/dev/shm is a writable tmpfs of the sandbox" {
        local name="nook-probe-$(unique_marker)"
        HOST_FILES+=("/dev/shm/$name")
        ask -- write "/dev/shm/$name"
        assert_answer ok
        [ ! -e "/dev/shm/$name" ] || fail "the file reached the host's /dev/shm"
}

@test "mknod of a character device fails" {
        ask -- syscall mknod-char
        assert_answer EPERM
}

# ---- private directories -------------------------------------------------------------------

@test "/tmp is an empty private tmpfs" {
        local name="nook-test-$(unique_marker)"
        : >"/tmp/$name"
        HOST_FILES+=("/tmp/$name")
        ask_clean -- ls /tmp
        assert_answer ""
}

@test "writes to /tmp stay in the sandbox" {
        local name="nook-test-$(unique_marker)"
        HOST_FILES+=("/tmp/$name")
        ask_clean -- write "/tmp/$name"
        assert_answer ok
        [ ! -e "/tmp/$name" ] || fail "the file reached the host's /tmp"
}

@test "/run is an empty private tmpfs" {
        [ -n "$(ls -A /run)" ] || skip "host: /run is empty, nothing to tell it apart"
        ask_clean -- ls /run
        assert_answer ""
}

@test "/var/tmp is an empty private tmpfs" {
        local name="nook-test-$(unique_marker)"
        if [ -w /var/tmp ]; then
                : >"/var/tmp/$name"
                HOST_FILES+=("/var/tmp/$name")
        fi
        [ -n "$(ls -A /var/tmp 2>/dev/null)" ] || skip "host: /var/tmp is empty and not writable"
        ask_clean -- ls /var/tmp
        assert_answer ""
        ask_clean -- write "/var/tmp/$name.inside"
        assert_answer ok
}

@test "home is an empty tmpfs at \$HOME" {
        mkdir "$TMP/home"
        echo secret >"$TMP/home/.secret"
        HOME="$TMP/home" ask_clean -- ls "$TMP/home"
        assert_answer ""
}

@test "home is writable and writes stay in the sandbox" {
        mkdir "$TMP/home"
        HOME="$TMP/home" ask_clean -- write "$TMP/home/made-inside"
        assert_answer ok
        [ ! -e "$TMP/home/made-inside" ] || fail "the file reached the host's home"
}

# The new root is put together on top of the host's root (or, when a step
# needs nook's staging tmpfs, a file hidden or written, inside that tmpfs):
# either way nothing of the host's root may be left mounted at the end.
assert_host_root_gone() {
        run --separate-stderr "$NOOK" run --no-cwd "$@" -- /bin/sh -c \
                'cut -d" " -f5,9 /proc/self/mountinfo; echo; ls -A /'
        assert_status 0
        local table=${output%%$'\n\n'*} listing=${output#*$'\n\n'}
        [ "$(grep -c '^/ ' <<<"$table")" -eq 1 ] || fail "more than one mount at /: $table"
        ! grep -Eq '^/(oldroot|newroot|sys|boot)( |/)| (sysfs|cgroup2?|ext4)$' <<<"$(grep -v '^/\(usr\|etc\|opt\)' <<<"$table")" ||
                fail "a mount of the host's root is left: $table"
        [[ $'\n'"$listing"$'\n' != *$'\nsys\n'* && $'\n'"$listing"$'\n' != *$'\nboot\n'* ]] ||
                fail "/ lists the host's root: $listing"
}

@test "the host's root is gone from a host sandbox's mount table" {
        assert_host_root_gone
}

@test "the host's root is gone with nook's staging tmpfs too (a file hidden)" {
        assert_host_root_gone --hide /etc/passwd
}

# A host sandbox's /tmp, /run, /var/tmp, /dev/shm and home are directories of
# its own root tmpfs, each bound on itself writable, while the root is sealed
# read-only: each keeps its mode, and none is a way to write to the root.
@test "the private directories keep their modes" {
        local want=(/tmp=1777 /run=0755 /var/tmp=1777 /dev/shm=1777 "$HOME=0700") p
        for p in "${want[@]}"; do
                ask_clean -- stat "${p%=*}"
                assert_status 0
                [[ "$output" == "mode=${p#*=} "* ]] || fail "${p%=*}: $output, expected mode ${p#*=}"
        done
}

@test "the private directories are writable, the root read-only, also reached through them" {
        local d
        for d in /tmp /run /var/tmp /dev/shm "$HOME"; do
                ask_clean -- write "$d/made-inside"
                assert_answer ok
                ask_clean -- write "$d/../nook-probe-root"
                assert_answer EROFS
        done
        ask_clean -- write /nook-probe-root
        assert_answer EROFS
        ask_clean -- mountinfo /tmp
        assert_mount_opts rw nosuid nodev
}

@test "the private directories are apart: a file of one is in no other" {
        run --separate-stderr "$NOOK" run --no-cwd -- /bin/sh -c \
                'echo x >/tmp/f && ls -A /run /var/tmp /dev/shm "$HOME"; ln /tmp/f /run/f 2>&1 || echo refused'
        assert_status 0
        [[ "$output" == *refused* ]] || fail "a hard link crossed from /tmp to /run: $output"
        [[ "$output" != *$'\nf'* ]] || fail "/tmp's file shows elsewhere: $output"
}

# ---- --hide and --tmpfs ----------------------------------------------------------------------

@test "--hide FILE makes the file read as nothing" {
        mkdir "$TMP/data"
        echo "a secret" >"$TMP/data/secret"
        ask --ro-bind "$TMP/data" --hide "$TMP/data/secret" -- read "$TMP/data/secret"
        assert_answer_in 0 EACCES
}

@test "--hide FILE cannot be written through a writable bind" {
        mkdir "$TMP/data"
        echo "a secret" >"$TMP/data/secret"
        ask --bind "$TMP/data" --hide "$TMP/data/secret" -- write "$TMP/data/secret"
        assert_answer_in EROFS EACCES EPERM
        [ "$(cat "$TMP/data/secret")" = "a secret" ] || fail "the hidden file changed on the host"
}

@test "--hide DIR makes the directory empty" {
        mkdir -p "$TMP/data/private"
        echo "a secret" >"$TMP/data/private/file"
        ask --ro-bind "$TMP/data" --hide "$TMP/data/private" -- ls "$TMP/data/private"
        assert_answer_in "" EACCES
}

@test "--hide DIR hides the files under it" {
        mkdir -p "$TMP/data/private"
        echo "a secret" >"$TMP/data/private/file"
        ask --ro-bind "$TMP/data" --hide "$TMP/data/private" -- read "$TMP/data/private/file"
        assert_answer_in ENOENT EACCES
}

@test "--tmpfs DST is an empty writable directory" {
        ask --tmpfs /scratch -- write /scratch/file
        assert_answer ok
}

@test "--tmpfs DST hides what was at DST" {
        [ -n "$(ls -A /usr/share)" ] || skip "host: /usr/share is empty"
        ask --tmpfs /usr/share -- ls /usr/share
        assert_answer ""
}

@test "--tmpfs DST:size=N limits the size in bytes" {
        run --separate-stderr nook run --tmpfs /scratch:size=1048576 -- \
                dd if=/dev/zero of=/scratch/big bs=65536 count=32
        [ "$status" -ne 0 ] || { show_run; fail "2 MiB fitted in a 1 MiB tmpfs"; }
        [[ "$stderr" == *"No space left on device"* ]] || { show_run; fail "expected ENOSPC"; }
}

@test "--tmpfs size=N allows N bytes" {
        run --separate-stderr nook run --tmpfs /scratch:size=1048576 -- \
                dd if=/dev/zero of=/scratch/big bs=65536 count=8
        assert_status 0
}

@test "--tmpfs size accepts a unit suffix" {
        run --separate-stderr nook run --tmpfs /scratch:size=1M -- \
                dd if=/dev/zero of=/scratch/big bs=65536 count=32
        [ "$status" -ne 0 ] || { show_run; fail "2 MiB fitted in a 1M tmpfs"; }
        [[ "$stderr" == *"No space left on device"* ]] || { show_run; fail "expected ENOSPC"; }
}

@test "--tmpfs is mounted nosuid,nodev" {
        ask --tmpfs /scratch -- mountinfo /scratch
        assert_mount_opts nosuid nodev
}

# ---- nothing leaks to the host -------------------------------------------------------------

@test "mounts made for a running sandbox never appear on the host" {
        local out="$TMP/out" name pid
        name="/nook-mount-$(unique_marker)"
        mkdir "$TMP/data"
        inbox --tmpfs "$name" --bind "$TMP/data:$name/data" -- "$PROBE" waitsig "$TEST_MARKER" \
                >"$out" 2>&1 3>&- &
        pid=$!
        wait_until 50 file_has_line "$out" ready || { kill -KILL "$pid"; fail "the sandbox never got ready:" "$(cat "$out")"; }
        local during
        during=$(cat /proc/self/mountinfo)
        kill -TERM "$pid"
        wait "$pid" || true
        [[ "$during" != *"$name"* ]] || fail "the sandbox's mount shows on the host"
        [ "$during" = "$MOUNTS_BEFORE" ] || fail "the host's mounts changed while the sandbox ran"
        assert_host_mounts_unchanged
}

@test "the command cannot mount, even as inside root without the filter" {
        ask --uid 0 --gid 0 --seccomp none -- syscall mount
        assert_answer EPERM
}
