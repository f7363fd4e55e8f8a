#!/usr/bin/env bats
# Hostile and broken input to nook image import: one hand-made tarball per
# rule of layer unpacking, each refused by nook itself (125, one line naming
# the entry) with nothing written outside the store, no new layer and no
# image record; device nodes skipped; damaged archives failing fast; blobs
# and diff_ids that do not match their digests refused.

load images-helpers

setup_file() { images_setup_file hostile; }

setup() {
        images_setup
        # What a hardlink to ../../../outside-target would reach from a layer:
        # a file of the user's next to the store.
        echo original >"$CANARY/outside-target"
        "$NOOK" image ls >/dev/null # creates the store
}

teardown() { images_teardown; }

# Nothing appeared next to the store or in the fixtures' canary directory,
# and the file next to the store was not linked into a layer.
assert_nothing_escaped() {
        local next
        next=$(ls -A "$CANARY" | tr '\n' ' ')
        [ "$next" = "nook outside-target " ] || fail "written next to the store: $next"
        [ -z "$(ls -A "$FIX/canary")" ] || fail "written outside the store:" "$(ls -A "$FIX/canary")"
        [ "$(stat -c %h "$CANARY/outside-target")" -eq 1 ] || fail "the file next to the store was hardlinked"
        [ "$(cat "$CANARY/outside-target")" = original ] || fail "the file next to the store was changed"
}

# refused FILE WORD...: importing FILE fails by nook itself, within 20 s,
# naming one of WORDs, and leaves no trace in the store: no layer, no
# record, no blob of its own, nothing in tmp/.
refused() {
        local file=$1 before blobs
        shift
        before=$(store_entries layers)
        blobs=$(store_entries blobs/sha256)
        run --separate-stderr timeout 20 "$NOOK" image import "$file"
        assert_nook_error "$@"
        assert_nothing_escaped
        [ "$(store_entries layers)" = "$before" ] || fail "a layer appeared:" "$(store_entries layers)"
        [ -z "$(image_names)" ] || fail "an image record appeared: $(image_names)"
        [ "$(store_entries blobs/sha256)" = "$blobs" ] || fail "a blob was kept:" "$(store_entries blobs/sha256)"
        assert_store_tmp_empty
}

# fixture_json LAYOUT WHAT: reads the first manifest of an OCI layout:
# "layer" (the first layer's digest) or "diff_id" (the config's first).
fixture_json() {
        py '
import json, os, sys
l, what = sys.argv[1], sys.argv[2]
blob = lambda d: json.load(open(os.path.join(l, "blobs", "sha256", d.split(":", 1)[1])))
m = blob(json.load(open(os.path.join(l, "index.json")))["manifests"][0]["digest"])
print(m["layers"][0]["digest"] if what == "layer" else blob(m["config"]["digest"])["rootfs"]["diff_ids"][0])
' "$1" "$2"
}

# ---- one tarball per rule ------------------------------------------------------

@test "an absolute path is refused" {
        refused "$FIX/hostile/absolute.tar" "$FIX/canary/absolute-written"
}

@test "a '..' that climbs out of the layer is refused" {
        refused "$FIX/hostile/dotdot.tar" "ok/../../../../dotdot-written"
}

@test "a file written through a symlink to / is refused" {
        refused "$FIX/hostile/symlink-through.tar" "dir/link/"
}

@test "a hardlink to a file outside the layer is refused" {
        refused "$FIX/hostile/hardlink-out.tar" "ok/hard"
}

@test "'.' as a regular file is refused" {
        refused "$FIX/hostile/dot-file.tar" "'.'"
}

@test "a forged trusted.overlay.* xattr is refused" {
        refused "$FIX/hostile/forged-trusted-overlay.tar" "trusted.overlay.opaque"
        [[ "${stderr_lines[0]}" == *"ok/dir"* ]] || fail "the error does not name the entry"
}

@test "a forged user.overlay.* xattr is refused" {
        refused "$FIX/hostile/forged-user-overlay.tar" "user.overlay.redirect"
        [[ "${stderr_lines[0]}" == *"ok/redirected"* ]] || fail "the error does not name the entry"
}

@test "a forged user.fuseoverlayfs.* xattr is refused" {
        refused "$FIX/hostile/forged-fuseoverlayfs.tar" "user.fuseoverlayfs.x"
        [[ "${stderr_lines[0]}" == *"ok/fuse"* ]] || fail "the error does not name the entry"
}

@test "an entry that appears twice is refused" {
        refused "$FIX/hostile/duplicate.tar" "ok/twice"
}

