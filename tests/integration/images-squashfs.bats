#!/usr/bin/env bats
# nook image export: an image as one squashfs file, checked with tools no
# one here wrote (unsquashfs from squashfs-tools, getcap from libcap2-bin):
# owners and modes as the image has them inside, whiteouts applied, hard
# links and file capabilities kept, the same bytes every time, and nothing
# left behind by a failure.

load images-helpers

setup_file() {
        images_setup_file oci rootfs whiteouts
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        [ -z "$IMAGES_SKIP" ] || return 0
        command -v tar2sqfs >/dev/null && command -v unsquashfs >/dev/null || {
                export IMAGES_SKIP="host: needs tar2sqfs and unsquashfs (apt-get install squashfs-tools-ng squashfs-tools)"
                return 0
        }
        "$NOOK" image import "$FIX/rootfs.tar" --name rootfs:1 >/dev/null || fail "cannot import rootfs.tar"
        "$NOOK" image import "$FIX/whiteouts-oci" --name wh:1 >/dev/null || fail "cannot import whiteouts-oci"
}

teardown_file() { images_remove_tree "$BATS_FILE_TMPDIR/data"; }

setup() {
        common_setup
        images_skip_without_fixtures
}

teardown() {
        local d
        for d in "$TMP"/store-*; do images_remove_tree "$d"; done
        common_teardown
}

# listing FILE: "mode owner path" of every entry, as unsquashfs sees them
listing() {
        unsquashfs -lln "$1" | awk '{ print $1, $2, $6 }' | sed 's|squashfs-root||'
}

@test "an exported image keeps the owners and modes it has inside: root 0, www-data 33, setuid and setgid" {
        run --separate-stderr "$NOOK" image export rootfs:1 -o "$TMP/r.sqsh"
        [ "$status" -eq 0 ] || fail "export failed: $stderr"
        run listing "$TMP/r.sqsh"
        [[ "$output" == *"-rw-r--r-- 33/33 /data/www"* ]] || fail "www-data's file: $output"
        [[ "$output" == *"drwxr-x--- 33/33 /data/wwwdir"* ]] || fail "www-data's directory: $output"
        [[ "$output" == *"-rw-r----- 1000/42 /data/user"* ]] || fail "a user's file: $output"
        [[ "$output" == *"-rwsr-xr-x 0/0 /data/suid"* ]] || fail "the setuid file: $output"
        [[ "$output" == *"-rwxr-sr-x 0/42 /data/sgid"* ]] || fail "the setgid file: $output"
        [[ "$output" == *"-rwxr-xr-x 0/0 /bin/busybox"* ]] || fail "root's file: $output"
}

@test "the same image exports to the same bytes, its config beside it" {
        "$NOOK" image export rootfs:1 -o "$TMP/a.sqsh" >/dev/null
        "$NOOK" image export rootfs:1 -o "$TMP/b.sqsh" >/dev/null
        cmp "$TMP/a.sqsh" "$TMP/b.sqsh" || fail "two exports of one image differ"
        [ -f "$TMP/a.json" ] || fail "no config beside the export"
        run jq -c '.config.Cmd' "$TMP/a.json"
        [ "$output" = '["/bin/sh"]' ] || fail "config: $output"
        # blocks of 64 KiB, zstd (6): the superblock's block size and compressor
        run python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(22); print(struct.unpack_from("<I", d, 12)[0], struct.unpack_from("<H", d, 20)[0])' "$TMP/a.sqsh"
        [ "$output" = "65536 6" ] || fail "block size and compressor: $output"
}

@test "an exported image shows what a sandbox of it shows: whiteouts and opaque directories applied" {
        "$NOOK" image export wh:1 -o "$TMP/w.sqsh" >/dev/null
        unsquashfs -d "$TMP/root" "$TMP/w.sqsh" >/dev/null
        (cd "$TMP/root" && find . -path ./bin -prune -o -print | sed 's|^\.||' | grep -v '^$' | sort) >"$TMP/exported"
        "$NOOK" run wh:1 -- find / -xdev -path /bin -prune -o -path /proc -prune -o -path /dev -prune \
                -o -path /sys -prune -o -print | grep -v '^/$\|^/proc$\|^/dev$\|^/sys$\|^/bin$' | sort >"$TMP/seen"
        # nook gives every sandbox its own /etc/hosts, hostname and resolv.conf
        grep -v '^/etc/hosts$\|^/etc/hostname$\|^/etc/resolv.conf$' "$TMP/seen" >"$TMP/seen.img"
        grep -v '^/etc/hosts$\|^/etc/hostname$\|^/etc/resolv.conf$' "$TMP/exported" >"$TMP/exported.img"
        diff "$TMP/exported.img" "$TMP/seen.img" || fail "the export and the sandbox differ (above)"
        [ ! -e "$TMP/root/del/gone" ] || fail "a deleted file came back"
}

