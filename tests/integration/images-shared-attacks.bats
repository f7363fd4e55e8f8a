#!/usr/bin/env bats
# A shared image store attacked: whoever can write in it (a careless or
# hostile member of the group) plants FIFOs, links, huge or odd records,
# and races a publisher. A reader's nook must not hang, follow a link out of
# the store, print the store's bytes raw to the terminal, nor run a layered
# image from it; a publisher must not write through a link in DIR, and the
# loser of a race must not take away a blob that another image uses.

load images-helpers

setup_file() {
        images_setup_file rootfs
        images_need_squashfs
}

setup() {
        images_setup
        shared_store_setup
}

teardown() { images_teardown; }

# published NAME: the fixture rootfs published into SHARED as NAME, gone
# from the user's store (so that only the shared one can answer).
published() {
        import_ok "$FIX/rootfs.tar" --name "$1"
        "$NOOK" image publish "$1" "$SHARED" >/dev/null || fail "publish $1"
        "$NOOK" image rm "$1" >/dev/null || fail "rm $1"
}

# forged NAME PYTHON: a record NAME in SHARED made from pub:1's, changed by
# PYTHON (on r, the record as a dict).
forged() {
        py "import json, sys
r = json.load(open(sys.argv[1]))
$2
json.dump(r, open(sys.argv[2], 'w'))" "$SHARED/images/pub:1.json" "$SHARED/images/$1.json" || fail "forging $1"
}

# bounded CMD...: run with a deadline, so that a hang fails the test
bounded() { run --separate-stderr timeout 20 "$@"; }

# slow_tar2sqfs: a tar2sqfs in $SLOW (to put first in PATH) that says it
# started ($SLOW/started), then waits for $SLOW/go before it does its work.
slow_tar2sqfs() {
        SLOW="$BATS_TEST_TMPDIR/slow"
        mkdir -p "$SLOW"
        printf '#!/bin/sh\n: >%s/started\nfor i in $(seq 600); do [ -e %s/go ] && exec %s "$@"; sleep 0.1; done\nexit 1\n' \
                "$SLOW" "$SLOW" "$(command -v tar2sqfs)" >"$SLOW/tar2sqfs"
        chmod +x "$SLOW/tar2sqfs"
}

@test "a FIFO as a shared record: run, inspect and ls neither hang nor list it" {
        published pub:1
        mkfifo "$SHARED/images/fifo:1.json"
        bounded "$NOOK" run --image fifo:1 -- true
        assert_nook_error "is not a regular file"
        bounded "$NOOK" image inspect fifo:1
        assert_nook_error "is not a regular file"
        bounded "$NOOK" image ls
        assert_status 0
        [[ "$output" == *pub:1* && "$output" != *fifo* ]] || { show_run; fail "ls"; }
}

