#!/usr/bin/env bats
# Squashfs images: `nook image import FILE.sqsh` and sandboxes of them,
# mounted inside the sandbox's user namespace and served by nook-squashfs. The squashfs
# files are made by tar2sqfs (squashfs-tools-ng) from the fixture tarball,
# not by nook, so that what is checked is nook's reading of a file made by
# others: owners as they are inside (www-data stays 33), writes in the
# writable layer with either overlay, the config kept beside, persistent
# sandboxes, bad files refused with nothing left, no daemon left behind,
# and nook-squashfs confined (no_new_privs, seccomp, Landlock).

load images-helpers

setup_file() {
        images_setup_file rootfs
        images_need_squashfs
        [ -z "$IMAGES_SKIP" ] || return 0
        tar2sqfs -q -c gzip "$BATS_FILE_TMPDIR/rootfs.sqsh" <"$FIX/rootfs.tar" >/dev/null 2>&1 ||
                fail "tar2sqfs could not make the fixture"
        export SQSH="$BATS_FILE_TMPDIR/rootfs.sqsh"
}

setup() {
        images_setup
        require_subids 1001
}

teardown() {
        "$NOOK" stop -t 1 "sq-${TEST_MARKER//./-}" >/dev/null 2>&1 || true
        images_teardown
}

# record_of NAME KEY: a key of the squashfs part of image NAME's record.
squashfs_key() {
        "$NOOK" image inspect "$1" | py 'import json, sys; print(json.load(sys.stdin)["squashfs"][sys.argv[1]])' "$2"
}

@test "a squashfs file made by tar2sqfs imports as one blob, with no layer unpacked" {
        import_ok "$SQSH" --name sq:1
        [ "$IMAGE" = "sq:1" ]
        run "$NOOK" image inspect sq:1
        [[ "$output" == *'"format": "squashfs"'* ]] || fail "not recorded as squashfs: $output"
        local digest
        digest=$(squashfs_key sq:1 digest)
        [ "$digest" = "sha256:$(sha256sum <"$SQSH" | cut -d' ' -f1)" ] || fail "the blob is not the file: $digest"
        cmp "$SQSH" "$STORE/blobs/sha256/${digest#sha256:}" || fail "the stored blob differs from the file"
        [ -z "$(store_entries layers)" ] || fail "layers were unpacked: $(store_entries layers)"
        assert_store_tmp_empty
        run "$NOOK" image ls
        [[ "$output" == *"sq:1"*"squashfs"* ]] || fail "ls: $output"
}

@test "a squashfs sandbox shows the owners and modes the image has inside" {
        import_ok "$SQSH" --name sq:1
        in_image sq:1 stat -c '%u:%g %a %n' /data/root-owned /data/www /data/user /data/wwwdir /data/suid /data/sgid
        assert_status 0
        [[ "$output" == *"0:0 644 /data/root-owned"* ]] || fail "$output"
        [[ "$output" == *"33:33 644 /data/www"* ]] || fail "www-data's file: $output"
        [[ "$output" == *"1000:42 640 /data/user"* ]] || fail "a user's file: $output"
        [[ "$output" == *"33:33 750 /data/wwwdir"* ]] || fail "www-data's directory: $output"
        [[ "$output" == *"0:0 4755 /data/suid"* ]] || fail "setuid: $output"
        [[ "$output" == *"0:42 2755 /data/sgid"* ]] || fail "setgid: $output"
}

@test "writes land in the writable layer with either overlay; a file of www-data keeps its owner when copied up" {
        import_ok "$SQSH" --name sq:1
        local overlay
        for overlay in kernel fuse; do
                run --separate-stderr "$NOOK" run --overlay "$overlay" sq:1 -- sh -c \
                        'echo more >>/data/www && echo new >/data/new && rm /data/root-owned && stat -c "%u:%g" /data/www && cat /data/www /data/new && ls /data'
                assert_status 0
                [ "${lines[0]}" = "33:33" ] || fail "$overlay: the copied-up file changed owner: $output"
                [ "${lines[1]}" = "www-data" ] && [ "${lines[2]}" = "more" ] && [ "${lines[3]}" = "new" ] ||
                        fail "$overlay: $output"
                [[ "$output" != *root-owned* ]] || fail "$overlay: a removed file is still listed: $output"
        done
        # and the image itself is untouched
        in_image sq:1 cat /data/www
        [ "$output" = "www-data" ] || fail "a sandbox's write reached the image: $output"
}

