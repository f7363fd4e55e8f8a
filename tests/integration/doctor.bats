#!/usr/bin/env bats
# nook doctor: one line a check, what to do where something is missing, and
# nothing changed on the host.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "nook doctor on the test host: exit 0, one verdict a line, a closing count" {
        MOUNTS_BEFORE=$(cat /proc/self/mountinfo)
        run --separate-stderr "$NOOK" doctor
        assert_status 0
        [[ "${lines[0]}" == "nook "*" for $(id -un) (uid $(id -u))" ]] || { show_run; fail "no heading"; }
        local l
        for l in "${lines[@]:1:${#lines[@]}-2}"; do
                [[ "$l" =~ ^(ok|warn|FAIL)\ +[^:]+:\ . ]] || { show_run; fail "not a verdict line: $l"; }
        done
        [[ "${lines[-1]}" =~ ^0\ failed,\ [0-9]+\ warnings?$ ]] || { show_run; fail "no closing count"; }
        [[ "$output" == *"ok    user namespaces"* ]] || { show_run; fail "user namespaces not checked"; }
        assert_host_mounts_unchanged
}

@test "nook doctor names the user's /etc/subuid range" {
        local start
        start=$(awk -F: -v u="$(id -un)" '$1 == u { print $2; exit }' /etc/subuid)
        [ -n "$start" ] || skip "host: no /etc/subuid range for $(id -un)"
        run --separate-stderr "$NOOK" doctor
        [[ "$output" == *"subordinate ids: uids $start-"* ]] || { show_run; fail "the range is not named"; }
}

@test "nook doctor says which helpers are missing and which package to install" {
        mkdir "$TMP/bin"
        run --separate-stderr env PATH="$TMP/bin" "$NOOK" doctor
        [[ "$output" == *"warn  slirp4netns: not installed"*"apt-get install slirp4netns"* ]] || { show_run; fail "slirp4netns"; }
        [[ "$output" == *"warn  pasta: not installed"*"apt-get install passt"* ]] || { show_run; fail "pasta"; }
        [[ "$output" == *"fuse-overlayfs: not installed"*"apt-get install fuse-overlayfs"* ]] || { show_run; fail "fuse-overlayfs"; }
}

@test "nook doctor finds nook's own helpers beside it, and fails without nook-squashfs" {
        run --separate-stderr "$NOOK" doctor
        [[ "$output" == *"ok    nook-squashfs: $(dirname "$NOOK")/nook-squashfs"* ]] || { show_run; fail "nook-squashfs not found"; }
        # a nook alone (with nook-image): nook-squashfs is missing, unless
        # an installed one is where nook looks next
        mkdir "$TMP/alt"
        cp "$NOOK" "$(dirname "$NOOK")/nook-image" "$TMP/alt/"
        run --separate-stderr "$TMP/alt/nook" doctor
        [[ "$output" == *"ok    nook-squashfs"* ]] && skip "host: an installed nook-squashfs was found"
        assert_status 1
        [[ "$output" == *"FAIL  nook-squashfs: not found beside nook"*"squashfs images"* ]] || { show_run; fail "not reported"; }
}

@test "nook doctor tells where run state goes, with and without XDG_RUNTIME_DIR" {
        run --separate-stderr "$NOOK" doctor
        [[ "$output" == *"ok    run directory: $XDG_RUNTIME_DIR/nook"* ]] || { show_run; fail "XDG_RUNTIME_DIR not named"; }
        run --separate-stderr env -u XDG_RUNTIME_DIR "$NOOK" doctor
        [[ "$output" == *"warn  run directory: XDG_RUNTIME_DIR is unset"*"/tmp/nook-$(id -u)"* ]] || { show_run; fail "no warning"; }
}

@test "nook doctor fails a run directory that is not private, and changes nothing" {
        mkdir -m 0755 "$XDG_RUNTIME_DIR/nook"
        run --separate-stderr "$NOOK" doctor
        assert_status 1
        [[ "$output" == *"FAIL  run directory: $XDG_RUNTIME_DIR/nook is not a private directory"* ]] || { show_run; fail "not reported"; }
        [ "$(stat -c %a "$XDG_RUNTIME_DIR/nook")" = 755 ] || fail "doctor changed it"
        rmdir "$XDG_RUNTIME_DIR/nook"
        run --separate-stderr "$NOOK" doctor
        assert_status 0
        [ ! -e "$XDG_RUNTIME_DIR/nook" ] || fail "doctor made the run directory"
}

@test "nook doctor names the image store by its whole path, however long" {
        local data="$TMP/$(printf 'd%.0s' $(seq 200))"
        while [ "${#data}" -le 4200 ]; do data="$data/$(printf 'd%.0s' $(seq 200))"; done
        XDG_DATA_HOME=$data run --separate-stderr "$NOOK" doctor
        [[ "$output" == *"image store: $data/nook, "*" GB free there"* ]] || { show_run; fail "the store's path is not whole"; }
}

@test "nook doctor with an argument is refused in one line" {
        run --separate-stderr "$NOOK" doctor --fix
        assert_nook_error -- --fix
}
