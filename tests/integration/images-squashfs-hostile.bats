#!/usr/bin/env bats
# Squashfs files that cost their reader what their headers say: nook image
# import and nook-squashfs read them in bounded memory and time. Each test
# failed before its fix (an adversarial review, Dec 2026): hard links to a
# big sparse file took an import 24 GB, a fragment table of 2 GiB made the
# daemon fill it, every open of a big directory copied its listing and
# every lookup in it read it from the start, and the daemon kept the
# user's terminal and IPC namespace. The images are made by
# mksquashfs and tar2sqfs; the fragment and index bombs and the shared
# block by tests/fixtures.

load images-helpers

setup_file() {
        export IMAGES_SKIP=
        local tool
        for tool in mksquashfs tar2sqfs python3; do
                command -v "$tool" >/dev/null ||
                        { export IMAGES_SKIP="host: needs $tool (apt-get install squashfs-tools squashfs-tools-ng)"; return 0; }
        done
        [ -x /bin/busybox ] || { export IMAGES_SKIP="host: needs a static busybox (apt-get install busybox-static)"; return 0; }
        # a busybox root, the shell of every image here
        local root="$BATS_FILE_TMPDIR/root"
        mkdir -p "$root/bin" "$root/tmp"
        cp /bin/busybox "$root/bin/"
        local applet
        for applet in sh ls cat sleep wc grep; do ln -s busybox "$root/bin/$applet"; done
        export ROOT="$root"
}

setup() {
        images_setup
}

teardown() {
        "$NOOK" stop -t 1 "sqh-${TEST_MARKER//./-}" >/dev/null 2>&1 || true
        images_teardown
}

# squash DIR OUT [OPTION...]: mksquashfs, quiet, every file root's
squash() {
        local dir=$1 out=$2
        shift 2
        mksquashfs "$dir" "$out" -all-root -noappend -quiet -no-progress "$@" >/dev/null 2>&1 || fail "mksquashfs failed"
}