@test "the config beside the squashfs file gives the command, environment, directory and user" {
        command -v sqfs2tar >/dev/null || skip "host: sqfs2tar is missing (apt-get install squashfs-tools-ng)"
        # the fixture with www-data in its /etc/passwd, by tools not nook's
        sqfs2tar "$SQSH" 2>/dev/null | python3 -c '
import io, sys, tarfile
src = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)
for m in src:
    data = src.extractfile(m).read() if m.isfile() else None
    if m.name.lstrip("./") == "etc/passwd":
        data += b"www-data:x:33:33:www-data:/var/www:/bin/sh\n"
        m.size = len(data)
    out.addfile(m, io.BytesIO(data) if data is not None else None)
out.close()' | tar2sqfs -q -c gzip "$TMP/web.sqsh" >/dev/null 2>&1 || fail "cannot make web.sqsh"
        cat >"$TMP/web.json" <<'EOF'
{"architecture": "amd64", "os": "linux",
 "config": {"Env": ["PATH=/bin", "GREETING=from-the-config"], "WorkingDir": "/data",
            "User": "www-data", "Cmd": ["sh", "-c", "id -u; id -g; pwd; echo $GREETING"]}}
EOF
        import_ok "$TMP/web.sqsh"
        [ "$IMAGE" = "web:latest" ] || fail "the name is not the file's: $IMAGE"
        run --separate-stderr "$NOOK" run web
        assert_status 0
        [ "$output" = "$(printf '33\n33\n/data\nfrom-the-config')" ] || fail "$output"
        # --user names a user of the image's /etc/passwd, kept in the record
        run --separate-stderr "$NOOK" run --user www-data web -- id -u
        [ "$output" = 33 ] || fail "--user www-data: $output $stderr"
}

@test "a persistent sandbox of a squashfs image keeps what it wrote" {
        import_ok "$SQSH" --name sq:1
        local name="sq-${TEST_MARKER//./-}"
        run --separate-stderr "$NOOK" run --name "$name" --persist sq:1 -- sh -c 'echo kept >/data/kept; echo again >>/data/www'
        assert_status 0
        run --separate-stderr "$NOOK" run --name "$name" --persist sq:1 -- cat /data/kept /data/www
        assert_status 0
        [ "$output" = "$(printf 'kept\nwww-data\nagain')" ] || fail "$output"
        "$NOOK" rm "$name" || fail "nook rm failed"
}

# fixture_tar_with DST CODE: the fixture's rootfs tarball with more members,
# added by CODE, python lines calling add(name, data=None, **TarInfo fields).
fixture_tar_with() {
        py 'import io, sys, tarfile
src, dst, code = sys.argv[1:4]
with tarfile.open(src) as a, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as b:
    for m in a.getmembers():
        b.addfile(m, a.extractfile(m) if m.isfile() else None)
    def add(name, data=None, **kw):
        t = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(t, k, v)
        if data is not None:
            t.size = len(data)
        b.addfile(t, io.BytesIO(data) if data is not None else None)
    exec(code)' "$FIX/rootfs.tar" "$1" "$2" || fail "cannot make the tarball"
}

# alt_nook: a copy of nook and nook-image in $TMP/alt, where nook looks for
# nook-squashfs beside itself: the tests put their own there.
alt_nook() {
        mkdir "$TMP/alt"
        cp "$NOOK" "$(dirname "$NOOK")/nook-image" "$TMP/alt/" || fail "cannot copy nook"
}

