# Shared by images-*.bats: the fixture images (tests/fixtures/make-images),
# a private image store per test, and what the host sees of a store.
#
# Layers unpacked with a subordinate range belong to ids the test user cannot
# remove with a plain rm; images_remove_tree removes them as root of a user
# namespace with the same mapping (util-linux unshare --map-auto).

load helpers

# images_setup_file SET...: builds the fixtures this file needs, once, into
# $BATS_FILE_TMPDIR/fixtures (exported as FIX). When the host lacks a tool
# it says so in IMAGES_SKIP instead, and every test skips in images_setup
# (bats 1.8 cannot skip from setup_file).
images_setup_file() {
        local tool script log
        export IMAGES_SKIP=
        for tool in umoci skopeo python3 tar gzip xz; do
                command -v "$tool" >/dev/null || {
                        IMAGES_SKIP="host: the image fixtures need $tool (apt-get install umoci skopeo python3 tar gzip xz-utils)"
                        return 0
                }
        done
        [ -x /bin/busybox ] || {
                IMAGES_SKIP="host: the image fixtures need a static busybox (apt-get install busybox-static)"
                return 0
        }
        for script in "${NOOK_SRCDIR:-/nonexistent}/tests/fixtures/make-images" \
                "$BATS_TEST_DIRNAME/../fixtures/make-images"; do
                [ -f "$script" ] && break
        done
        [ -f "$script" ] || fail "tests/fixtures/make-images is missing (tests/run-suite must copy tests/fixtures too)"
        FIX="$BATS_FILE_TMPDIR/fixtures"
        log="$BATS_FILE_TMPDIR/make-images.log"
        bash "$script" "$FIX" "$@" >"$log" 2>&1 || fail "make-images failed:" "$(cat "$log")"
        export FIX
}

# derive_oci OUT [OPTION...]: an OCI layout OUT (tag 1.0) made from
# busybox-oci with tests/fixtures/derive-oci (python3): more layers, odd
# files, another User (see the script for its options).
derive_oci() {
        local script
        for script in "${NOOK_SRCDIR:-/nonexistent}/tests/fixtures/derive-oci" \
                "$BATS_TEST_DIRNAME/../fixtures/derive-oci"; do
                [ -f "$script" ] && break
        done
        python3 "$script" "$FIX/busybox-oci" "$@" || fail "derive-oci failed"
}

# images_skip_without_fixtures: in setup, after common_setup.
images_skip_without_fixtures() {
        [ -z "${IMAGES_SKIP:-}" ] || skip "$IMAGES_SKIP"
}

# images_need_squashfs: IMAGES_SKIP set when the host cannot make squashfs
# images (call from setup_file, after images_setup_file); nook-squashfs,
# which serves them, is nook's own.
images_need_squashfs() {
        [ -z "$IMAGES_SKIP" ] || return 0
        command -v tar2sqfs >/dev/null ||
                export IMAGES_SKIP="host: needs tar2sqfs (apt-get install squashfs-tools-ng)"
}

# images_setup: a fresh store at $XDG_DATA_HOME/nook (STORE), which every
# nook command of the test uses by default. CANARY is the directory that
# holds the store: nothing may appear there but the store itself.
images_setup() {
        common_setup
        images_skip_without_fixtures
        export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
        mkdir -p "$XDG_DATA_HOME"
        STORE="$XDG_DATA_HOME/nook"
        CANARY="$XDG_DATA_HOME"
}

images_teardown() {
        images_remove_tree "$BATS_TEST_TMPDIR/data"
        common_teardown
}

# images_remove_tree DIR: removes DIR even where a layer gave it to
# subordinate ids; never fails (bats cleans up what is left, if it can).
images_remove_tree() {
        [ -e "$1" ] || return 0
        rm -rf -- "$1" 2>/dev/null && return 0
        unshare --map-auto --map-root-user rm -rf -- "$1" 2>/dev/null || true
        return 0
}

# ---- the user's subordinate ids ---------------------------------------------

# subid_range FILE: sets SUB_START and SUB_COUNT from /etc/subuid or
# /etc/subgid for this user (by name or uid); fails without a range.
subid_range() {
        local line
        line=$(awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) { print $2 " " $3; exit }' "$1" 2>/dev/null)
        [ -n "$line" ] || return 1
        read -r SUB_START SUB_COUNT <<<"$line"
}

