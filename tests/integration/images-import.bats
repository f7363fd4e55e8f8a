#!/usr/bin/env bats
# nook image import, ls, inspect, rm: every input format, the names images
# get, whiteouts, ownership through the subordinate ids, standard input,
# concurrent imports and an import killed midway. The images are built by
# tests/fixtures/make-images with umoci, skopeo, tar and python3, never by
# nook.

load images-helpers

setup_file() { images_setup_file oci whiteouts rootfs archives big; }
setup() { images_setup; }
teardown() { images_teardown; }

# ---- input formats and names ---------------------------------------------------

@test "an OCI layout imports under its directory's name and its ref name, and runs" {
        import_ok "$FIX/busybox-oci"
        [ "$IMAGE" = busybox-oci:1.35 ] || fail "imported as '$IMAGE'"
        in_image busybox-oci:1.35 /bin/busybox echo ok
        assert_answer ok
}

@test "an OCI archive made by skopeo takes the full name in its index, and runs" {
        import_ok "$FIX/busybox-oci.tar"
        [ "$IMAGE" = nook-test/busybox:1.35 ] || fail "imported as '$IMAGE'"
        in_image nook-test/busybox:1.35 /bin/busybox echo ok
        assert_answer ok
}

@test "a tar of an OCI layout (./ paths) imports as an OCI archive named after its file" {
        import_ok "$FIX/busybox-oci-tarred.tar"
        [ "$IMAGE" = busybox-oci-tarred:1.35 ] || fail "imported as '$IMAGE'"
        in_image busybox-oci-tarred:1.35 /bin/busybox echo ok
        assert_answer ok
}

@test "a docker archive made by skopeo takes its RepoTags name, and runs" {
        import_ok "$FIX/busybox-docker.tar"
        [ "$IMAGE" = docker.io/nook-test/docker-bb:v1 ] || fail "imported as '$IMAGE'"
        in_image docker.io/nook-test/docker-bb:v1 /bin/busybox echo ok
        assert_answer ok
}

@test "a docker save archive made by hand brings its RepoTags, config and layer" {
        import_ok "$FIX/handmade-docker.tar"
        [ "$IMAGE" = handmade:v2 ] || fail "imported as '$IMAGE'"
        in_image handmade:v2 /bin/sh -c 'cat /from-docker; echo "$MADE_BY"'
        assert_status 0
        assert_output "made by hand as docker save would
hand"
}

@test "an import keeps the unpacked layers but not their blobs; the config stays; a second import works" {
        local f digest
        for f in "$FIX/busybox-oci" "$FIX/rootfs.tar"; do
                import_ok "$f"
                "$NOOK" image inspect "$IMAGE" >"$TMP/rec.json" || fail "cannot inspect $IMAGE"
                for digest in $(py 'import json, sys; print(" ".join(l["digest"].split(":")[1] for l in json.load(open(sys.argv[1]))["layers"]))' "$TMP/rec.json"); do
                        [ ! -e "$STORE/blobs/sha256/$digest" ] || fail "$IMAGE: the layer blob $digest is still stored"
                done
                for d in $(layer_dirs "$IMAGE"); do [ -d "$d" ] || fail "$IMAGE: no layer $d"; done
                in_image "$IMAGE" /bin/busybox echo ok
                assert_answer ok
        done
        "$NOOK" image inspect busybox-oci:1.35 >"$TMP/rec.json" || fail "cannot inspect busybox-oci"
        digest=$(py 'import json, sys; print(json.load(open(sys.argv[1])).get("config_digest", "").split(":")[-1])' "$TMP/rec.json")
        [ -f "$STORE/blobs/sha256/$digest" ] || fail "the config blob of busybox-oci is gone"
        # again: the layer is there, the blob comes and goes
        import_ok "$FIX/rootfs.tar" --name again:1
        in_image again:1 /bin/busybox echo ok
        assert_answer ok
        assert_store_tmp_empty
        assert_blobs_match_names
}

@test "a plain rootfs tarball is named after its file, and runs" {
        import_ok "$FIX/rootfs.tar"
        [ "$IMAGE" = rootfs:latest ] || fail "imported as '$IMAGE'"
        in_image rootfs /bin/busybox echo ok
        assert_answer ok
}