@test "a '..' in an OCI archive is refused before any of it is read" {
        refused "$FIX/hostile/dotdot-oci-archive.tar" "archive-dotdot-written"
}

@test "a hostile layer in a well-formed OCI image is refused, and only good layers are kept" {
        local base
        base=$(fixture_json "$FIX/busybox-oci" diff_id)
        run --separate-stderr timeout 20 "$NOOK" image import "$FIX/hostile/dotdot-layer-oci"
        assert_nook_error "dotdot-written"
        assert_nothing_escaped
        [ -z "$(image_names)" ] || fail "an image record appeared: $(image_names)"
        local l
        for l in $(store_entries layers); do
                [ "sha256:$l" = "$base" ] || fail "layer $l was kept"
        done
        assert_store_tmp_empty
}

@test "device nodes are skipped, not refused: the rest of the tarball imports" {
        run --separate-stderr timeout 20 "$NOOK" image import --name devices "$FIX/hostile/device.tar"
        assert_answer devices:latest
        local l
        l=$(layer_dir devices 1)
        [ -f "$l/after-devices" ] || fail "the entry after the devices is missing"
        [ ! -e "$l/dev/null-copy" ] && [ ! -L "$l/dev/null-copy" ] || fail "the character device was created"
        [ ! -e "$l/dev/disk-copy" ] && [ ! -L "$l/dev/disk-copy" ] || fail "the block device was created"
        in_image devices /bin/sh -c 'cat /after-devices; test -e /dev/disk-copy && echo disk-present; true'
        assert_answer imported
        assert_nothing_escaped
}

@test "the store still imports good images after refusing hostile ones" {
        refused "$FIX/hostile/dotdot.tar" "dotdot-written"
        refused "$FIX/hostile/symlink-through.tar" "dir/link/"
        import_ok "$FIX/busybox-oci"
        in_image busybox-oci:1.35 /bin/busybox echo ok
        assert_answer ok
        assert_store_tmp_empty
}

# ---- damaged input -----------------------------------------------------------

@test "a truncated gzip fails quickly, naming the file" {
        refused "$FIX/hostile/truncated.tar.gz" "truncated.tar.gz"
}

@test "a truncated gzip on standard input fails quickly" {
        run --separate-stderr timeout 20 "$NOOK" image import - <"$FIX/hostile/truncated.tar.gz"
        assert_nook_error
        [ -z "$(image_names)" ] || fail "an image record appeared: $(image_names)"
        assert_store_tmp_empty
}

@test "random bytes fail quickly, naming the file" {
        refused "$FIX/hostile/garbage.bin" "garbage.bin"
}

@test "empty standard input fails" {
        run --separate-stderr timeout 20 "$NOOK" image import - </dev/null
        assert_nook_error
        assert_store_tmp_empty
}

@test "a path that does not exist fails naming it" {
        run --separate-stderr "$NOOK" image import "$BATS_TEST_TMPDIR/no-such-image.tar"
        assert_nook_error "no-such-image.tar"
}

# ---- digests -----------------------------------------------------------------

@test "a blob whose content does not match its digest is refused and not kept" {
        local layer
        layer=$(fixture_json "$FIX/hostile/bad-blob-digest-oci" layer)
        refused "$FIX/hostile/bad-blob-digest-oci" "$layer"
        [ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ] || fail "the damaged blob was stored"
        assert_blobs_match_names
}

@test "a layer whose content does not match the config's diff_id is refused" {
        local layer
        layer=$(fixture_json "$FIX/hostile/bad-diff-ids-oci" layer)
        refused "$FIX/hostile/bad-diff-ids-oci" "$layer"
}

@test "a refused import from standard input never names its spool file" {
        run --separate-stderr timeout 20 "$NOOK" image import - <"$FIX/hostile/absolute.tar"
        assert_nook_error "absolute"
        [[ "$stderr" != *"/tmp/stdin-"* ]] || fail "the spool file is named: $stderr"
        assert_store_tmp_empty
}

@test "garbage on standard input is named as standard input" {
        run --separate-stderr timeout 20 "$NOOK" image import - <"$FIX/hostile/garbage.bin"
        assert_nook_error "standard input"
        assert_store_tmp_empty
}

# ---- too many layers ------------------------------------------------------------

@test "an image of more layers than overlayfs stacks (500) is refused at import, before any is unpacked" {
        derive_oci "$BATS_TEST_TMPDIR/l501" --layers 500
        refused "$BATS_TEST_TMPDIR/l501" "501 layers" "500"
        [ -z "$(store_entries layers)" ] || fail "a layer was unpacked:" "$(store_entries layers)"
}