# require_subids N: skips unless the user has subordinate uid and gid ranges
# that reach id N inside; sets UID_START and GID_START.
require_subids() {
        subid_range /etc/subuid && [ "$SUB_COUNT" -ge "$1" ] ||
                skip "host: no /etc/subuid range of $1 ids for $(id -un) (usermod --add-subuids)"
        UID_START=$SUB_START
        subid_range /etc/subgid && [ "$SUB_COUNT" -ge "$1" ] ||
                skip "host: no /etc/subgid range of $1 ids for $(id -un) (usermod --add-subgids)"
        GID_START=$SUB_START
}

# host_uid N / host_gid N: the host's id for id N inside an image sandbox:
# root is the user, 1..65535 the range.
host_uid() { if [ "$1" -eq 0 ]; then id -u; else echo $((UID_START + $1 - 1)); fi; }
host_gid() { if [ "$1" -eq 0 ]; then id -g; else echo $((GID_START + $1 - 1)); fi; }

# ---- what the store holds ----------------------------------------------------

# py CODE ARG...: a small python3 program (JSON, digests, xattrs).
py() { python3 -c "$@"; }

# layer_dirs NAME: the layer directories of image NAME, bottom first, from
# its record (nook image inspect) and the store's documented layout.
layer_dirs() {
        "$NOOK" image inspect "$1" | py '
import json, sys
for l in json.load(sys.stdin)["layers"]:
    print(sys.argv[1] + "/layers/" + l["diff_id"].split(":", 1)[1])
' "$STORE"
}

# layer_dir NAME I: the I-th layer directory (1 = bottom) of image NAME.
layer_dir() { layer_dirs "$1" | sed -n "${2}p"; }

# store_entries SUBDIR: the names in a directory of the store, one a line.
store_entries() { ls -A "$STORE/$1" 2>/dev/null; }

# assert_store_tmp_empty: no leftovers of an import in the store's tmp/.
assert_store_tmp_empty() {
        local left
        left=$(store_entries tmp)
        [ -z "$left" ] || fail "the store's tmp/ holds leftovers:" "$left"
}

# assert_blobs_match_names: every blob's content has the digest it is
# stored under.
assert_blobs_match_names() {
        local f bad=()
        for f in "$STORE"/blobs/sha256/*; do
                [ -e "$f" ] || continue
                [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] || bad+=("${f##*/}")
        done
        [ ${#bad[@]} -eq 0 ] || fail "blobs whose content does not match their name:" "${bad[@]}"
}

# image_names: the names `nook image ls --json` lists, sorted, one a line.
image_names() {
        "$NOOK" image ls --json | py '
import json, sys
for n in sorted(i["name"] for i in json.load(sys.stdin)):
    print(n)
'
}

# import_ok PATH [OPTION...]: imports, expecting success; IMAGE is the name.
import_ok() {
        local src=$1
        shift
        run --separate-stderr "$NOOK" image import "$@" "$src"
        assert_status 0
        IMAGE=$output
        [ -n "$IMAGE" ] || fail "nook image import printed no name"
}

# in_image NAME COMMAND...: runs COMMAND in a sandbox of image NAME.
in_image() {
        local name=$1
        shift
        run --separate-stderr "$NOOK" run "$name" -- "$@"
}

# shared_store_setup: a test's setup for shared stores, after images_setup:
# SHARED, an empty directory (0755) that a site nook.conf of the test names
# in [Store] Shared=, and no NOOK_STORE or NOOK_SHARED_STORES from outside.
shared_store_setup() {
        require_subids 1001
        unset NOOK_STORE NOOK_SHARED_STORES
        export NOOK_CONF_SITE="$BATS_TEST_TMPDIR/site.conf"
        export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
        mkdir -p "$XDG_CONFIG_HOME/nook"
        SHARED="$BATS_TEST_TMPDIR/shared"
        mkdir -m 0755 "$SHARED"
        printf '[Store]\nShared=%s\n' "$SHARED" >"$NOOK_CONF_SITE"
}
