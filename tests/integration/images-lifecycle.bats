#!/usr/bin/env bats
# What happens around an image sandbox: the fuse-overlayfs daemon's place,
# persistent sandboxes (kept, surviving SIGKILL, removed by nook rm),
# image rm refused while in use, prune, pull from a local registry, and
# the single-id note. Images come from tests/fixtures/make-images.

load images-helpers

setup_file() {
        images_setup_file oci
}

setup() {
        images_setup
        "$NOOK" image import "$FIX/busybox-oci" --name bb:1 >/dev/null || fail "cannot import the busybox image"
}

teardown() {
        local p
        for p in ${REGISTRY_PID:-}; do kill "$p" 2>/dev/null; done
        images_teardown
}

# bb_bg LOG MARKER [OPTION...]: a sandbox of bb:1 that waits (a busybox sh
# loop, bounded) in the background; NOOK_PID is nook's pid.
bb_bg() {
        local log=$1 marker=$2
        shift 2
        "$NOOK" run "$@" bb:1 -- /bin/busybox sh -c "i=0; while [ \$i -lt 300 ]; do /bin/busybox sleep 0.1; i=\$((i+1)); done; : $marker" \
                >"$log" 2>&1 </dev/null &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
        wait_until 50 sandbox_running "$NOOK_PID" || fail "the sandbox did not start:" "$(cat "$log")"
}

# sandbox_running PID: nook PID has its pid 1 and a command below it.
sandbox_running() { [ -n "$(pgrep -P "$(pgrep -P "$1" | head -n 1)" 2>/dev/null)" ]; }

@test "the fuse-overlayfs daemon is invisible inside the sandbox's pid namespace" {
        command -v fuse-overlayfs >/dev/null || skip "host: fuse-overlayfs is not installed"
        run --separate-stderr "$NOOK" run --overlay fuse bb:1 -- /bin/busybox sh -c 'cat /proc/[0-9]*/comm'
        assert_status 0
        assert_output_lacks "fuse-overlayfs"
        # pid 1 (nook's init) and the command are all there is
        [[ "$output" == *nook* ]] || fail "the listing does not show pid 1: $output"
}

@test "the fuse-overlayfs daemon is a child of nook, and dies when nook is SIGKILLed" {
        command -v fuse-overlayfs >/dev/null || skip "host: fuse-overlayfs is not installed"
        bb_bg "$BATS_TEST_TMPDIR/log" "$TEST_MARKER" --overlay fuse
        local fuse
        fuse=$(pgrep -P "$NOOK_PID" -x fuse-overlayfs) || fail "no fuse-overlayfs child of nook"
        kill -KILL "$NOOK_PID"
        wait_until 10 none_alive "$fuse" || fail "fuse-overlayfs $fuse outlived nook"
}

@test "a persistent sandbox keeps what it wrote for the next run with its name" {
        run --separate-stderr "$NOOK" run --name keep --persist bb:1 -- /bin/busybox sh -c 'echo kept > /data.txt'
        assert_status 0
        run --separate-stderr "$NOOK" run --name keep --persist bb:1 -- /bin/busybox cat /data.txt
        assert_answer kept
        # an ephemeral run of the same image does not see it
        run --separate-stderr "$NOOK" run bb:1 -- /bin/busybox cat /data.txt
        [ "$status" -ne 0 ] || fail "an ephemeral run saw the persistent sandbox's file"
}

@test "what a persistent sandbox wrote survives a SIGKILL of nook" {
        run --separate-stderr "$NOOK" run --name crash --persist bb:1 -- /bin/busybox sh -c 'echo before > /before.txt'
        assert_status 0
        "$NOOK" run --name crash --persist bb:1 -- /bin/busybox sh -c \
                "echo during > /during.txt; i=0; while [ \$i -lt 300 ]; do /bin/busybox sleep 0.1; i=\$((i+1)); done" \
                >"$BATS_TEST_TMPDIR/log" 2>&1 </dev/null &
        NOOK_PID=$!
        wait_until 50 test -e "$STORE/containers/crash/upper/during.txt" || fail "the sandbox did not write"
        kill -KILL "$NOOK_PID"
        wait "$NOOK_PID" 2>/dev/null || true
        run --separate-stderr "$NOOK" run --name crash --persist bb:1 -- /bin/busybox cat /before.txt /during.txt
        assert_status 0
        assert_output "before
during"
}