@test "an image of 60 layers, more than one fsconfig value can list, imports and runs" {
        derive_oci "$BATS_TEST_TMPDIR/l60" --layers 59
        run --separate-stderr timeout 60 "$NOOK" image import --name l60 "$BATS_TEST_TMPDIR/l60"
        assert_answer l60:latest
        # the kernel's overlayfs itself (fsconfig's "lowerdir+"), unless fuse is under test
        run --separate-stderr "$NOOK" run --overlay "${NOOK_TEST_OVERLAY:-kernel}" l60 -- /bin/busybox cat /layers/59 /layers/1
        assert_answer "$(printf '59\n1')"
}

# with_layers NAME N: adds N layer directories to image NAME's record, made
# by hand as doc/store.md lays them out (layers/HEX, named by a made-up
# diff_id), layer I holding /layers/I: an image of many layers without
# unpacking them one by one.
with_layers() {
        py '
import hashlib, json, os, sys
store, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rec_path = os.path.join(store, "images", name + ".json")
rec = json.load(open(rec_path))
for i in range(1, n + 1):
    hexd = hashlib.sha256(b"made-up layer %d" % i).hexdigest()
    os.makedirs(os.path.join(store, "layers", hexd, "layers"))
    with open(os.path.join(store, "layers", hexd, "layers", str(i)), "w") as f:
        f.write("%d\n" % i)
    rec["layers"].append({"digest": "sha256:" + hexd, "diff_id": "sha256:" + hexd})
json.dump(rec, open(rec_path, "w"))
' "$STORE" "$1" "$2"
}

@test "an image of 500 layers, the most overlayfs stacks, runs and sees its top layer" {
        import_ok "$FIX/busybox-oci" --name l500
        with_layers l500:latest 499
        run --separate-stderr timeout 30 "$NOOK" run --overlay "${NOOK_TEST_OVERLAY:-kernel}" l500 -- /bin/busybox cat /layers/499 /layers/1
        assert_answer "$(printf '499\n1')"
}

@test "a store record of 700 layers is refused at run, whichever overlay, and nook does not crash" {
        import_ok "$FIX/busybox-oci" --name many
        with_layers many:latest 699
        local ov
        for ov in fuse kernel auto; do
                run --separate-stderr timeout 20 "$NOOK" run --overlay "$ov" many -- /bin/busybox true
                assert_nook_error "700 layers" "500"
        done
}

# ---- ids in the image's /etc/passwd and /etc/group ----------------------------

# An /etc/passwd and /etc/group whose ids are not ids: strtoul would read
# "-1" as 4294967295, which setresuid takes for "no change" (root).
PASSWD='root:x:0:0:root:/root:/bin/sh
neg:x:-1:-1::/:/bin/sh
max:x:4294967295:0::/:/bin/sh
over:x:99999999999:0::/:/bin/sh
text:x:abc:0::/:/bin/sh
empty:x::0::/:/bin/sh
neggid:x:1000:-1::/:/bin/sh
ok:x:1000:1000::/:/bin/sh
'
GROUP='root:x:0:
neg:x:-1:
max:x:4294967295:
text:x:abc:
empty:x::
ok:x:1000:
'

# bad_ids_image USER: imports an image of those files whose User is USER.
bad_ids_image() {
        derive_oci "$BATS_TEST_TMPDIR/ids" --file etc/passwd "$PASSWD" --file etc/group "$GROUP" --user "$1"
        import_ok "$BATS_TEST_TMPDIR/ids" --name ids
}

@test "a user whose uid in the image's /etc/passwd is not an id is refused, never run as root" {
        local u
        for u in neg max over text empty; do
                rm -rf "$BATS_TEST_TMPDIR/ids"
                bad_ids_image "$u"
                run --separate-stderr timeout 20 "$NOOK" run ids -- /bin/busybox id -u
                assert_nook_error "'$u'"
                [[ "${stderr_lines[0]}" == *"/etc/passwd"* ]] || fail "the error does not name /etc/passwd"
        done
}

@test "a user whose group id in the image's /etc/passwd is not an id is refused" {
        bad_ids_image neggid
        run --separate-stderr timeout 20 "$NOOK" run ids -- /bin/busybox id -g
        assert_nook_error "'neggid'"
        # the same entry found by --uid
        run --separate-stderr timeout 20 "$NOOK" run --uid 1000 ids -- /bin/busybox id -g
        assert_nook_error "'neggid'"
}

@test "a group whose gid in the image's /etc/group is not an id is refused" {
        local g
        for g in neg max text empty; do
                rm -rf "$BATS_TEST_TMPDIR/ids"
                bad_ids_image "ok:$g"
                run --separate-stderr timeout 20 "$NOOK" run ids -- /bin/busybox id -g
                assert_nook_error "'$g'"
                [[ "${stderr_lines[0]}" == *"/etc/group"* ]] || fail "the error does not name /etc/group"
        done
}