@test "hard links stay links and a file capability stays on its file" {
        derive_oci "$TMP/oci" --hardlink data/one data/two --capability usr/bin/bind-low
        "$NOOK" image import "$TMP/oci" --name links:1 >/dev/null
        "$NOOK" image export links:1 -o "$TMP/l.sqsh" >/dev/null
        unsquashfs -no-xattrs -d "$TMP/root" "$TMP/l.sqsh" >/dev/null
        [ "$(stat -c %i "$TMP/root/data/one")" = "$(stat -c %i "$TMP/root/data/two")" ] || fail "the hard link became a copy"
        # unsquashfs may not set security.* as a user: read it from sqfs2tar's pax headers
        command -v sqfs2tar >/dev/null || skip "host: sqfs2tar is missing (apt-get install squashfs-tools-ng)"
        sqfs2tar "$TMP/l.sqsh" >"$TMP/l.tar" 2>/dev/null
        run python3 -c '
import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    if m.name.endswith("usr/bin/bind-low"):
        v = m.pax_headers.get("SCHILY.xattr.security.capability", "")
        print(v.encode("utf-8", "surrogateescape").hex())' "$TMP/l.tar"
        # revision 2, cap_net_bind_service (bit 10) permitted and effective
        [[ "$output" == "0100000200040000"* ]] || fail "the capability is gone: '$output'"
}

