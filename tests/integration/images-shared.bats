#!/usr/bin/env bats
# Shared image stores: `nook image publish NAME DIR` writes a squashfs
# image and its record into DIR; users whose nook.conf names DIR in
# [Store] Shared= list and run its images. A run from a shared store writes
# nothing there and takes no lock there (the directory is made read-only
# to prove it), a name of the user's own store wins, `image rm` of a shared
# image is refused naming the store, two publishers of one name: one wins,
# the other is told and leaves nothing, and 32 sandboxes started at once
# from one shared image all run while the user's store grows by nothing
# but their writable layers (which go away with them).

load images-helpers

setup_file() {
        images_setup_file rootfs
        images_need_squashfs
        [ -z "$IMAGES_SKIP" ] || return 0
}

setup() {
        images_setup
        shared_store_setup
        # what publish writes is readable by all whatever the umask
        umask 077
}

teardown() {
        chmod -R u+w "$SHARED" 2>/dev/null || true
        images_teardown
}

# publish_rootfs NAME: the fixture rootfs imported as NAME and published.
publish_rootfs() {
        import_ok "$FIX/rootfs.tar" --name "$1"
        run --separate-stderr "$NOOK" image publish "$1" "$SHARED"
        assert_status 0
        [ "$output" = "$1" ] || fail "publish printed '$output'"
}

# a listing of DIR: names, modes, sizes and times of everything in it
snapshot() { (cd "$1" && find . -printf '%p %m %s %T@\n' | sort); }

@test "publish writes a squashfs image and its record, readable by all, and nothing else" {
        publish_rootfs pub:1
        [ "$(stat -c %a "$SHARED/images/pub:1.json")" = 644 ] || fail "record mode $(stat -c %a "$SHARED/images/pub:1.json")"
        local digest
        digest=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["squashfs"]["digest"])' "$SHARED/images/pub:1.json")
        local blob="$SHARED/blobs/sha256/${digest#sha256:}"
        [ -f "$blob" ] || fail "the record names a blob that is not there"
        [ "$(stat -c %a "$blob")" = 644 ] || fail "blob mode $(stat -c %a "$blob")"
        [ "sha256:$(sha256sum <"$blob" | cut -d' ' -f1)" = "$digest" ] || fail "the blob is not its digest"
        local d
        for d in blobs blobs/sha256 images tmp; do
                [ "$(stat -c %a "$SHARED/$d")" = 755 ] || fail "$d has mode $(stat -c %a "$SHARED/$d")"
        done
        [ -z "$(ls -A "$SHARED/tmp")" ] || fail "publish left $(ls -A "$SHARED/tmp") in tmp"
        [ "$(ls -A "$SHARED/blobs/sha256" | wc -l)" -eq 1 ] || fail "more than the one blob: $(ls -A "$SHARED/blobs/sha256")"
        [ ! -e "$SHARED/lock" ] || fail "publish left a lock file"
        # the config is the image's
        run py 'import json, sys; print(json.load(open(sys.argv[1]))["config"]["config"]["Cmd"])' "$SHARED/images/pub:1.json"
        [[ "$output" == *sh* ]] || fail "the record's config: $output"
}

@test "publishing a name the shared store has fails and changes nothing there" {
        publish_rootfs pub:1
        local before
        before=$(snapshot "$SHARED")
        run --separate-stderr "$NOOK" image publish pub:1 "$SHARED"
        assert_nook_error "already published in $SHARED"
        [ "$(snapshot "$SHARED")" = "$before" ] || fail "the shared store changed"
}

@test "publish to a directory that does not exist, or of an image you do not have, fails in one line and makes nothing" {
        import_ok "$FIX/rootfs.tar" --name pub:1
        run --separate-stderr "$NOOK" image publish pub:1 "$BATS_TEST_TMPDIR/nowhere"
        assert_nook_error "no such directory"
        [ ! -e "$BATS_TEST_TMPDIR/nowhere" ] || fail "publish made the directory"
        run --separate-stderr "$NOOK" image publish nothere:1 "$SHARED"
        assert_nook_error "no image named nothere:1"
        [ -z "$(ls -A "$SHARED")" ] || fail "a failed publish wrote $(ls -A "$SHARED")"
        run --separate-stderr "$NOOK" image publish pub:1
        assert_nook_error "image publish takes an image NAME and a directory DIR"
}