@test "a huge shared record is refused at once, not read for minutes" {
        published pub:1
        forged huge:1 'r["squashfs"]["passwd"] = "u:x:1:1::/:/bin/sh\n" * 2000000'
        local t0=$SECONDS
        bounded "$NOOK" run --image huge:1 -- true
        assert_nook_error "more than nook reads"
        [ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
        bounded "$NOOK" image ls
        assert_status 0
        [[ "$output" != *huge* ]] || fail "ls lists the huge record"
}

@test "a shared record that names layers, not a squashfs file, is refused; the layers are never looked at" {
        published pub:1
        import_ok "$FIX/rootfs.tar" --name own:1
        cp "$STORE/images/own:1.json" "$SHARED/images/lay:1.json"
        # the layers the record names are the reader's own
        ln -s "$STORE/layers" "$SHARED/layers"
        bounded "$NOOK" run --image lay:1 -- true
        assert_nook_error "not a squashfs image"
        bounded "$NOOK" image export lay:1 -o "$BATS_TEST_TMPDIR/out.sqsh"
        assert_nook_error "not a squashfs image"
        [ -z "$(ls "$BATS_TEST_TMPDIR" | grep out.sqsh)" ] || fail "export left $(ls "$BATS_TEST_TMPDIR")"
}

@test "a link at blobs/, blobs/sha256/ or images/ of a shared store is not followed" {
        published pub:1
        local d elsewhere="$BATS_TEST_TMPDIR/elsewhere"
        for d in blobs blobs/sha256 images; do
                rm -rf "$elsewhere"
                mv "$SHARED/$d" "$elsewhere"
                ln -s "$elsewhere" "$SHARED/$d"
                bounded "$NOOK" run --image pub:1 -- true
                assert_nook_error "symbolic link"
                rm "$SHARED/$d"
                mv "$elsewhere" "$SHARED/$d"
        done
        bounded "$NOOK" run --image pub:1 -- true
        assert_status 0
}

@test "a FIFO as a shared blob: run and export fail in one line, export leaves nothing" {
        published pub:1
        forged fb:1 'r["squashfs"]["digest"] = "sha256:" + "1" * 64'
        mkfifo "$SHARED/blobs/sha256/$(printf '1%.0s' $(seq 64))"
        bounded "$NOOK" run --image fb:1 -- true
        assert_nook_error "squashfs file of image fb:1 is missing"
        mkdir "$BATS_TEST_TMPDIR/out"
        bounded "$NOOK" image export fb:1 -o "$BATS_TEST_TMPDIR/out/x.sqsh"
        assert_nook_error "is not a regular file"
        [ -z "$(ls -A "$BATS_TEST_TMPDIR/out")" ] || fail "export left $(ls -A "$BATS_TEST_TMPDIR/out")"
}

@test "a shared record's digest that is a path is not one: nothing outside the store is read" {
        published pub:1
        forged bd:1 'r["squashfs"]["digest"] = "../../../../etc/passwd"'
        bounded "$NOOK" run --image bd:1 -- true
        assert_nook_error "squashfs file of image bd:1 is missing"
        bounded "$NOOK" image export bd:1 -o "$BATS_TEST_TMPDIR/x.sqsh"
        assert_nook_error "is not a sha256 digest"
}

@test "ls prints no control character of a shared store's names or records, and no short digest past its end" {
        published pub:1
        forged "$(printf 'e\033[31mvil'):1" 'pass'
        forged odd:1 'r["format"] = "\x1b]0;owned\x07"; r["config_digest"] = ""'
        bounded "$NOOK" image ls
        assert_status 0
        [[ "$output" != *$'\033'* && "$output" != *$'\007'* ]] || fail "ls printed control characters: $(printf %q "$output")"
        [[ "$output" =~ odd:1\ +\?\  ]] || { show_run; fail "odd:1 is not listed with its id unknown"; }
        [[ "$output" != *vil* ]] || fail "ls lists a name that is not one"
}

@test "publish never writes through a link at tmp/, images/ or blobs/ of DIR" {
        import_ok "$FIX/rootfs.tar" --name pub:1
        local d dir="$BATS_TEST_TMPDIR/dir" elsewhere="$BATS_TEST_TMPDIR/elsewhere"
        for d in tmp images blobs; do
                rm -rf "$dir" "$elsewhere"
                mkdir -p "$dir" "$elsewhere/sha256"
                ln -s "$elsewhere" "$dir/$d"
                bounded "$NOOK" image publish pub:1 "$dir"
                assert_nook_error "$dir/$d is a symbolic link"
                [ -z "$(find "$elsewhere" -mindepth 1 ! -name sha256)" ] ||
                        fail "publish wrote through $d: $(find "$elsewhere")"
                [ -z "$(find "$dir" -mindepth 2)" ] || fail "publish left $(find "$dir" -mindepth 2)"
        done
}

@test "the loser of a publish race leaves the blob that another image of the store names" {
        published base:1
        local digest
        digest=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["squashfs"]["digest"][7:])' "$SHARED/images/base:1.json")
        # the same image again, to go in as new:1, made to wait in its
        # export until another image has taken new:1
        import_ok "$FIX/rootfs.tar" --name same:1
        mkdir -p "$BATS_TEST_TMPDIR/other"
        tar -C "$BATS_TEST_TMPDIR/other" -xf "$FIX/rootfs.tar" 2>/dev/null || true
        echo other >"$BATS_TEST_TMPDIR/other/whose"
        import_ok "$BATS_TEST_TMPDIR/other" --name other:1
        slow_tar2sqfs
        PATH="$SLOW:$PATH" timeout 60 "$NOOK" image publish --name new:1 same:1 "$SHARED" \
                >"$BATS_TEST_TMPDIR/loser.out" 2>"$BATS_TEST_TMPDIR/loser.err" &
        local pid=$!
        wait_until 300 test -e "$SLOW/started" || fail "the export did not start"
        "$NOOK" image publish --name new:1 other:1 "$SHARED" >/dev/null || fail "the winner's publish"
        : >"$SLOW/go"
        wait "$pid" && fail "the loser's publish succeeded"
        grep -q "already published in $SHARED" "$BATS_TEST_TMPDIR/loser.err" || fail "the loser: $(cat "$BATS_TEST_TMPDIR/loser.err")"
        [ -f "$SHARED/blobs/sha256/$digest" ] || fail "the loser removed base:1's blob"
        bounded "$NOOK" run --image base:1 -- cat /data/www
        assert_status 0
        [ "$output" = www-data ] || { show_run; fail "base:1 no longer runs"; }
        [ -z "$(ls -A "$SHARED/tmp")" ] || fail "tmp holds $(ls -A "$SHARED/tmp")"
}

@test "a link swapped in for publish's work directory while it exports is not written through" {
        import_ok "$FIX/rootfs.tar" --name pub:1
        slow_tar2sqfs
        PATH="$SLOW:$PATH" timeout 60 "$NOOK" image publish pub:1 "$SHARED" \
                >"$BATS_TEST_TMPDIR/pub.out" 2>"$BATS_TEST_TMPDIR/pub.err" &
        local pid=$! work elsewhere="$BATS_TEST_TMPDIR/elsewhere"
        wait_until 300 test -e "$SLOW/started" || fail "the export did not start"
        # whoever else writes in tmp/ moves the work away, a link in its place
        work=$(echo "$SHARED"/tmp/publish-*)
        [ -d "$work" ] || fail "no work directory: $(ls -A "$SHARED/tmp")"
        mkdir "$elsewhere"
        mv "$work" "$BATS_TEST_TMPDIR/moved"
        ln -s "$elsewhere" "$work"
        : >"$SLOW/go"
        wait "$pid" || fail "publish: $(cat "$BATS_TEST_TMPDIR/pub.err")"
        [ -z "$(ls -A "$elsewhere")" ] || fail "publish wrote through the link: $(ls -A "$elsewhere")"
        bounded "$NOOK" image rm pub:1
        bounded "$NOOK" run --image pub:1 -- cat /data/www
        assert_status 0
        [ "$output" = www-data ] || { show_run; fail "the published image"; }
}

@test "a shared blob that is no squashfs file is said so, before any mount" {
        published pub:1
        forged junk:1 'r["squashfs"]["digest"] = "sha256:" + "2" * 64'
        head -c 65536 /dev/urandom >"$SHARED/blobs/sha256/$(printf '2%.0s' $(seq 64))"
        bounded "$NOOK" run --image junk:1 -- true
        assert_nook_error "is not a squashfs file"
}
