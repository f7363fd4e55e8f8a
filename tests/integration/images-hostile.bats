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

# many_layers_oci DIR N: an OCI layout (python3, by hand) of busybox-oci's
# layer and N-1 more tiny ones, layer I adding /layers/I; tag 1.0.
many_layers_oci() {
        py '
import hashlib, io, json, os, sys, tarfile
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d
def read(d):
    return open(os.path.join(src, "blobs", "sha256", d.split(":", 1)[1]), "rb").read()
os.makedirs(os.path.join(out, "blobs", "sha256"))
m = json.loads(read(json.load(open(os.path.join(src, "index.json")))["manifests"][0]["digest"]))
cfg = json.loads(read(m["config"]["digest"]))
base = m["layers"][0]
blob(read(base["digest"]))
layers, ids = [base], cfg["rootfs"]["diff_ids"][:1]
for i in range(2, n + 1):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = b"%d\n" % i
        ti = tarfile.TarInfo("layers/%d" % i); ti.size = len(data); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
    d = blob(b.getvalue())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(b.getvalue())})
    ids.append(d)
cfg["rootfs"]["diff_ids"] = ids
cfg.pop("history", None)
c = json.dumps(cfg).encode()
m["config"] = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(c), "size": len(c)}
m["layers"] = layers
mb = json.dumps(m).encode()
idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
       "digest": blob(mb), "size": len(mb), "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}
json.dump(idx, open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
' "$FIX/busybox-oci" "$1" "$2"
}

@test "an image of more layers than overlayfs stacks (500) is refused at import, before any is unpacked" {
        many_layers_oci "$BATS_TEST_TMPDIR/l501" 501
        refused "$BATS_TEST_TMPDIR/l501" "501 layers" "500"
        [ -z "$(store_entries layers)" ] || fail "a layer was unpacked:" "$(store_entries layers)"
}

@test "an image of 500 layers, the most overlayfs stacks, runs and sees its top layer" {
        many_layers_oci "$BATS_TEST_TMPDIR/l500" 500
        run --separate-stderr timeout 60 "$NOOK" image import --name l500 "$BATS_TEST_TMPDIR/l500"
        assert_answer l500:latest
        # the kernel's overlayfs itself (fsconfig's "lowerdir+"), unless fuse is under test
        run --separate-stderr "$NOOK" run --overlay "${NOOK_TEST_OVERLAY:-kernel}" l500 -- /bin/busybox cat /layers/500 /layers/2
        assert_answer "$(printf '500\n2')"
}

@test "a store record of 700 layers is refused at run, whichever overlay, and nook does not crash" {
        import_ok "$FIX/busybox-oci" --name many
        local rec=$STORE/images/many:latest.json ov
        py '
import json, sys
r = json.load(open(sys.argv[1]))
r["layers"] = r["layers"] * 700
json.dump(r, open(sys.argv[1], "w"))
' "$rec"
        for ov in kernel fuse auto; do
                run --separate-stderr timeout 20 "$NOOK" run --overlay "$ov" many -- /bin/busybox true
                assert_nook_error "700 layers" "500"
        done
}