@test "a shared image is listed with its store and runs, owners as the image has them, writing nothing to the store" {
        publish_rootfs pub:1
        # a user of the shared store: a store of their own with nothing in it
        export XDG_DATA_HOME="$BATS_TEST_TMPDIR/reader"
        mkdir -p "$XDG_DATA_HOME"
        STORE="$XDG_DATA_HOME/nook"
        run --separate-stderr "$NOOK" image ls
        assert_status 0
        [[ "$output" =~ pub:1\ +[0-9a-f]{12}\ +0\ +squashfs\ +$SHARED ]] || { show_run; fail "ls does not show the shared image's store"; }
        chmod -R a-w "$SHARED"
        local before
        before=$(snapshot "$SHARED")
        in_image pub:1 sh -c 'stat -c "%u:%g %n" /data/www /data/root-owned; echo hi >/data/new; cat /data/new'
        assert_status 0
        [[ "$output" == *"33:33 /data/www"* && "$output" == *"0:0 /data/root-owned"* && "$output" == *hi* ]] ||
                { show_run; fail "the shared image's sandbox"; }
        # with --image too, and with the fuse overlay
        run --separate-stderr "$NOOK" run --overlay fuse --image pub:1 cat /data/www
        assert_status 0
        [ "$output" = "www-data" ] || { show_run; fail "nook run pub"; }
        [ "$(snapshot "$SHARED")" = "$before" ] || fail "a run changed the shared store"
        # the reader's store holds no blob, layer or record
        [ -z "$(store_entries blobs/sha256)$(store_entries layers)$(store_entries images)" ] ||
                fail "the reader's store grew: $(cd "$STORE" && find blobs layers images -mindepth 1)"
        run --separate-stderr "$NOOK" image inspect pub:1
        assert_status 0
        [[ "$output" == *"\"store\": \"$SHARED\""* ]] || fail "inspect does not name the store"
}

# own_variant DIR: the fixture's root as a directory, with /whose saying DIR's name
own_variant() {
        mkdir -p "$BATS_TEST_TMPDIR/$1"
        tar -C "$BATS_TEST_TMPDIR/$1" -xf "$FIX/rootfs.tar" 2>/dev/null || true
        echo "$1" >"$BATS_TEST_TMPDIR/$1/whose"
}

@test "a name in your own store wins over the shared one, which ls shows as hidden" {
        publish_rootfs pub:1
        run --separate-stderr "$NOOK" image rm pub:1
        assert_status 0
        own_variant mine
        import_ok "$BATS_TEST_TMPDIR/mine" --name pub:1
        in_image pub:1 cat /whose
        assert_status 0
        [ "$output" = mine ] || { show_run; fail "the shared image ran, not the user's"; }
        run --separate-stderr "$NOOK" image ls
        [[ "$output" =~ pub:1\ +[0-9a-f]{12}\ +1\ +rootfs\ directory\ +yours ]] || fail "ls: $output"
        [[ "$output" == *"$SHARED (hidden by yours)"* ]] || fail "ls does not show the shared one as hidden: $output"
}

@test "image rm of a shared image is refused, naming the store; the image stays" {
        publish_rootfs pub:1
        "$NOOK" image rm pub:1 >/dev/null
        run --separate-stderr "$NOOK" image rm pub:1
        assert_nook_error "is in the shared store $SHARED"
        [ -f "$SHARED/images/pub:1.json" ] || fail "the shared record went"
        in_image pub:1 true
        assert_status 0
}

@test "publish --name gives the image another name in the shared store" {
        import_ok "$FIX/rootfs.tar" --name local:1
        run --separate-stderr "$NOOK" image publish --name team/tools:2 local:1 "$SHARED"
        assert_status 0
        [ "$output" = team/tools:2 ] || fail "publish printed '$output'"
        [ -f "$SHARED/images/team%2Ftools:2.json" ] || fail "no record under the new name: $(ls "$SHARED/images")"
        in_image team/tools:2 cat /data/www
        [ "$output" = www-data ] || { show_run; fail "the image under its new name"; }
}

@test "two publishers of one name at once: one wins, the other is told and leaves nothing" {
        local who pids=() st=() errs=()
        for who in alice bob; do
                own_variant "$who"
                XDG_DATA_HOME="$BATS_TEST_TMPDIR/$who-data" "$NOOK" image import --name pub:1 "$BATS_TEST_TMPDIR/$who" >/dev/null ||
                        fail "import for $who"
        done
        for who in alice bob; do
                XDG_DATA_HOME="$BATS_TEST_TMPDIR/$who-data" timeout 120 "$NOOK" image publish pub:1 "$SHARED" \
                        >"$BATS_TEST_TMPDIR/$who.out" 2>"$BATS_TEST_TMPDIR/$who.err" &
                pids+=($!)
        done
        local s
        for s in 0 1; do
                wait "${pids[$s]}" && st+=(0) || st+=($?)
        done
        local won lost
        if [ "${st[0]}" -eq 0 ] && [ "${st[1]}" -eq 125 ]; then won=alice lost=bob
        elif [ "${st[0]}" -eq 125 ] && [ "${st[1]}" -eq 0 ]; then won=bob lost=alice
        else fail "exit statuses ${st[*]}: $(cat "$BATS_TEST_TMPDIR"/*.err)"
        fi
        grep -q "already published in $SHARED" "$BATS_TEST_TMPDIR/$lost.err" || fail "the loser was told: $(cat "$BATS_TEST_TMPDIR/$lost.err")"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/$lost.err")" -eq 1 ] || fail "more than one line: $(cat "$BATS_TEST_TMPDIR/$lost.err")"
        in_image pub:1 cat /whose
        [ "$output" = "$won" ] || fail "the record is not the winner's: $output"
        # one blob, the winner's; nothing in tmp
        [ "$(ls -A "$SHARED/blobs/sha256" | wc -l)" -eq 1 ] || fail "blobs: $(ls -A "$SHARED/blobs/sha256")"
        [ -z "$(ls -A "$SHARED/tmp")" ] || fail "tmp holds $(ls -A "$SHARED/tmp")"
}