@test "a gzip rootfs tarball imports under --name, and runs" {
        import_ok "$FIX/rootfs.tar.gz" --name gz-rootfs:1
        [ "$IMAGE" = gz-rootfs:1 ] || fail "imported as '$IMAGE'"
        in_image gz-rootfs:1 /bin/busybox cat /data/www
        assert_answer www-data
}

@test "an xz rootfs tarball imports and runs" {
        import_ok "$FIX/rootfs.tar.xz" --name xz-rootfs
        [ "$IMAGE" = xz-rootfs:latest ] || fail "imported as '$IMAGE'"
        in_image xz-rootfs /bin/busybox cat /data/www
        assert_answer www-data
}

@test "a zstd rootfs tarball imports and runs" {
        [ -e "$FIX/rootfs.tar.zst" ] || skip "host: zstd is not installed (apt-get install zstd)"
        import_ok "$FIX/rootfs.tar.zst" --name zst-rootfs
        [ "$IMAGE" = zst-rootfs:latest ] || fail "imported as '$IMAGE'"
        in_image zst-rootfs /bin/busybox cat /data/www
        assert_answer www-data
}

@test "the same rootfs in every compression unpacks to one shared layer" {
        local f
        for f in rootfs.tar rootfs.tar.gz rootfs.tar.xz; do
                import_ok "$FIX/$f" --name "form-${f//./-}"
        done
        [ "$(store_entries layers | wc -l)" -eq 1 ] || fail "layers:" "$(store_entries layers)"
}

@test "a rootfs directory imports with the user's own files as root's" {
        import_ok "$FIX/rootfs-dir"
        [ "$IMAGE" = rootfs-dir:latest ] || fail "imported as '$IMAGE'"
        in_image rootfs-dir /bin/busybox stat -c '%u:%g %n' /from-dir /bin/busybox
        assert_status 0
        assert_output "0:0 /from-dir
0:0 /bin/busybox"
}

@test "--name overrides the name an archive carries" {
        import_ok "$FIX/busybox-oci.tar" --name mine/bb:2
        [ "$IMAGE" = mine/bb:2 ] || fail "imported as '$IMAGE'"
        [ "$(image_names)" = mine/bb:2 ] || fail "listed: $(image_names)"
        in_image mine/bb:2 /bin/busybox echo ok
        assert_answer ok
}

@test "--store puts everything in the store it names, and nook run finds the image there" {
        local other="$BATS_TEST_TMPDIR/data/elsewhere"
        import_ok "$FIX/busybox-oci" --store "$other"
        [ -z "$(store_entries images)" ] || fail "the default store got a record"
        [ -n "$(ls -A "$other/images")" ] || fail "no record in the --store"
        run --separate-stderr "$NOOK" run --store "$other" busybox-oci:1.35 -- /bin/busybox echo ok
        assert_answer ok
}

# ---- standard input -----------------------------------------------------------------

