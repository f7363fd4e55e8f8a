#!/usr/bin/env bats
# nook under faults: SIGKILL at random (but seeded, fixed here) points of
# run, image import, enter and stop (tests/integration/fault-sigkill; its
# long run with random seeds, by hand: tests/fault/README.md), and a store
# that fills up during an import. Helpers that hang, exit or print garbage:
# helpers-fault.bats.

# the seeded run takes some 15 s alone; more on a loaded machine
: "${BATS_TEST_TIMEOUT:=150}"
load images-helpers

setup_file() {
        images_setup_file oci
}

setup() {
        images_setup
}

teardown() {
        images_teardown
}

@test "SIGKILL at 12 seeded points of run, import, enter and stop leaves nothing behind" {
        run bash "$BATS_TEST_DIRNAME/fault-sigkill" --nook "$NOOK" --oci "$FIX/busybox-oci" \
                --seed 4242 --iterations 12 --dir "$TMP/fault"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *"seed 4242: 12 iterations"*"nothing left behind"* ]] || fail "$output"
}

# The script of the next test, run as root of a user and mount namespace
# of util-linux's unshare (see in_small_store in images-lifecycle.bats:
# nook trusts no directory on the store's path that another user owns):
# a store on a 4 MiB tmpfs holds busybox, then an import of an 8 MiB
# rootfs fills it up.
ENOSPC_SCRIPT='
r=$1 big=$2 PATH=$PATH:/usr/sbin:/sbin
mount -t tmpfs -o size=4m,mode=755 tmpfs "$r" || exit 99
for d in usr bin sbin lib lib64 etc dev proc sys tmp; do
        [ -e "/$d" ] || continue
        if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$r/$d"; continue; fi
        mkdir "$r/$d" && mount --rbind "/$d" "$r/$d" || exit 99
done
mkdir "$r/old" "$r/store" && mkdir -m 700 "$r/run" || exit 99
cd "$r" && pivot_root . old && umount -l /old || exit 99
export XDG_DATA_HOME=/store XDG_RUNTIME_DIR=/run
"$NOOK" image import --map single "$FIX/busybox-oci" --name bb:1 >/dev/null || exit 98
(cd /store && find . | sort) >/run/before
"$NOOK" image import --map single "$big" --name big:1 >/run/out 2>/run/err
echo "status=$?"
echo "stderr<<"; cat /run/err; echo ">>"
echo "ls<<"; "$NOOK" image ls; echo ">>"
"$NOOK" image verify >/run/verify 2>&1; echo "verify=$? $(head -c 300 /run/verify)"
(cd /store && find . | sort) >/run/after
echo "left<<"; comm -13 /run/before /run/after; echo ">>"
'

@test "an import that fills the store's file system gives one ENOSPC line and leaves no half image" {
        mkdir -p "$TMP/rootfs" "$TMP/small"
        head -c 8M /dev/urandom >"$TMP/rootfs/big"
        tar -C "$TMP/rootfs" -cf "$TMP/big.tar" . || fail "cannot make the rootfs tarball"
        run --separate-stderr unshare --user --map-root-user --mount --propagation private \
                bash -c "$ENOSPC_SCRIPT" enospc "$TMP/small" "$TMP/big.tar"
        [ "$status" -ne 99 ] || skip "host: cannot make a small root in a user namespace ($stderr)"
        [ "$status" -ne 98 ] || fail "cannot import busybox into the small store: $stderr"
        [ "$status" -eq 0 ] || { show_run; fail "the script failed"; }
        local err
        [[ "$output" == *"status=125"* ]] || fail "expected nook to fail with 125:" "$output"
        err=$(sed -n '/^stderr<</,/^>>/p' <<<"$output" | sed '1d;$d')
        [ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line:" "$err"
        [[ "$err" == "nook: "*"image store"*"No space left on device"* ]] || fail "expected an ENOSPC line naming the store:" "$err"
        [[ "$output" == *"bb:1"* ]] || fail "the image before is gone:" "$output"
        [[ "$output" != *"big:1"* ]] || fail "a half image is listed:" "$output"
        [[ "$output" == *"verify=0 "* ]] || fail "nook image verify found problems:" "$output"
        [[ "$output" == *$'left<<\n>>'* ]] || fail "left in the store:" "$output"
}

# fuse_stand_in KIND: a fuse-overlayfs first on PATH (a directory of the
# test's, which the sandbox's staging root does not show: nook must find it
# on the host's PATH) that fails at once ("exit") or prints 100 KB of
# terminal escapes and bytes first ("garbage"), its marker in a file.
fuse_stand_in() {
        mkdir -p "$TMP/fakebin"
        head -c 100000 /dev/urandom | tr -d '\n' >"$TMP/garbage"
        {
                # it runs in the sandbox's staging root, the host's under /oldroot
                printf '#!/bin/sh\necho ran >"/oldroot%s/stand-in-ran"\n' "$TMP"
                [ "$1" = garbage ] && printf 'printf "\\033]0;title\\007\\033[2J"\ncat "%s"\ncat "%s" >&2\n' "$TMP/garbage" "$TMP/garbage"
                printf 'echo "fuse-overlayfs: stand-in refuses to mount" >&2\nexit 1\n'
        } >"$TMP/fakebin/fuse-overlayfs"
        chmod +x "$TMP/fakebin/fuse-overlayfs"
}

# assert_fuse_failed_cleanly: the last run failed with 125 in under 15 s,
# after running the stand-in, in escaped lines of bounded length naming
# fuse-overlayfs, and left no process, mount or run directory.
assert_fuse_failed_cleanly() {
        [ "$status" -eq 125 ] || { show_run; fail "expected exit 125"; }
        [ -e "$TMP/stand-in-ran" ] || fail "the fuse-overlayfs first on PATH was not the one run"
        [ "$SECONDS" -lt 15 ] || fail "took $SECONDS s"
        [[ "$stderr" == *"fuse-overlayfs"* ]] || fail "the error does not name fuse-overlayfs:" "$stderr"
        [ "${#stderr}" -le 1200 ] || fail "the error is ${#stderr} characters long"
        [[ "$stderr" != *[$'\001'-$'\011'$'\013'-$'\037'$'\177']* ]] || fail "control characters in the error"
        [ "$(cat /proc/self/mountinfo)" = "$MOUNTS_BEFORE" ] || fail "a mount was left"
        [ -z "$(find "$XDG_RUNTIME_DIR" -mindepth 2 2>/dev/null)" ] || fail "left in the run directory:" "$(find "$XDG_RUNTIME_DIR")"
}

@test "a fuse-overlayfs first on PATH that fails at once: exit 125 naming it, quickly, nothing left" {
        import_ok "$FIX/busybox-oci" --name bb:1
        fuse_stand_in exit
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --overlay fuse bb:1 -- /bin/true
        assert_fuse_failed_cleanly
}

@test "a fuse-overlayfs that prints 100 KB of garbage: exit 125, escaped and bounded, nothing left" {
        import_ok "$FIX/busybox-oci" --name bb:1
        fuse_stand_in garbage
        SECONDS=0
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --overlay fuse bb:1 -- /bin/true
        assert_fuse_failed_cleanly
}