@test "good ids next to bad ones still resolve" {
        bad_ids_image ok:ok
        run --separate-stderr timeout 20 "$NOOK" run ids -- /bin/busybox id -u
        assert_answer 1000
        run --separate-stderr timeout 20 "$NOOK" run ids -- /bin/busybox id -g
        assert_answer 1000
}

# ---- FIFOs where files belong -------------------------------------------------

@test "a FIFO as index.json of an OCI archive is refused, not waited on" {
        py '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    data = b"{\"imageLayoutVersion\": \"1.0.0\"}"
    ti = tarfile.TarInfo("oci-layout"); ti.size = len(data); ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("index.json"); ti.type = tarfile.FIFOTYPE; ti.mode = 0o644
    t.addfile(ti)
' "$BATS_TEST_TMPDIR/fifo-index.tar"
        refused "$BATS_TEST_TMPDIR/fifo-index.tar" "index.json"
        [[ "${stderr_lines[0]}" == *"not a regular file"* ]] || fail "the error does not say what is wrong"
}

@test "a FIFO as a blob of an OCI layout is refused, not waited on, and the store is not left locked" {
        local l=$BATS_TEST_TMPDIR/fifo-blob layer
        cp -r "$FIX/busybox-oci" "$l"
        chmod -R u+w "$l"
        layer=$(fixture_json "$l" layer)
        rm "$l/blobs/sha256/${layer#sha256:}"
        mkfifo "$l/blobs/sha256/${layer#sha256:}"
        refused "$l" "$layer"
        # the store lock was let go: the next import does not wait
        run --separate-stderr timeout 20 "$NOOK" image import "$FIX/busybox-oci"
        assert_answer busybox-oci:1.35
}

@test "a FIFO as the image's /etc/passwd is refused at run, not waited on" {
        derive_oci "$BATS_TEST_TMPDIR/fifo-passwd" --fifo etc/passwd --user app
        import_ok "$BATS_TEST_TMPDIR/fifo-passwd" --name fifo-passwd
        run --separate-stderr timeout 20 "$NOOK" run fifo-passwd -- /bin/busybox true
        assert_nook_error "/etc/passwd"
        [[ "${stderr_lines[0]}" == *"not a regular file"* ]] || fail "the error does not say what is wrong"
}

# ---- deep trees ---------------------------------------------------------------

# The fds nook may use, made the common default whatever the host's is: a
# walk that kept one fd a level would run out at 1024 levels.
nook_fds_1024() { run --separate-stderr bash -c 'ulimit -n 1024 && exec "$@"' nook "$NOOK" "$@"; }

@test "a layer of 1500 nested directories imports, runs, and prune removes it" {
        derive_oci "$BATS_TEST_TMPDIR/deep" --deep-dirs 1500
        import_ok "$BATS_TEST_TMPDIR/deep" --name deep
        local layer
        layer=$(layer_dir deep 2)
        in_image deep /bin/busybox sh -c 'cd /d && for i in $(seq 1499); do cd d; done && cat bottom'
        assert_answer bottom
        run --separate-stderr "$NOOK" image rm deep
        assert_status 0
        nook_fds_1024 image prune
        assert_status 0
        [ -z "$stderr" ] || fail "prune complained: $stderr"
        [ ! -e "$layer" ] || fail "prune left the deep layer"
}

@test "an entry 2000 directories deep whose parents the tarball omits imports (made one level at a time)" {
        derive_oci "$BATS_TEST_TMPDIR/deepfile" --deep-file 2000
        run --separate-stderr timeout 30 "$NOOK" image import --name deepfile "$BATS_TEST_TMPDIR/deepfile"
        assert_answer deepfile:latest
        local layer
        layer=$(layer_dir deepfile 2)
        [ "$(find "$layer" -name bottom -type f | wc -l)" -eq 1 ] || fail "the deep file is not in the layer"
        run --separate-stderr "$NOOK" image rm deepfile
        nook_fds_1024 image prune
        assert_status 0
        [ ! -e "$layer" ] || fail "prune left the deep layer"
}

@test "nook rm removes a persistent sandbox that made 1100 nested directories" {
        import_ok "$FIX/busybox-oci"
        run --separate-stderr "$NOOK" run --name deep --persist busybox-oci:1.35 -- /bin/busybox sh -c \
                'cd /tmp && for i in $(seq 1100); do mkdir d && cd d || exit 1; done && echo made'
        assert_answer made
        nook_fds_1024 rm deep
        assert_answer deep
        [ ! -e "$STORE/containers/deep" ] || fail "nook rm left the sandbox's directory"
}