@test "a persistent sandbox runs once at a time" {
        bb_bg "$BATS_TEST_TMPDIR/log" "$TEST_MARKER" --name once --persist
        run --separate-stderr "$NOOK" run --name once --persist bb:1 -- /bin/busybox true
        assert_nook_error "already running"
}

@test "nook rm deletes a persistent sandbox, and refuses while it runs" {
        run --separate-stderr "$NOOK" run --name gone --persist bb:1 -- /bin/busybox sh -c 'echo x > /f'
        assert_status 0
        bb_bg "$BATS_TEST_TMPDIR/log" "$TEST_MARKER" --name gone --persist
        run --separate-stderr "$NOOK" rm gone
        assert_nook_error "running"
        kill "$NOOK_PID"
        wait "$NOOK_PID" 2>/dev/null || true
        run --separate-stderr "$NOOK" rm gone
        assert_status 0
        [ ! -e "$STORE/containers/gone" ] || fail "containers/gone is still there"
        run --separate-stderr "$NOOK" run --name gone --persist bb:1 -- /bin/busybox cat /f
        [ "$status" -ne 0 ] || fail "the deleted sandbox's file came back"
}

@test "--persist without --name is refused" {
        run --separate-stderr "$NOOK" run --persist bb:1 -- /bin/busybox true
        assert_nook_error "--name"
}

@test "image rm is refused while a sandbox runs the image, and works after" {
        bb_bg "$BATS_TEST_TMPDIR/log" "$TEST_MARKER"
        run --separate-stderr "$NOOK" image rm bb:1
        assert_nook_error "in use"
        "$NOOK" image inspect bb:1 >/dev/null || fail "the image is gone although rm was refused"
        kill "$NOOK_PID"
        wait "$NOOK_PID" 2>/dev/null || true
        run --separate-stderr "$NOOK" image rm bb:1
        assert_status 0
}

@test "prune removes the layers and blobs of removed images, and keeps the others'" {
        "$NOOK" image import "$FIX/config-oci" --name other:1 >/dev/null || fail "cannot import config-oci"
        local kept before
        kept=$(layer_dir bb:1 1)
        "$NOOK" image rm other:1 >/dev/null
        before=$(store_entries blobs/sha256 | wc -l)
        run --separate-stderr "$NOOK" image prune
        assert_status 0
        assert_output_has "removed"
        [ -d "$kept" ] || fail "prune removed a layer bb:1 uses"
        "$NOOK" run bb:1 -- /bin/busybox true || fail "bb:1 no longer runs after prune"
        [ "$(store_entries blobs/sha256 | wc -l)" -lt "$before" ] || fail "prune removed no blob"
        assert_blobs_match_names
}

@test "prune leaves alone the layers of a sandbox that is running" {
        bb_bg "$BATS_TEST_TMPDIR/log" "$TEST_MARKER"
        local layer
        layer=$(layer_dir bb:1 1)
        # the record goes (rm is refused while it runs: remove it by hand, as a
        # re-import under the name would replace it)
        rm -f "$STORE/images/bb:1.json"
        run --separate-stderr "$NOOK" image prune
        assert_status 0
        [ -d "$layer" ] || fail "prune removed the layer of a running sandbox"
}

@test "image pull fetches from a registry on 127.0.0.1 with skopeo, and the image runs" {
        command -v skopeo >/dev/null || skip "host: skopeo is not installed"
        command -v docker-registry >/dev/null || skip "host: docker-registry is not installed"
        local port cfg
        port=$((20000 + RANDOM % 20000))
        cfg="$BATS_TEST_TMPDIR/registry.yml"
        printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
                "$BATS_TEST_TMPDIR/registry" "$port" >"$cfg"
        docker-registry serve "$cfg" >"$BATS_TEST_TMPDIR/registry.log" 2>&1 &
        REGISTRY_PID=$!
        wait_until 50 registry_up "$port" || fail "the registry did not start:" "$(cat "$BATS_TEST_TMPDIR/registry.log")"
        skopeo copy --quiet --dest-tls-verify=false "oci:$FIX/busybox-oci:1.35" "docker://127.0.0.1:$port/test/bb:7" ||
                fail "skopeo could not push to the registry"
        run --separate-stderr "$NOOK" image pull --tls-verify=false "127.0.0.1:$port/test/bb:7"
        assert_status 0
        assert_answer "127.0.0.1:$port/test/bb:7"
        run --separate-stderr "$NOOK" run "127.0.0.1:$port/test/bb:7" -- /bin/busybox echo pulled
        assert_answer pulled
        assert_store_tmp_empty
}