@test "a squashfs image publishes as the very file; a shared image exports as it is" {
        tar2sqfs -q -c gzip "$BATS_TEST_TMPDIR/in.sqsh" <"$FIX/rootfs.tar" >/dev/null 2>&1 || fail "tar2sqfs"
        import_ok "$BATS_TEST_TMPDIR/in.sqsh" --name sq:1
        run --separate-stderr "$NOOK" image publish sq:1 "$SHARED"
        assert_status 0
        cmp "$BATS_TEST_TMPDIR/in.sqsh" "$SHARED/blobs/sha256/$(sha256sum <"$BATS_TEST_TMPDIR/in.sqsh" | cut -d' ' -f1)" ||
                fail "the published file is not the imported one"
        "$NOOK" image rm sq:1 >/dev/null
        run --separate-stderr "$NOOK" image export sq:1 -o "$BATS_TEST_TMPDIR/out.sqsh"
        assert_status 0
        cmp "$BATS_TEST_TMPDIR/in.sqsh" "$BATS_TEST_TMPDIR/out.sqsh" || fail "the export differs"
}

@test "a shared store that is not there is passed over; an unknown image names the stores searched" {
        import_ok "$FIX/rootfs.tar" --name own:1
        printf '[Store]\nShared=%s\nShared=%s\n' "$BATS_TEST_TMPDIR/gone" "$SHARED" >"$NOOK_CONF_SITE"
        in_image own:1 true
        assert_status 0
        run --separate-stderr "$NOOK" run --image nothere:1 -- true
        assert_nook_error "no image named nothere:1 in your store nor in the shared stores ($BATS_TEST_TMPDIR/gone, $SHARED)"
        run --separate-stderr "$NOOK" image ls
        assert_status 0
        [[ "$stderr" == *"$BATS_TEST_TMPDIR/gone"* ]] || { show_run; fail "stderr lacks: ""$BATS_TEST_TMPDIR/gone"; }
}

@test "NOOK_SHARED_STORES names shared stores too, and a persistent sandbox of a shared image keeps its layer in your store" {
        publish_rootfs pub:1
        : >"$NOOK_CONF_SITE"
        "$NOOK" image rm pub:1 >/dev/null
        export NOOK_SHARED_STORES="$BATS_TEST_TMPDIR/none:$SHARED"
        chmod -R a-w "$SHARED"
        run --separate-stderr "$NOOK" run --name keep-${TEST_MARKER//./-} --persist pub:1 -- sh -c 'echo kept >/data/kept'
        assert_status 0
        run --separate-stderr "$NOOK" run --name keep-${TEST_MARKER//./-} --persist pub:1 -- cat /data/kept
        assert_status 0
        [ "$output" = kept ] || { show_run; fail "the persistent layer"; }
        [ -d "$STORE/containers/keep-${TEST_MARKER//./-}/upper" ] || fail "no writable layer in the user's store"
        "$NOOK" rm "keep-${TEST_MARKER//./-}" >/dev/null || fail "nook rm"
}

@test "32 sandboxes started at once from one shared image all run; the user's store grows by nothing" {
        publish_rootfs pub:1
        export XDG_DATA_HOME="$BATS_TEST_TMPDIR/reader"
        mkdir -p "$XDG_DATA_HOME"
        STORE="$XDG_DATA_HOME/nook"
        chmod -R a-w "$SHARED"
        local i pids=() dir="$BATS_TEST_TMPDIR/out"
        mkdir -p "$dir"
        for i in $(seq 1 32); do
                timeout 120 "$NOOK" run pub:1 -- sh -c "echo $i >/data/mine && cat /data/mine /data/www" >"$dir/$i" 2>&1 &
                pids+=($!)
        done
        local bad=0
        for i in $(seq 1 32); do
                wait "${pids[$((i - 1))]}" || { bad=$((bad + 1)); echo "# sandbox $i: $(cat "$dir/$i")" >&3; }
        done
        [ "$bad" -eq 0 ] || fail "$bad of 32 sandboxes failed"
        for i in $(seq 1 32); do
                [ "$(cat "$dir/$i")" = "$i"$'\n'"www-data" ] || fail "sandbox $i printed: $(cat "$dir/$i")"
        done
        [ -z "$(store_entries blobs/sha256)$(store_entries layers)$(store_entries images)$(store_entries containers)" ] ||
                fail "the reader's store grew: $(cd "$STORE" && find . -mindepth 2)"
}