# ---- damage in the store --------------------------------------------------------

@test "a blob cut short in the store is not taken as present: the next import brings it again" {
        local layer
        layer=$(fixture_json "$FIX/busybox-oci" layer)
        head -c 1000 "$FIX/busybox-oci/blobs/sha256/${layer#sha256:}" >"$STORE/blobs/sha256/${layer#sha256:}"
        import_ok "$FIX/busybox-oci"
        in_image busybox-oci:1.35 /bin/busybox echo ok
        assert_answer ok
        assert_blobs_match_names
}

@test "image verify finds nothing wrong in a sound store" {
        import_ok "$FIX/busybox-oci"
        run --separate-stderr "$NOOK" image verify
        assert_status 0
        [ -z "$stderr" ] || fail "verify complained: $stderr"
        [[ "$output" == *" 0 problems" ]] || fail "unexpected summary: $output"
}

@test "image verify names a damaged blob and a missing layer, and exits 1" {
        import_ok "$FIX/busybox-oci"
        local config
        config=$("$NOOK" image inspect busybox-oci:1.35 | py 'import json, sys; print(json.load(sys.stdin)["config_digest"])')
        truncate -s 10 "$STORE/blobs/sha256/${config#sha256:}"
        run --separate-stderr "$NOOK" image verify
        assert_status 1
        [[ "$stderr" == *"blob $config is damaged"* ]] || fail "the damaged blob is not named: $stderr"
        [[ "$output" == *" 1 problem" ]] || fail "unexpected summary: $output"
        images_remove_tree "$(layer_dir busybox-oci:1.35 1)"
        run --separate-stderr "$NOOK" image verify
        assert_status 1
        [ "${#stderr_lines[@]}" -eq 2 ] || fail "expected two problems: $stderr"
        [[ "$stderr" == *"image busybox-oci:1.35: layer sha256:"*" is missing"* ]] || fail "the missing layer is not named: $stderr"
}

# A lower layer says app is root; the top layer hides that copy. nook must
# read the file the sandbox sees, or refuse: never the hidden copy.
ROOT_APP=$'root:x:0:0:root:/root:/bin/sh\napp:x:0:0::/home/app:/bin/sh\n'

@test "a user looked up through an image's /etc/passwd that is a link is refused, never taken from a hidden lower copy" {
        derive_oci "$BATS_TEST_TMPDIR/img" --file etc/passwd "$ROOT_APP" \
                --file etc2/passwd $'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' \
                --symlink etc/passwd ../etc2/passwd
        import_ok "$BATS_TEST_TMPDIR/img" --name linked
        run --separate-stderr timeout 20 "$NOOK" run -u app linked -- /bin/busybox id -u
        assert_nook_error "/etc/passwd is not a regular file but a link"
        [[ "$output" != 0* ]] || fail "ran as root"
}

@test "a user whose /etc/passwd an opaque /etc hides is not found, never taken from the hidden lower copy" {
        derive_oci "$BATS_TEST_TMPDIR/img" --file etc/passwd "$ROOT_APP" --opaque etc
        import_ok "$BATS_TEST_TMPDIR/img" --name opaque
        run --separate-stderr timeout 20 "$NOOK" run -u app opaque -- /bin/busybox id -u
        [ "$status" -eq 125 ] || { show_run; fail "expected 125"; }
        [[ "$stderr" == *"app"* ]] || fail "the error does not name the user:" "$stderr"
        [[ "$output" != 0* ]] || fail "ran as root"
}

@test "a user whose /etc is a link in the top layer is refused, never taken from a hidden lower copy" {
        derive_oci "$BATS_TEST_TMPDIR/img" --file etc/passwd "$ROOT_APP" --symlink etc etc2 \
                --file etc2/passwd $'app:x:1000:1000::/:/bin/sh\n'
        import_ok "$BATS_TEST_TMPDIR/img" --name etclink
        run --separate-stderr timeout 20 "$NOOK" run -u app etclink -- /bin/busybox id -u
        assert_nook_error "which is not a directory but a link"
}

@test "an image's /etc/passwd larger than nook reads is refused in one line, without reading it" {
        derive_oci "$BATS_TEST_TMPDIR/img" --big-file etc/passwd 20000000 --user app
        import_ok "$BATS_TEST_TMPDIR/img" --name bigpw
        run --separate-stderr timeout 20 "$NOOK" run bigpw -- /bin/busybox id -u
        assert_nook_error "/etc/passwd has 20000000 bytes, more than nook reads"
}