@test "nook-squashfs runs in nook's own process tree for as long as the sandbox, and not after" {
        import_ok "$SQSH" --name sq:1
        local name="sq-${TEST_MARKER//./-}" nook_pid daemon i
        "$NOOK" run -d --name "$name" sq:1 -- sleep 60 >/dev/null || fail "cannot start"
        nook_pid=$("$NOOK" ps --json | py 'import json, sys; print([s["id"] for s in json.load(sys.stdin) if s["name"] == sys.argv[1]][0])' "$name")
        daemon=$(pgrep -P "$nook_pid" -x nook-squashfs) || fail "no nook-squashfs under nook ($nook_pid)"
        # the sandbox cannot see it
        run "$NOOK" enter "$name" -- ps -o comm
        [[ "$output" != *squashfs* ]] || fail "the sandbox sees nook-squashfs: $output"
        "$NOOK" stop -t 2 "$name" >/dev/null || fail "cannot stop"
        for i in $(seq 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
        ! kill -0 "$daemon" 2>/dev/null || fail "nook-squashfs ($daemon) outlived its sandbox"
}

@test "a run refused once nook-squashfs has started leaves none behind: a bad bind, a name in use" {
        # nook starts it as soon as it knows the image and its ids, before
        # the checks and the plan: a run refused after that ends it
        import_ok "$SQSH" --name sq:1
        alt_nook
        cp "$(dirname "$NOOK")/nook-squashfs" "$TMP/alt/" || fail "cannot copy nook-squashfs"
        run --separate-stderr "$TMP/alt/nook" run --bind "$TMP/no-such-dir:/x" sq:1 -- true
        [ "$status" -eq 125 ] || fail "status $status: $stderr"
        [[ "$stderr" == *"bind source $TMP/no-such-dir"* ]] || fail "$stderr"
        ! pgrep -f "^$TMP/alt/nook-squashfs" >/dev/null || fail "a nook-squashfs outlived the refused run: $(pgrep -af "^$TMP/alt/")"
        local name="sq-${TEST_MARKER//./-}"
        "$NOOK" run -d --name "$name" sq:1 -- sleep 60 >/dev/null || fail "cannot start"
        run --separate-stderr "$TMP/alt/nook" run --name "$name" sq:1 -- true
        [ "$status" -eq 125 ] || fail "status $status: $stderr"
        [[ "$stderr" == *"named $name is running already"* ]] || fail "$stderr"
        ! pgrep -f "^$TMP/alt/nook-squashfs" >/dev/null || fail "a nook-squashfs outlived the refused run: $(pgrep -af "^$TMP/alt/")"
}

@test "nook-squashfs runs with no capability, no_new_privs and seccomp, in a user namespace of its own, given its image as an open fd" {
        import_ok "$SQSH" --name sq:1
        local name="sq-${TEST_MARKER//./-}" nook_pid daemon pid1
        "$NOOK" run -d --name "$name" sq:1 -- sleep 60 >/dev/null || fail "cannot start"
        nook_pid=$("$NOOK" ps --json | py 'import json, sys; print([s["id"] for s in json.load(sys.stdin) if s["name"] == sys.argv[1]][0])' "$name")
        daemon=$(pgrep -P "$nook_pid" -x nook-squashfs) || fail "no nook-squashfs under nook ($nook_pid)"
        run grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$daemon/status"
        assert_output "$(printf 'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2')"
        # nook opened the image: the daemon names no path of the store, only fds
        run tr '\0' ' ' <"/proc/$daemon/cmdline"
        [[ "$output" =~ ^/[^\ ]*/nook-squashfs\ --socket\ [0-9]+\ /proc/self/fd/[0-9]+\ $ ]] || fail "its command line: $output"
        # neither the user's namespace nor the sandbox's
        pid1=$(pgrep -P "$nook_pid" -x nook) || fail "no pid 1 under nook ($nook_pid)"
        [ "$(readlink "/proc/$daemon/ns/user")" != "$(readlink /proc/self/ns/user)" ] || fail "in the user's user namespace"
        [ "$(readlink "/proc/$daemon/ns/user")" != "$(readlink "/proc/$pid1/ns/user")" ] || fail "in the sandbox's user namespace"
        run "$NOOK" enter "$name" -- ls /bin/busybox
        assert_status 0
}

@test "nook-squashfs runs under Landlock: what it starts cannot read a file of the user's that nook can, nor open a socket" {
        import_ok "$SQSH" --name sq:1
        alt_nook
        # a nook-squashfs that tries, as a hostile one would, to read a host
        # file before it runs the real one
        echo "the user's" >"$TMP/secret"
        # nor, seccomp's part, open a socket (the user's D-Bus, ssh-agent)
        cp "$(dirname "$NOOK")/nook-squashfs" "$TMP/alt/nook-squashfs.real"
        cp "$PROBE" "$TMP/alt/probe"
        printf '#!/bin/sh\nif s=$(cat %s/secret 2>&1); then echo "wrapper: read $s" >&2; else echo "wrapper: refused" >&2; fi
echo "wrapper: AF_UNIX socket: $(%s/probe socket 1 1 0 2>&1)" >&2
exec %s/nook-squashfs.real "$@"\n' "$TMP" "$TMP/alt" "$TMP/alt" >"$TMP/alt/nook-squashfs"
        chmod +x "$TMP/alt/nook-squashfs"
        cat "$TMP/secret" >/dev/null || fail "the test user cannot read its own file"
        run --separate-stderr "$TMP/alt/nook" run -v sq:1 -- ls /bin/busybox
        assert_status 0
        [[ "$stderr" == *"wrapper: refused"* ]] || fail "nook-squashfs could read a host file: $stderr"
        [[ "$stderr" != *"wrapper: read"* ]] || fail "$stderr"
        [[ "$stderr" == *"wrapper: AF_UNIX socket: EAFNOSUPPORT"* ]] || fail "nook-squashfs could open a socket: $stderr"
}

@test "a nook-squashfs that never serves its mount is given up after 5 s, one that ends at once at once; nothing left" {
        import_ok "$SQSH" --name sq:1
        alt_nook
        # pid 1 makes the mount; until the daemon answers the kernel's INIT
        # nook holds pid 1 back, 5 s at most
        printf '#!/bin/sh\nexec sleep 4242\n' >"$TMP/alt/nook-squashfs"
        chmod +x "$TMP/alt/nook-squashfs"
        local start=$SECONDS
        run --separate-stderr timeout 30 "$TMP/alt/nook" run sq:1 -- true
        [ "$status" -eq 125 ] || fail "status $status after $((SECONDS - start)) s: $stderr"
        [[ "$stderr" == *"nook-squashfs did not serve its mount within 5 s"* ]] || fail "$stderr"
        [ $((SECONDS - start)) -lt 15 ] || fail "it took $((SECONDS - start)) s"
        sleep 1
        run pgrep -u "$(id -u)" -f 'sleep 4242'
        [ "$status" -ne 0 ] || fail "the hung nook-squashfs is still running: $output"

        printf '#!/bin/sh\nexit 3\n' >"$TMP/alt/nook-squashfs"
        start=$SECONDS
        run --separate-stderr timeout 30 "$TMP/alt/nook" run sq:1 -- true
        [ "$status" -eq 125 ] || fail "status $status: $stderr"
        [[ "$stderr" == *"nook-squashfs ended before it served its mount"* ]] || fail "$stderr"
        [ $((SECONDS - start)) -lt 4 ] || fail "it took $((SECONDS - start)) s"
}

@test "nook-squashfs serves what tar2sqfs packed: contents, hard links, xattrs, devices, long links, big directories" {
        # the busybox fixture, and under /t what a reader of squashfs gets
        # wrong first: a file of many blocks, one in a fragment, a hard link,
        # extended attributes, a device, a fifo, a long link target, and a
        # directory longer than one readdir reply (lz4, nook's own choice)
        fixture_tar_with "$TMP/t.tar" 'add("t", type=tarfile.DIRTYPE, mode=0o755)
add("t/blob", bytes((i * 7919 + (i >> 9)) & 255 for i in range(1000003)), mode=0o644)
add("t/small", b"small and shared\n", mode=0o640, uid=33, gid=33)
add("t/small-link", type=tarfile.LNKTYPE, linkname="t/small")
add("t/x", b"x\n", mode=0o644, pax_headers={"SCHILY.xattr.user.test": "nook-value", "SCHILY.xattr.user.second": "2"})
add("t/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
add("t/fifo", type=tarfile.FIFOTYPE, mode=0o600)
add("t/long", type=tarfile.SYMTYPE, linkname="/" + "d" * 200 + "/end")
add("t/big", type=tarfile.DIRTYPE, mode=0o755)
for i in range(1500):
    add("t/big/entry-%04d" % i, b"", mode=0o644)'
        tar2sqfs -q -c lz4 "$TMP/t.sqsh" <"$TMP/t.tar" >/dev/null 2>&1 || fail "tar2sqfs failed"
        import_ok "$TMP/t.sqsh" --name sqt:1
        local sums
        sums=$(py 'import hashlib, sys, tarfile
with tarfile.open(sys.argv[1]) as a:
    for n in ("t/blob", "t/small"):
        print(hashlib.md5(a.extractfile(n).read()).hexdigest() + "  /" + n)' "$TMP/t.tar")
        in_image sqt:1 md5sum /t/blob /t/small
        assert_status 0
        [ "$output" = "$sums" ] || fail "contents: $output, not $sums"
        in_image sqt:1 sh -c 'stat -c "%i %h %u:%g %a" /t/small /t/small-link; stat -c "%F %t:%T" /t/null; stat -c %F /t/fifo; readlink /t/long'
        assert_status 0
        [ "${lines[0]}" = "${lines[1]}" ] || fail "the hard link is another inode: $output"
        [[ "${lines[0]}" == *" 2 33:33 640" ]] || fail "the hard-linked file: $output"
        [ "${lines[2]}" = "character special file 1:3" ] || fail "the device: $output"
        [ "${lines[3]}" = "fifo" ] || fail "the fifo: $output"
        [ "${lines[4]}" = "/$(printf 'd%.0s' $(seq 200))/end" ] || fail "the long link: $output"
        in_image sqt:1 sh -c 'ls /t/big | wc -l; ls /t/big | tail -1; ls -a /t/big | head -2 | tr "\n" " "'
        assert_status 0
        [ "$output" = "$(printf '1500\nentry-1499\n. .. ')" ] || fail "the big directory: $output"
        run --separate-stderr "$NOOK" run --ro-bind "$PROBE:/probe" sqt:1 -- sh -c '/probe xattr /t/x | sort; /probe xattr /t/x user.test; /probe xattr /t/small user.test'
        assert_status 0
        [ "$output" = "$(printf 'user.second\nuser.test\nnook-value\nENODATA')" ] || fail "xattrs: $output"
        # the device is a name only: the mount is nodev
        in_image sqt:1 sh -c 'echo x >/t/null'
        [ "$status" -ne 0 ] || fail "the image's device node could be opened"
}

@test "reads of any size, at any offset and in any order give the bytes packed: blocks, sparse blocks, fragments" {
        # nook-squashfs keeps the last blocks it decompressed: a read that
        # straddles two blocks, goes back to one, or ends in a file's
        # fragment must still give the right bytes (zstd, nook's default)
        fixture_tar_with "$TMP/r.tar" 'add("blob", bytes((i * 7919 + (i >> 11)) & 255 for i in range(1300007)), mode=0o644)
add("holes", bytes(400000) + b"end of holes\n" + bytes(131072) + b"last\n", mode=0o644)
add("tail", b"t" * 70000, mode=0o644)'
        tar2sqfs -q -c zstd "$TMP/r.sqsh" <"$TMP/r.tar" >/dev/null 2>&1 || fail "tar2sqfs failed"
        import_ok "$TMP/r.sqsh" --name sqr:1
        # 100000-byte pieces, from the last to the first: every read
        # straddles blocks, and each block is read again after others
        local want
        want=$(py 'import hashlib, sys, tarfile
with tarfile.open(sys.argv[1]) as a:
    for n in ("blob", "holes", "tail"):
        d = a.extractfile(n).read()
        for k in reversed(range((len(d) + 99999) // 100000)):
            print(n, k, hashlib.md5(d[k * 100000:(k + 1) * 100000]).hexdigest())
        print(n, "all", hashlib.md5(d).hexdigest())' "$TMP/r.tar")
        in_image sqr:1 sh -c 'for n in blob holes tail; do
                size=$(stat -c %s /$n); k=$(((size + 99999) / 100000))
                while [ $k -gt 0 ]; do k=$((k - 1))
                        echo "$n $k $(dd if=/$n bs=100000 skip=$k count=1 2>/dev/null | md5sum | cut -d" " -f1)"
                done
                echo "$n all $(md5sum </$n | cut -d" " -f1)"
        done'
        assert_status 0
        [ "$output" = "$want" ] || fail "the bytes differ: $(diff <(echo "$want") <(echo "$output"))"
}

@test "a squashfs image runs from a store named by a relative path" {
        mkdir "$TMP/rel"
        cd "$TMP/rel"
        run --separate-stderr "$NOOK" image import --store st "$SQSH" --name sq:1
        assert_status 0
        run --separate-stderr "$NOOK" run --store st sq:1 -- cat /data/www
        [ "$status" -eq 0 ] && [ "$output" = www-data ] || fail "status $status: $output $stderr"
}

@test "a damaged squashfs file is refused in one line, and the store keeps nothing of it" {
        head -c 8192 "$SQSH" >"$TMP/cut.sqsh"
        run --separate-stderr "$NOOK" image import "$TMP/cut.sqsh"
        [ "$status" -ne 0 ] || fail "a cut squashfs file was imported"
        [ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
        [[ "$stderr" == *cut.sqsh* && ( "$stderr" == *damaged* || "$stderr" == *"not a squashfs"* ) ]] || fail "$stderr"
        [ -z "$(store_entries blobs/sha256)" ] || fail "a blob stayed: $(store_entries blobs/sha256)"
        [ -z "$(store_entries images)" ] || fail "a record was written"
        assert_store_tmp_empty
}

@test "a config beside the squashfs file that is not one is refused, naming it" {
        cp "$SQSH" "$TMP/bad.sqsh"
        echo '[1, 2' >"$TMP/bad.json"
        run --separate-stderr "$NOOK" image import "$TMP/bad.sqsh"
        [ "$status" -ne 0 ] || fail "imported with a broken config"
        [[ "$stderr" == *bad.json* ]] || fail "the message does not name the config: $stderr"
        echo '["not", "an", "object"]' >"$TMP/bad.json"
        run --separate-stderr "$NOOK" image import "$TMP/bad.sqsh"
        [ "$status" -ne 0 ] && [[ "$stderr" == *bad.json*"not an image config"* ]] || fail "$stderr"
        [ -z "$(store_entries images)" ] && [ -z "$(store_entries blobs/sha256)" ] || fail "the store kept something"
}

@test "without nook-squashfs a squashfs image does not start: one line saying what to do, nothing left" {
        import_ok "$SQSH" --name sq:1
        alt_nook
        run --separate-stderr "$TMP/alt/nook" run sq:1 -- true
        # an installed nook (make install) has one where nook looks next
        [ "$status" -ne 0 ] || skip "host: an installed nook-squashfs was found"
        [ "$status" -eq 125 ] || fail "status $status: $stderr"
        [ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
        [[ "$stderr" == *"nook-squashfs is missing"*"reinstall nook"* ]] || fail "$stderr"
        run pgrep -u "$(id -u)" -x nook-squashfs
        [ "$status" -ne 0 ] || fail "a nook-squashfs process is running: $output"
}

@test "rm and prune take a squashfs image's file out of the store" {
        import_ok "$SQSH" --name sq:1
        local digest
        digest=$(squashfs_key sq:1 digest)
        "$NOOK" image rm sq:1 >/dev/null || fail "rm failed"
        [ -f "$STORE/blobs/sha256/${digest#sha256:}" ] || fail "rm alone removed the file (prune does)"
        "$NOOK" image prune >/dev/null || fail "prune failed"
        [ ! -e "$STORE/blobs/sha256/${digest#sha256:}" ] || fail "prune kept the squashfs file"
}

@test "an image exported by nook and imported back runs the same tree" {
        import_ok "$FIX/rootfs.tar" --name layered:1
        "$NOOK" image export layered:1 -o "$TMP/back.sqsh" >/dev/null || fail "export failed"
        import_ok "$TMP/back.sqsh" --name back:1
        # owners, modes, link targets and contents; not sizes of directories
        # or link counts, which differ from one file system to another
        local tree='find /data /bin /etc/passwd | sort | xargs stat -c "%A %u:%g %N"; find /data -type f | sort | xargs md5sum'
        "$NOOK" run layered:1 -- sh -c "$tree" >"$TMP/a" || fail "the layered image does not run"
        "$NOOK" run back:1 -- sh -c "$tree" >"$TMP/b" || fail "the squashfs image does not run"
        [ "$(wc -l <"$TMP/a")" -gt 20 ] || fail "too little seen: $(cat "$TMP/a")"
        diff "$TMP/a" "$TMP/b" || fail "the trees differ (above)"
}