registry_up() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null; }

@test "image pull without skopeo fails naming its package" {
        mkdir -p "$BATS_TEST_TMPDIR/emptybin"
        run --separate-stderr env PATH="$BATS_TEST_TMPDIR/emptybin" "$NOOK" image pull 127.0.0.1:1/none:1
        assert_nook_error "apt-get install skopeo"
        assert_store_tmp_empty
}

@test "without a subordinate range the squashed ownership is said once per store" {
        local data="$BATS_TEST_TMPDIR/single"
        mkdir -p "$data"
        run --separate-stderr env XDG_DATA_HOME="$data" "$NOOK" image import --map single "$FIX/busybox-oci" --name a:1
        assert_status 0
        # --map=single asks for it: nothing to say; auto without a range is
        # the case that speaks, once, which this host (with a range) cannot show
        [[ "$stderr" != *"squashed"* ]] || fail "--map=single was told about squashing: $stderr"
}

# ---- the overlay backend and a full file system ------------------------------

@test "--overlay auto prefers the kernel's overlayfs, and -v says which backend mounted the root" {
        run --separate-stderr "$NOOK" run -v --overlay auto bb:1 -- /bin/busybox true
        assert_status 0
        [[ "$stderr" != *"kernel overlayfs refused"* ]] || skip "host: the kernel refuses overlayfs in a user namespace"
        [[ "$stderr" == *"nook: image root: kernel overlayfs of 1 layer"* ]] || fail "auto did not take the kernel's overlayfs:" "$stderr"
        run --separate-stderr "$NOOK" run -v --overlay fuse bb:1 -- /bin/busybox true
        assert_status 0
        [[ "$stderr" == *"nook: image root: fuse-overlayfs of 1 layer"* ]] || fail "-v does not name fuse-overlayfs:" "$stderr"
}

# in_small_store OVERLAY: runs a persistent sandbox of busybox-oci with
# OVERLAY, its store on a 20 MiB tmpfs (nearly full by nook's measure). The
# tmpfs is mounted, as the root of a new root with the host's directories
# bound in, in a user and mount namespace of util-linux's unshare where the
# test user is root: nook trusts no directory on the store's path that
# another user owns, and there the host's root is nobody's. Ids are
# squashed (--map single): nested namespaces have no subordinate range.
in_small_store() {
        local r=$BATS_TEST_TMPDIR/small
        mkdir -p "$r"
        run --separate-stderr unshare --user --map-root-user --mount --propagation private bash -c '
                r=$1 PATH=$PATH:/usr/sbin:/sbin
                mount -t tmpfs -o size=20m,mode=755 tmpfs "$r" || exit 99
                for d in usr bin sbin lib lib64 etc dev proc sys tmp; do
                        [ -e "/$d" ] || continue
                        if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$r/$d"; continue; fi
                        mkdir "$r/$d" && mount --rbind "/$d" "$r/$d" || exit 99
                done
                mkdir "$r/old" "$r/store" && mkdir -m 700 "$r/run" || exit 99
                cd "$r" && pivot_root . old && umount -l /old || exit 99
                export XDG_DATA_HOME=/store XDG_RUNTIME_DIR=/run
                "$NOOK" image import --map single "$FIX/busybox-oci" >/dev/null || exit 98
                exec "$NOOK" run --map single --overlay "$2" --persist --name small busybox-oci:1.35 -- \
                        /bin/busybox sh -c "echo written >/x && cat /x"
        ' small "$r" "$1"
        [ "$status" -ne 99 ] || skip "host: cannot make a small root in a user namespace ($stderr)"
        [ "$status" -ne 98 ] || fail "cannot import into the small store: $stderr"
}

@test "a persistent sandbox with fuse-overlayfs on a nearly full file system is warned about, once" {
        in_small_store fuse
        assert_status 0
        [ "$output" = written ] || fail "unexpected output: $output"
        [ "$(grep -c '^nook: warning: .* MiB free: with fuse-overlayfs, writes beyond that are lost' <<<"$stderr")" -eq 1 ] ||
                fail "expected one warning line:" "$stderr"
        [ "${#stderr_lines[@]}" -eq 1 ] || fail "expected nothing but the warning:" "$stderr"
}

@test "the kernel's overlayfs on a nearly full file system gets no warning: it reports a full disk itself" {
        in_small_store kernel
        assert_answer written
        [ -z "$stderr" ] || fail "unexpected messages:" "$stderr"
}
