#!/usr/bin/env bats
# An image store on a file system that gives less than a local disk, as a
# home on NFS does on shared hosts: without user xattrs (bindfs --xattr-none),
# with permissions and owners checked by someone else than this kernel (any
# FUSE file system the user mounts; NFS, whose server does the same, cannot
# be mounted here), without working flock(2) (tests/nolockfs, whose locks
# fail with ENOLCK as NFS's do without a lock manager). nook either falls
# back to what works, said once per store, or fails with one line naming
# [Store] Path=. doc/store.md, "File systems", says which and why.

load images-helpers

setup_file() { images_setup_file oci whiteouts rootfs; }

setup() {
        images_setup
        # each test says which store, overlay and map it means
        unset NOOK_STORE NOOK_OVERLAY NOOK_MAP
        command -v bindfs >/dev/null || skip "host: these tests need bindfs (apt-get install bindfs)"
        command -v fusermount3 >/dev/null || skip "host: these tests need fusermount3 (apt-get install fuse3)"
        [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "host: /dev/fuse is not usable by $(id -un)"
        FUSE_MOUNTS=()
        UNDER="$BATS_TEST_TMPDIR/under"
        MNT="$BATS_TEST_TMPDIR/mnt"
        mkdir -p "$UNDER" "$MNT"
        S="$MNT/store"
}

teardown() {
        local m
        for m in "${FUSE_MOUNTS[@]}"; do
                fusermount3 -u "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || true
        done
        images_remove_tree "$UNDER"
        images_teardown
}

# fuse_mounted CMD...: mounts with CMD (its last argument the mount point),
# then takes the mount table as it is, for assert_host_mounts_unchanged.
fuse_mounted() {
        "$@" || fail "cannot mount: $*"
        FUSE_MOUNTS+=("${@: -1}")
        MOUNTS_BEFORE=$(cat /proc/self/mountinfo)
}

no_xattr_store() { fuse_mounted bindfs --no-allow-other --xattr-none "$UNDER" "$MNT"; }
fuse_store() { fuse_mounted bindfs --no-allow-other "$UNDER" "$MNT"; }
nolock_store() {
        [ -n "${NOLOCKFS:-}" ] && [ -x "$NOLOCKFS" ] ||
                skip "build: tests/nolockfs was not built (apt-get install libfuse3-dev, then configure and make again)"
        fuse_mounted "$NOLOCKFS" "$UNDER" "$MNT"
}

@test "a store without user xattrs: opaque directories keep their marker file, images run with fuse-overlayfs, said once" {
        no_xattr_store
        run --separate-stderr "$NOOK" image import --store "$S" --map single --name wo "$FIX/whiteouts-oci"
        assert_status 0
        [[ "$stderr" == *"keeps no user xattrs: its images run with fuse-overlayfs"*"[Store] Path="* ]] ||
                { show_run; fail "the fallback was not said"; }
        # a directory made opaque by the image hides what the layers below had
        run --separate-stderr "$NOOK" run -v --store "$S" --map single wo -- /bin/busybox ls -A /opq
        assert_status 0
        assert_output "new"
        [[ "$stderr" == *"image root: fuse-overlayfs"* ]] || { show_run; fail "not run with fuse-overlayfs"; }
        [[ "$stderr" != *"keeps no user xattrs"* ]] || { show_run; fail "said again at run"; }
        run --separate-stderr "$NOOK" image import --store "$S" --map single --name rt "$FIX/rootfs.tar"
        assert_status 0
        [ -z "$stderr" ] || { show_run; fail "said again at the second import"; }
        ls -A "$UNDER"/store/layers/*/opq | grep -qx '.wh..wh..opq' || fail "no marker file in the layer"
}

@test "kernel overlayfs on a store without user xattrs is refused in one line naming [Store] Path=, leaving nothing" {
        no_xattr_store
        "$NOOK" image import --store "$S" --map single --name wo "$FIX/whiteouts-oci" 2>/dev/null
        run --separate-stderr "$NOOK" run --store "$S" --map single --overlay kernel wo -- /bin/busybox true
        assert_nook_error "[Store] Path="
        [[ "${stderr_lines[0]}" == *"keeps no user xattrs"*"--overlay auto or fuse"* ]] || { show_run; fail "no reason or fix"; }
        assert_no_files_left
        assert_host_mounts_unchanged
}

@test "a persistent sandbox on a FUSE store keeps its writes with fuse-overlayfs; kernel overlayfs is refused there" {
        fuse_store
        "$NOOK" image import --store "$S" --map single --name rt "$FIX/rootfs.tar" 2>/dev/null
        run --separate-stderr "$NOOK" run -v --store "$S" --map single --name keep --persist rt -- /bin/sh -c 'echo kept >/f'
        assert_status 0
        [[ "$stderr" == *"image root: fuse-overlayfs"* ]] || { show_run; fail "not run with fuse-overlayfs"; }
        run --separate-stderr "$NOOK" run --store "$S" --map single --name keep --persist rt -- /bin/cat /f
        assert_answer kept
        # not persistent: the layers below a tmpfs are fine for the kernel
        run --separate-stderr "$NOOK" run -v --store "$S" --map single rt -- /bin/busybox true
        assert_status 0
        [[ "$stderr" == *"image root: kernel overlayfs"* ]] || { show_run; fail "kernel overlayfs not used"; }
        run --separate-stderr "$NOOK" run --store "$S" --map single --overlay kernel --name other --persist rt -- /bin/busybox true
        assert_nook_error "[Store] Path="
        [[ "${stderr_lines[0]}" == *"writable layer"* ]] || { show_run; fail "no reason"; }
        [ ! -e "$UNDER/store/containers/other" ] || fail "the refused sandbox left its directory"
        assert_no_files_left
        assert_host_mounts_unchanged
}

@test "importing with a subordinate range onto a FUSE store fails in one line naming --map single and [Store] Path=" {
        grep -q "^$(id -un):" /etc/subuid || skip "host: no /etc/subuid range for $(id -un)"
        fuse_store
        # the first import says what the store is, once; this one has root's files only
        "$NOOK" image import --store "$S" --name bb "$FIX/busybox-oci" 2>/dev/null || fail "busybox import failed"
        run --separate-stderr "$NOOK" image import --store "$S" --name rt "$FIX/rootfs.tar"
        assert_nook_error "[Store] Path="
        [[ "${stderr_lines[0]}" == *"subordinate ids"*"--map single"* ]] || { show_run; fail "no reason or fix"; }
        [ -z "$(ls -A "$UNDER/store/tmp")" ] || fail "left in tmp/: $(ls -A "$UNDER/store/tmp")"
        [ ! -e "$UNDER/store/images/rt:latest.json" ] || fail "a record was written"
        run --separate-stderr "$NOOK" image import --store "$S" --map single --name rt "$FIX/rootfs.tar"
        assert_status 0
        run --separate-stderr "$NOOK" run --store "$S" rt -- /bin/busybox true
        assert_status 0
}

@test "a store whose flock fails: nook run goes on; import, rm and --persist are refused naming [Store] Path=" {
        # the image comes in while the store is still on the local disk
        "$NOOK" image import --store "$UNDER/store" --map single --name rt "$FIX/rootfs.tar" >/dev/null
        nolock_store
        run --separate-stderr "$NOOK" run --store "$S" --map single rt -- /bin/busybox echo ran
        assert_status 0
        assert_output ran
        [[ "$stderr" == *"flock(2) fails"* ]] || { show_run; fail "the first use did not say it"; }
        run --separate-stderr "$NOOK" run --store "$S" --map single rt -- /bin/busybox echo ran
        assert_answer ran
        [ -z "$stderr" ] || { show_run; fail "said again"; }
        run --separate-stderr "$NOOK" image import --store "$S" --map single --name rt2 "$FIX/rootfs.tar"
        assert_nook_error "[Store] Path="
        [[ "${stderr_lines[0]}" == *"flock(2) does not work"* ]] || { show_run; fail "no reason"; }
        run --separate-stderr "$NOOK" image rm --store "$S" rt
        assert_nook_error "[Store] Path="
        [ -e "$UNDER/store/images/rt:latest.json" ] || fail "the image was removed"
        run --separate-stderr "$NOOK" run --store "$S" --map single --name p --persist rt -- /bin/busybox true
        assert_nook_error "[Store] Path="
        [ ! -e "$UNDER/store/containers/p" ] || fail "the refused sandbox left its directory"
        assert_no_files_left
        assert_host_mounts_unchanged
}

@test "nook doctor names the store's file system, what it lacks, and [Store] Path= as the fix; it leaves nothing there" {
        no_xattr_store
        mkdir "$S"
        run --separate-stderr env NOOK_STORE="$S" "$NOOK" doctor
        [[ "$output" == *"ok    image store: $S, "*" GB free there (from environment NOOK_STORE)"* ]] || { show_run; fail "the store is not named"; }
        [[ "$output" == *"warn  store file system: fuse"*"user xattrs fail"*"fuse-overlayfs"*"[Store] Path="* ]] ||
                { show_run; fail "no advice"; }
        [ -z "$(ls -A "$S")" ] || fail "doctor left something: $(ls -A "$S")"
        # nook info gives the same facts, without the advice
        run --separate-stderr env NOOK_STORE="$S" "$NOOK" info --json
        assert_status 0
        [ "$(jq -c .paths.store_filesystem <<<"$output")" = '{"type":"fuse","user_xattrs":false,"flock":true,"network_or_fuse":true}' ] ||
                { show_run; fail "nook info does not tell the store's file system"; }
        [ -z "$(ls -A "$S")" ] || fail "info left something: $(ls -A "$S")"
        # the store the configuration names, on the local disk
        mkdir -p "$BATS_TEST_TMPDIR/conf/nook"
        printf '[Store]\nPath=%s\n' "$BATS_TEST_TMPDIR/local/nook" >"$BATS_TEST_TMPDIR/conf/nook/nook.conf"
        run --separate-stderr env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/conf" "$NOOK" doctor
        [[ "$output" == *"configuration: "*"$BATS_TEST_TMPDIR/conf/nook/nook.conf (read)"* ]] ||
                { show_run; fail "the configuration file is not named"; }
        [[ "$output" == *"image store: $BATS_TEST_TMPDIR/local/nook, "*"(from $BATS_TEST_TMPDIR/conf/nook/nook.conf:2)"* ]] ||
                { show_run; fail "the configured store is not named with its origin"; }
        [[ "$output" == *"ok    store file system: "*"user xattrs and flock(2) work there"* ]] ||
                { show_run; fail "the local disk is not ok"; }
}