@test "exporting an image that does not exist fails in one line and writes nothing" {
        mkdir "$TMP/out"
        run --separate-stderr "$NOOK" image export nosuch:1 -o "$TMP/out/n.sqsh"
        [ "$status" -eq 125 ]
        [ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
        [[ "$stderr" == *"nosuch"* ]] || fail "the message does not name the image: $stderr"
        [ -z "$(ls -A "$TMP/out")" ] || fail "left behind: $(ls -A "$TMP/out")"
}

@test "a failing tar2sqfs fails the export in one line and leaves no file, not even a partial one" {
        mkdir -p "$TMP/bin" "$TMP/out"
        printf '#!/bin/sh\ncat >/dev/null\necho "tar2sqfs: no space left" >&2\nexit 3\n' >"$TMP/bin/tar2sqfs"
        chmod +x "$TMP/bin/tar2sqfs"
        PATH="$TMP/bin:$PATH" run --separate-stderr "$NOOK" image export rootfs:1 -o "$TMP/out/f.sqsh"
        [ "$status" -eq 125 ]
        [[ "$stderr" == *"tar2sqfs failed (exit status 3)"* ]] || fail "message: $stderr"
        [ -z "$(ls -A "$TMP/out")" ] || fail "left behind: $(ls -A "$TMP/out")"
}

@test "--compression lz4 packs the same tree with lz4, the same bytes every time, for export and publish; an unknown compressor is refused" {
        "$NOOK" image export rootfs:1 -o "$TMP/z.sqsh" >/dev/null || fail "the zstd export failed"
        run --separate-stderr "$NOOK" image export rootfs:1 -o "$TMP/l.sqsh" --compression lz4
        [ "$status" -eq 0 ] || fail "export failed: $stderr"
        "$NOOK" image export rootfs:1 -o "$TMP/l2.sqsh" --compression lz4 >/dev/null || fail "the second export failed"
        cmp "$TMP/l.sqsh" "$TMP/l2.sqsh" || fail "two lz4 exports of one image differ"
        run unsquashfs -s "$TMP/l.sqsh"
        [[ "$output" == *"Compression lz4"* ]] || fail "$output"
        run unsquashfs -s "$TMP/z.sqsh"
        [[ "$output" == *"Compression zstd"* ]] || fail "the default: $output"
        # the tree as libsquashfs reads it (Debian 12's unsquashfs cannot
        # read tar2sqfs's lz4), against the zstd export's
        rdsquashfs -d "$TMP/l.sqsh" >"$TMP/l.list" || fail "rdsquashfs failed"
        rdsquashfs -d "$TMP/z.sqsh" >"$TMP/z.list" || fail "rdsquashfs failed"
        diff "$TMP/z.list" "$TMP/l.list" || fail "the trees differ (above)"
        # publish exports a layered image the same way, and it runs
        mkdir "$TMP/shared"
        "$NOOK" image publish rootfs:1 "$TMP/shared" --name pub:1 --compression lz4 >/dev/null || fail "publish failed"
        run unsquashfs -s "$TMP"/shared/blobs/sha256/*
        [[ "$output" == *"Compression lz4"* ]] || fail "the published file: $output"
        run --separate-stderr env NOOK_SHARED_STORES="$TMP/shared" "$NOOK" run pub:1 -- cat /data/www
        [ "$status" -eq 0 ] && [ "$output" = www-data ] || fail "status $status: $output $stderr"
        run --separate-stderr "$NOOK" image export rootfs:1 -o "$TMP/x.sqsh" --compression snappy
        [ "$status" -eq 125 ] && [[ "$stderr" == *"--compression 'snappy' is not one of zstd, lz4, gzip, xz"* ]] ||
                fail "status $status: $stderr"
        [ ! -e "$TMP/x.sqsh" ] || fail "a file was written"
}

@test "export without -o, or with two names, says how to call it" {
        run --separate-stderr "$NOOK" image export rootfs:1
        [ "$status" -eq 125 ]
        [[ "$stderr" == *"-o FILE"* ]] || fail "message: $stderr"
        run --separate-stderr "$NOOK" image export a b -o "$TMP/x.sqsh"
        [ "$status" -eq 125 ]
        [ ! -e "$TMP/x.sqsh" ]
}

@test "an export replaces a link at FILE.sqsh or FILE.json, never writes through it, and the files get the umask's mode" {
        mkdir "$TMP/out"
        echo victim >"$TMP/victim"
        ln -s "$TMP/victim" "$TMP/out/l.sqsh"
        ln -s "$TMP/victim" "$TMP/out/l.json"
        (umask 027 && "$NOOK" image export rootfs:1 -o "$TMP/out/l.sqsh" >/dev/null) || fail "export failed"
        [ "$(cat "$TMP/victim")" = victim ] || fail "the export wrote through a link"
        [ -f "$TMP/out/l.sqsh" ] && [ ! -L "$TMP/out/l.sqsh" ] && [ ! -L "$TMP/out/l.json" ] || fail "a link is still there"
        [ "$(stat -c %a "$TMP/out/l.sqsh")" = 640 ] && [ "$(stat -c %a "$TMP/out/l.json")" = 640 ] ||
                fail "modes: $(stat -c '%n %a' "$TMP/out"/*)"
        [ -z "$(ls "$TMP/out" | grep tmp)" ] || fail "temporary files left: $(ls "$TMP/out")"
}

# entry_times FILE: "mtime name" of every entry of a squashfs file, to the
# second (unsquashfs lists minutes), through sqfs2tar where it is installed.
entry_times() {
        command -v sqfs2tar >/dev/null || { unsquashfs -lln "$1"; return 0; }
        sqfs2tar "$1" 2>/dev/null | python3 -c '
import sys, tarfile
for m in tarfile.open(fileobj=sys.stdin.buffer, mode="r|"):
    print(m.mtime, m.name)'
}

@test "one image imported into two stores at different times exports to the same bytes" {
        # symlinks (busybox's applets, and one more), a FIFO, and parents
        # the layers' tars leave out (data/, d/d/d/): each made at import
        derive_oci "$TMP/oci" --fifo data/fifo --symlink data/link ../bin/busybox --deep-file 3
        "$NOOK" image import --store "$TMP/store-1" "$TMP/oci" --name same:1 >/dev/null || fail "the first import failed"
        sleep 1
        "$NOOK" image import --store "$TMP/store-2" "$TMP/oci" --name same:1 >/dev/null || fail "the second import failed"
        "$NOOK" image export --store "$TMP/store-1" same:1 -o "$TMP/one.sqsh" >/dev/null || fail "the first export failed"
        "$NOOK" image export --store "$TMP/store-2" same:1 -o "$TMP/two.sqsh" >/dev/null || fail "the second export failed"
        cmp "$TMP/one.sqsh" "$TMP/two.sqsh" ||
                fail "two imports of one image export differently:" \
                        "$(diff <(entry_times "$TMP/one.sqsh") <(entry_times "$TMP/two.sqsh") | head -20)"
}