@test "a store under a path of 200+ characters imports every format, runs, and prunes" {
        local long=$BATS_TEST_TMPDIR/data/$(printf 'a-rather-long-directory-name-%02d/' 1 2 3 4 5 6 7)
        mkdir -p "$long"
        export XDG_DATA_HOME=${long%/}
        STORE=$XDG_DATA_HOME/nook
        [ ${#STORE} -gt 200 ] || fail "the store path is only ${#STORE} characters"
        import_ok "$FIX/busybox-oci"
        import_ok "$FIX/busybox-oci.tar"
        import_ok "$FIX/rootfs-dir" --name from-dir
        run --separate-stderr "$NOOK" image import --name from-stdin - <"$FIX/rootfs.tar.gz"
        assert_answer from-stdin:latest
        in_image busybox-oci:1.35 /bin/busybox echo ok
        assert_answer ok
        run --separate-stderr "$NOOK" run --name longstore --persist busybox-oci:1.35 -- /bin/busybox sh -c 'echo kept >/kept'
        assert_status 0
        in_image_persist() { run --separate-stderr "$NOOK" run --name longstore --persist busybox-oci:1.35 -- "$@"; }
        in_image_persist /bin/busybox cat /kept
        assert_answer kept
        run --separate-stderr "$NOOK" rm longstore
        assert_answer longstore
        assert_store_tmp_empty
        assert_blobs_match_names
        run --separate-stderr "$NOOK" image rm busybox-oci:1.35 from-dir from-stdin nook-test/busybox:1.35
        assert_status 0
        run --separate-stderr "$NOOK" image prune
        assert_status 0
        [ -z "$(store_entries layers)" ] || fail "prune left layers:" "$(store_entries layers)"
}

@test "an archive on standard input imports under the name it carries" {
        run --separate-stderr "$NOOK" image import - <"$FIX/handmade-docker.tar"
        assert_answer handmade:v2
        in_image handmade:v2 /bin/busybox cat /from-docker
        assert_answer "made by hand as docker save would"
        assert_store_tmp_empty
}

@test "a compressed rootfs on standard input imports under --name" {
        run --separate-stderr "$NOOK" image import --name piped - <"$FIX/rootfs.tar.xz"
        assert_answer piped:latest
        in_image piped /bin/busybox cat /data/www
        assert_answer www-data
        assert_store_tmp_empty
}

# ---- ls, inspect, rm --------------------------------------------------------------

@test "image ls lists each image with its layer count and where it came from" {
        import_ok "$FIX/busybox-oci"
        import_ok "$FIX/whiteouts-oci"
        import_ok "$FIX/rootfs.tar.gz"
        run --separate-stderr "$NOOK" image ls
        assert_status 0
        [[ "$output" =~ busybox-oci:1\.35\ +[0-9a-f]{12}\ +1\ +OCI\ layout ]] || { show_run >&2; fail "busybox-oci"; }
        [[ "$output" =~ whiteouts-oci:latest\ +[0-9a-f]{12}\ +3\ +OCI\ layout ]] || { show_run >&2; fail "whiteouts-oci"; }
        [[ "$output" =~ rootfs:latest\ +[0-9a-f]{12}\ +1\ +rootfs\ tarball ]] || { show_run >&2; fail "rootfs"; }
}

@test "image ls --json is valid JSON naming every image with its layers" {
        import_ok "$FIX/busybox-oci"
        import_ok "$FIX/whiteouts-oci"
        run --separate-stderr "$NOOK" image ls --json
        assert_status 0
        run py '
import json, sys
got = {i["name"]: i["layers"] for i in json.loads(sys.argv[1])}
print(" ".join("%s=%s" % kv for kv in sorted(got.items())))
' "$output"
        assert_answer "busybox-oci:1.35=1 whiteouts-oci:latest=3"
}

@test "image ls --json of an empty store is an empty list" {
        run --separate-stderr "$NOOK" image ls --json
        assert_status 0
        run py 'import json, sys; print(json.loads(sys.argv[1]))' "$output"
        assert_answer "[]"
}

@test "image inspect shows the config and each layer's digest and diff_id" {
        import_ok "$FIX/whiteouts-oci"
        run --separate-stderr "$NOOK" image inspect whiteouts-oci
        assert_status 0
        run py '
import json, re, sys
r = json.loads(sys.argv[1])
sha = re.compile(r"^sha256:[0-9a-f]{64}$")
assert r["name"] == "whiteouts-oci:latest", r["name"]
assert r["config"]["config"]["Cmd"] == ["/bin/sh"], r["config"]["config"]
assert len(r["layers"]) == 3, r["layers"]
assert all(sha.match(l["digest"]) and sha.match(l["diff_id"]) for l in r["layers"]), r["layers"]
assert [l["diff_id"] for l in r["layers"]] == r["config"]["rootfs"]["diff_ids"]
print("ok")
' "$output"
        assert_answer ok
        local d
        for d in $(layer_dirs whiteouts-oci); do
                [ -d "$d" ] || fail "layer dir $d is missing"
        done
}

@test "image rm removes the image: no longer listed, inspected or run" {
        import_ok "$FIX/busybox-oci"
        import_ok "$FIX/rootfs.tar"
        run --separate-stderr "$NOOK" image rm busybox-oci:1.35
        assert_answer busybox-oci:1.35
        [ "$(image_names)" = rootfs:latest ] || fail "listed: $(image_names)"
        run --separate-stderr "$NOOK" image inspect busybox-oci:1.35
        assert_nook_error busybox-oci:1.35
        run --separate-stderr "$NOOK" run --image busybox-oci:1.35 -- /bin/busybox true
        assert_nook_error busybox-oci:1.35
        in_image rootfs /bin/busybox echo still-here
        assert_answer still-here
}

@test "image rm of a name not in the store fails naming it" {
        run --separate-stderr "$NOOK" image rm no-such-image
        assert_nook_error no-such-image
}

# ---- whiteouts ----------------------------------------------------------------------

@test "a whiteout in a later layer deletes a file of an earlier one" {
        import_ok "$FIX/whiteouts-oci"
        in_image whiteouts-oci /bin/sh -c 'test -e /del/gone && echo present; cat /del/keep'
        assert_answer kept
}

@test "a file in a later layer replaces a directory of an earlier one" {
        import_ok "$FIX/whiteouts-oci"
        in_image whiteouts-oci /bin/sh -c 'test -f /repl && cat /repl; test -e /repl/a && echo child-left; true'
        assert_answer "now a file"
}

@test "an opaque directory shows only its own layer's entries" {
        import_ok "$FIX/whiteouts-oci"
        in_image whiteouts-oci /bin/busybox ls -A /opq
        assert_answer new
}

@test "a whiteout then a new directory of that name in one layer: only the new one shows" {
        # the OCI image spec: whiteouts apply to lower layers only
        import_ok "$FIX/whiteout-then-entry-oci"
        in_image whiteout-then-entry-oci /bin/busybox ls -A /opq
        assert_answer new
}

@test "a new file then a whiteout of that name in one layer: the new file shows" {
        import_ok "$FIX/entry-then-whiteout-oci"
        in_image entry-then-whiteout-oci /bin/busybox cat /del/gone /del/keep
        assert_answer "made again
kept"
}

@test "no whiteout is visible as a file inside" {
        import_ok "$FIX/whiteouts-oci"
        in_image whiteouts-oci /bin/busybox find / -xdev -name '.wh.*'
        assert_status 0
        assert_output ""
}

@test "an image umoci repack layered (file deleted, directory replaced by a file, directory refilled) imports and runs" {
        # umoci writes 'repl' (now a file) and then 'repl/.wh.a' in the same
        # layer, and unpacks that itself
        import_ok "$FIX/whiteouts-umoci"
        in_image whiteouts-umoci /bin/sh -c 'test -e /del/gone && echo gone-present; cat /del/keep /repl; ls -A /opq'
        assert_answer "kept
now a file
new"
}

# ---- ownership --------------------------------------------------------------------

@test "with a subordinate range, files keep their owners inside" {
        require_subids 1001
        import_ok "$FIX/rootfs.tar"
        in_image rootfs /bin/busybox stat -c '%n %u:%g' /data/root-owned /data/www /data/user /data/wwwdir /data/wwwdir/inside /data/sgid
        assert_status 0
        assert_output "/data/root-owned 0:0
/data/www 33:33
/data/user 1000:42
/data/wwwdir 33:33
/data/wwwdir/inside 33:33
/data/sgid 0:42"
}

@test "with a subordinate range, the layer's files on the host belong to the mapped ids" {
        require_subids 1001
        import_ok "$FIX/rootfs.tar"
        local l
        l=$(layer_dir rootfs 1)
        [ "$(stat -c %u:%g "$l/data/root-owned")" = "$(host_uid 0):$(host_gid 0)" ] || fail "root-owned: $(stat -c %u:%g "$l/data/root-owned")"
        [ "$(stat -c %u:%g "$l/data/www")" = "$(host_uid 33):$(host_gid 33)" ] || fail "www: $(stat -c %u:%g "$l/data/www")"
        [ "$(stat -c %u:%g "$l/data/user")" = "$(host_uid 1000):$(host_gid 42)" ] || fail "user: $(stat -c %u:%g "$l/data/user")"
        [ "$(stat -c %u:%g "$l/data/wwwdir")" = "$(host_uid 33):$(host_gid 33)" ] || fail "wwwdir: $(stat -c %u:%g "$l/data/wwwdir")"
}

@test "with --map=single, everything is root's inside and the user's on the host" {
        import_ok "$FIX/rootfs.tar" --map single
        in_image rootfs /bin/busybox stat -c '%u:%g' /data/root-owned /data/www /data/user /data/wwwdir
        assert_status 0
        assert_output "0:0
0:0
0:0
0:0"
        local l f
        l=$(layer_dir rootfs 1)
        for f in data/root-owned data/www data/user data/wwwdir data/wwwdir/inside; do
                [ "$(stat -c %u:%g "$l/$f")" = "$(id -u):$(id -g)" ] || fail "$f: $(stat -c %u:%g "$l/$f")"
        done
}

@test "setuid and setgid bits are kept, inside and in the layer" {
        import_ok "$FIX/rootfs.tar"
        in_image rootfs /bin/busybox stat -c '%n %a' /data/suid /data/sgid
        assert_status 0
        assert_output "/data/suid 4755
/data/sgid 2755"
        local l
        l=$(layer_dir rootfs 1)
        [ "$(stat -c %a "$l/data/suid")" = 4755 ] || fail "suid on the host: $(stat -c %a "$l/data/suid")"
        [ "$(stat -c %a "$l/data/sgid")" = 2755 ] || fail "sgid on the host: $(stat -c %a "$l/data/sgid")"
}

@test "a user.* xattr of a tarball entry is kept on the layer's file" {
        import_ok "$FIX/rootfs.tar"
        run py 'import os, sys; print(os.getxattr(sys.argv[1], "user.test").decode())' "$(layer_dir rootfs 1)/data/xattr"
        assert_answer nook-xattr-value
}

# ---- concurrency and interruption ----------------------------------------------------

@test "two concurrent imports of one image both succeed and share one layer" {
        local a b
        "$NOOK" image import "$FIX/busybox-oci" >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
        a=$!
        "$NOOK" image import "$FIX/busybox-oci" >"$BATS_TEST_TMPDIR/b.out" 2>&1 &
        b=$!
        wait "$a" || fail "the first import failed:" "$(cat "$BATS_TEST_TMPDIR/a.out")"
        wait "$b" || fail "the second import failed:" "$(cat "$BATS_TEST_TMPDIR/b.out")"
        [ "$(store_entries layers | wc -l)" -eq 1 ] || fail "layers:" "$(store_entries layers)"
        [ "$(image_names)" = busybox-oci:1.35 ] || fail "listed: $(image_names)"
        assert_store_tmp_empty
        in_image busybox-oci:1.35 /bin/busybox echo ok
        assert_answer ok
}

# kill_import_when NAME GLOB: starts importing big.tar as NAME, SIGKILLs it
# as soon as the store's tmp/ holds GLOB, and waits for it; KILLED says
# whether it was caught midway (else it had finished).
kill_import_when() {
        local pid i rc=0
        "$NOOK" image import --name "$1" "$FIX/big.tar" >/dev/null 2>"$BATS_TEST_TMPDIR/killed.err" &
        pid=$!
        for ((i = 0; i < 4000; i++)); do
                compgen -G "$STORE/tmp/$2" >/dev/null && break
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.002
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" || rc=$?
        KILLED=no
        [ "$rc" -eq 137 ] && KILLED=yes
        return 0
}

@test "an import killed midway leaves the store consistent, and the next import finishes the job" {
        [ -e "$FIX/big.tar" ] || skip "no big.tar fixture"
        local killed=()
        kill_import_when copying 'blob-*'       # while the blob is copied
        [ $KILLED = yes ] && killed+=(copying:latest)
        kill_import_when unpacking 'layer-*'    # while the layer is unpacked
        [ $KILLED = yes ] && killed+=(unpacking:latest)
        [ ${#killed[@]} -gt 0 ] || skip "both imports finished before they could be killed"
        local n
        for n in "${killed[@]}"; do
                [[ "$(image_names)" != *"$n"* ]] || fail "the killed import left a record of $n"
        done
        assert_blobs_match_names
        import_ok "$FIX/big.tar" --name big
        assert_store_tmp_empty
        assert_blobs_match_names
        [ "$(store_entries layers | wc -l)" -eq 1 ] || fail "layers:" "$(store_entries layers)"
        in_image big /bin/sh -c 'ls /data | wc -l; cat /data/random-50 | wc -c'
        assert_status 0
        assert_output "50
2097152"
}