# maxrss_kb CMD...: runs CMD; prints its status and the largest RSS (kB)
# of it and its reaped children
maxrss_kb() {
        py 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# daemon_of NAME: the pid of sandbox NAME's nook-squashfs
daemon_of() {
        local nook_pid
        nook_pid=$("$NOOK" ps --json | py 'import json, sys; print([s["id"] for s in json.load(sys.stdin) if s["name"] == sys.argv[1]][0])' "$1")
        pgrep -P "$nook_pid" -x nook-squashfs
}

@test "hard links to a big sparse file: each inode is read once, at import and in the sandbox" {
        # 3000 names of one 1 GiB file with 4 KiB blocks: a 1 MB block list,
        # which a whole-tree read copied for every name (3 GB)
        cp -a "$ROOT" "$TMP/hl"
        mkdir "$TMP/hl/d"
        truncate -s 1G "$TMP/hl/d/sparse"
        py 'import os, sys
for i in range(1, 3001):
    os.link(sys.argv[1] + "/sparse", sys.argv[1] + "/l%d" % i)' "$TMP/hl/d"
        squash "$TMP/hl" "$TMP/hl.sqsh" -b 4096
        local start=$SECONDS
        run maxrss_kb "$NOOK" image import "$TMP/hl.sqsh" --name hl:1
        assert_status 0
        [ "${output%% *}" = 0 ] || fail "the import failed: $output"
        [ "${output##* }" -lt 300000 ] || fail "the import took ${output##* } kB"
        in_image hl:1 sh -c 'ls /d | wc -l; ls -l /d/l2999'
        assert_status 0
        [ "${lines[0]}" = 3001 ] || fail "$output"
        [[ "${lines[1]}" == *" 3001 "*" 1073741824 "* ]] || fail "$output"
        [ $((SECONDS - start)) -lt 60 ] || fail "it took $((SECONDS - start)) s"
}

@test "a fragment table that says 2 GiB is refused at import at once, and a sandbox of it does not start" {
        # both bounds are address-space limits, which a sanitizer's shadow
        # memory (terabytes) rules out there
        [ -z "${ASAN_OPTIONS:-}" ] || skip "the sanitizers' build sets no memory limit"
        tar2sqfs -q -c gzip "$TMP/base.sqsh" < <(tar -C "$ROOT" -cf - .) >/dev/null 2>&1 || fail "tar2sqfs failed"
        python3 "$NOOK_SRCDIR/tests/fixtures/squashfs-fragment-bomb" "$TMP/base.sqsh" "$TMP/bomb.sqsh" $((2 << 30)) ||
                fail "cannot make the bomb"
        [ "$(stat -c %s "$TMP/bomb.sqsh")" -lt $((8 << 20)) ] || fail "the bomb is not small"
        run maxrss_kb "$NOOK" image import "$TMP/bomb.sqsh" --name bomb:1
        [ "${output%% *}" = 125 ] || fail "the import did not fail as it should: $output"
        [ "${output##* }" -lt 300000 ] || fail "refusing it took ${output##* } kB"
        run --separate-stderr "$NOOK" image import "$TMP/bomb.sqsh" --name bomb:1
        [[ "$stderr" == *bomb.sqsh*"larger than nook reads, or damaged"* ]] || fail "$stderr"
        assert_store_tmp_empty
        # what a shared store's file can become after its import: the
        # store's blob replaced by the bomb
        import_ok "$TMP/base.sqsh" --name base:1
        local digest blob
        digest=$("$NOOK" image inspect base:1 | py 'import json, sys; print(json.load(sys.stdin)["squashfs"]["digest"])')
        blob="$STORE/blobs/sha256/${digest#sha256:}"
        chmod u+w "$blob" 2>/dev/null || true
        cp "$TMP/bomb.sqsh" "$blob"
        local start=$SECONDS
        run --separate-stderr timeout 30 "$NOOK" run base:1 -- true
        [ "$status" -eq 125 ] || fail "status $status: $stderr"
        [[ "$stderr" == *"nook-squashfs ended before it served its mount"* ]] || fail "$stderr"
        [ $((SECONDS - start)) -lt 4 ] || fail "it took $((SECONDS - start)) s (the daemon filled the table)"
        run pgrep -u "$(id -u)" -x nook-squashfs
        [ "$status" -ne 0 ] || fail "a nook-squashfs is left: $output"
}

@test "a directory opened 40 times at once is listed once in nook-squashfs, and looked up through its index" {
        # 20000 names of 100 bytes: about 2.5 MB a listing
        cp -a "$ROOT" "$TMP/wide"
        mkdir "$TMP/wide/w"
        touch "$TMP/wide/w/f"
        py 'import os, sys
for i in range(20000):
    os.link(sys.argv[1] + "/f", sys.argv[1] + "/" + "n" * 95 + str(i))' "$TMP/wide/w"
        squash "$TMP/wide" "$TMP/wide.sqsh"
        import_ok "$TMP/wide.sqsh" --name wide:1
        local sb="sqh-${TEST_MARKER//./-}" daemon rss i
        "$NOOK" run -d --name "$sb" wide:1 -- sh -c 'i=0; while [ $i -lt 40 ]; do sleep 60 </w & i=$((i + 1)); done; wait' >/dev/null ||
                fail "cannot start"
        daemon=$(daemon_of "$sb") || fail "no nook-squashfs"
        for i in $(seq 50); do
                [ "$("$NOOK" enter "$sb" -- sh -c 'ls /proc/*/fd/0 -l 2>/dev/null | grep -c " /w$"')" -ge 40 ] && break
                sleep 0.2
        done
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
        [ "$rss" -lt 40000 ] || fail "nook-squashfs holds $rss kB for one directory opened 40 times"
        # a lookup starts where the directory's index says, not at its
        # first entry: ls -l of its 20001 names is not quadratic (it took
        # 52 s on a loaded 2-core VM, 3 s with the index)
        local start=$SECONDS
        run timeout 120 "$NOOK" enter "$sb" -- sh -c 'ls -l /w | wc -l'
        assert_status 0
        [ "$output" -eq 20002 ] || fail "ls -l /w: $output"
        [ $((SECONDS - start)) -lt 40 ] || fail "ls -l of 20001 names took $((SECONDS - start)) s"
}

@test "nook-squashfs has 1 GiB of address space, an IPC namespace and a session of its own, one socket, and no terminal of the user's" {
        tar2sqfs -q -c gzip "$TMP/base.sqsh" < <(tar -C "$ROOT" -cf - .) >/dev/null 2>&1 || fail "tar2sqfs failed"
        import_ok "$TMP/base.sqsh" --name base:1
        local sb="sqh-${TEST_MARKER//./-}" daemon
        "$NOOK" run -d --name "$sb" base:1 -- sleep 60 >/dev/null || fail "cannot start"
        daemon=$(daemon_of "$sb") || fail "no nook-squashfs"
        [ "$(readlink "/proc/$daemon/ns/ipc")" != "$(readlink /proc/self/ns/ipc)" ] || fail "the user's IPC namespace"
        [ "$(readlink "/proc/$daemon/fd/0")" = /dev/null ] && [ "$(readlink "/proc/$daemon/fd/1")" = /dev/null ] ||
                fail "fds 0 and 1: $(ls -l "/proc/$daemon/fd/")"
        [ "$(ps -o sid= -p "$daemon")" -eq "$daemon" ] || fail "not the leader of a session of its own"
        [ "$(ps -o tty= -p "$daemon" | tr -d ' ')" = "?" ] || fail "it has a terminal"
        # its end of the socket to nook, once (it was inherited twice)
        [ "$(find "/proc/$daemon/fd" -lname 'socket:*' | wc -l)" -eq 1 ] || fail "sockets: $(ls -l "/proc/$daemon/fd/")"
        [ -z "${ASAN_OPTIONS:-}" ] || skip "the sanitizers' build sets no memory limit on nook-squashfs"
        grep -E '^Max address space +1073741824 +1073741824 ' "/proc/$daemon/limits" ||
                fail "$(grep 'address space' "/proc/$daemon/limits")"
}

@test "a directory index of 65535 entries that never ends costs a lookup one pass of it, not one a name" {
        # every entry named "\x01": never past a looked-up name, so the
        # whole index is read for every lookup; read entry by entry from its
        # start, as libsquashfs's accessor does, that was 65535^2 steps a
        # lookup (about 4 s each)
        python3 "$NOOK_SRCDIR/tests/fixtures/squashfs-index-bomb" "$TMP/idx.sqsh" 65535 || fail "cannot make the image"
        import_ok "$TMP/idx.sqsh" --name idx:1
        local start=$SECONDS
        in_image idx:1 sh -c 'cat /big/f; for n in 1 2 3 4 5 6; do stat /big/nope$n 2>/dev/null; done; echo done'
        assert_status 0
        [ "$output" = "$(printf 'F\ndone')" ] || fail "$output"
        [ $((SECONDS - start)) -lt 8 ] || fail "7 lookups took $((SECONDS - start)) s"
}

@test "two files that claim one block, compressed for one and stored for the other, each read the same whatever was read first" {
        # /a is a text in a deflated block; /b says the same block is
        # stored as is (50 bytes of deflate). nook-squashfs's block cache
        # was keyed by the block's place alone: /b read first left its
        # stored bytes there, and /a then read as EIO
        python3 "$NOOK_SRCDIR/tests/fixtures/squashfs-shared-block" "$TMP/shared.sqsh" || fail "cannot make the image"
        import_ok "$TMP/shared.sqsh" --name shared:1
        local want_a want_b
        want_a=$(printf 'the text of a\n%.0s' $(seq 400) | md5sum)
        [ "$(unsquashfs -cat "$TMP/shared.sqsh" b 2>/dev/null | wc -c)" -eq 50 ] || fail "the fixture's /b is not 50 bytes"
        want_b=$(unsquashfs -cat "$TMP/shared.sqsh" b 2>/dev/null | md5sum)
        in_image shared:1 sh -c 'md5sum </b; md5sum </a; md5sum </b'
        assert_status 0
        [ "$output" = "$(printf '%s\n%s\n%s' "$want_b" "$want_a" "$want_b")" ] || fail "/b, then /a: $output"
        in_image shared:1 sh -c 'md5sum </a; md5sum </b; md5sum </a'
        assert_status 0
        [ "$output" = "$(printf '%s\n%s\n%s' "$want_a" "$want_b" "$want_a")" ] || fail "/a, then /b: $output"
}
