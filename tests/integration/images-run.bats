#!/usr/bin/env bats
# nook run of an image: the image config (Env, Cmd, Entrypoint, WorkingDir,
# User), the /etc files nook provides, the throw-away writable layer, the
# capabilities of root in an image, and missing images. The images come
# from tests/fixtures/make-images (umoci), imported once for the file.

load images-helpers

setup_file() {
        images_setup_file oci
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        [ -z "$IMAGES_SKIP" ] || return 0
        local i
        for i in busybox-oci config-oci entrypoint-oci; do
                "$NOOK" image import "$FIX/$i" >/dev/null || fail "cannot import $i"
        done
}

teardown_file() { images_remove_tree "$BATS_FILE_TMPDIR/data"; }

setup() {
        common_setup
        images_skip_without_fixtures
        STORE="$XDG_DATA_HOME/nook"
}

teardown() { common_teardown; }

# A listing of a layer directory with a digest of every file: what must not
# change when a sandbox writes.
layer_snapshot() {
        (cd "$1" && find . -printf '%p %y %m %U:%G %s\n' | sort &&
                find . -type f -exec sha256sum {} + | sort)
}

# ---- the image config ---------------------------------------------------------

@test "the image's Env is the command's environment, not the host's" {
        export NOOK_HOST_ONLY=leaked
        in_image config-oci:1.35 /bin/sh -c 'echo "$GREETING|$SPACED|$PATH|${NOOK_HOST_ONLY:-unset}"'
        assert_answer "hello from the image|a  b|/bin|unset"
}

@test "the image's WorkingDir is where the command starts" {
        in_image config-oci:1.35 /bin/busybox pwd
        assert_answer /work
}

@test "the image's User, a name in its /etc/passwd, is the uid and gid inside" {
        in_image config-oci:1.35 /bin/sh -c 'echo "$(id -u):$(id -g)"'
        assert_answer 1000:1000
}

@test "the image's Cmd runs when no command is given" {
        run --separate-stderr "$NOOK" run config-oci:1.35
        assert_answer "hello from the image|/work|1000:1000"
}

@test "the image's Cmd runs with --image and no command" {
        run --separate-stderr "$NOOK" run --image config-oci:1.35
        assert_answer "hello from the image|/work|1000:1000"
}

@test "-- CMD replaces the image's Cmd" {
        in_image config-oci:1.35 /bin/busybox echo replaced
        assert_answer replaced
}

@test "Entrypoint and Cmd run together when no command is given" {
        run --separate-stderr "$NOOK" run entrypoint-oci:1.35
        assert_answer "entrypoint got: from-cmd default"
}

@test "-- ARGS replace the Cmd and keep the Entrypoint, as podman does" {
        in_image entrypoint-oci:1.35 first second
        assert_answer "entrypoint got: first second"
}

@test "--image NAME -- CMD runs the image" {
        run --separate-stderr "$NOOK" run --image busybox-oci:1.35 -- /bin/busybox echo ok
        assert_answer ok
}

# ---- /etc files nook provides -------------------------------------------------

@test "/etc/hosts, /etc/hostname and /etc/resolv.conf are nook's, not the image's" {
        in_image busybox-oci:1.35 /bin/busybox cat /etc/hostname
        assert_answer nook
        in_image busybox-oci:1.35 /bin/busybox cat /etc/hosts
        assert_status 0
        assert_output_has localhost
        assert_output_lacks image-hosts-entry
        in_image busybox-oci:1.35 /bin/busybox cat /etc/resolv.conf
        assert_status 0
        assert_output_lacks 10.9.9.9
}

@test "/etc/hosts, /etc/hostname and /etc/resolv.conf are read-only, even to root inside" {
        local f
        for f in /etc/hosts /etc/hostname /etc/resolv.conf; do
                in_image busybox-oci:1.35 /bin/sh -c "echo 10.6.6.6 evil >>$f"
                [ "$status" -ne 0 ] || fail "$f could be written"
                [[ "$stderr" == *"Read-only file system"* ]] || { show_run >&2; fail "$f: expected Read-only file system"; }
        done
}

@test "the image's own /etc files in its layer are left as they were" {
        local l
        l=$(layer_dir busybox-oci:1.35 1)
        in_image busybox-oci:1.35 /bin/sh -c 'cat /etc/hosts /etc/hostname /etc/resolv.conf >/dev/null'
        assert_status 0
        [ "$(cat "$l/etc/hosts")" = "$(printf '10.9.9.9\timage-hosts-entry')" ] || fail "etc/hosts changed: $(cat "$l/etc/hosts")"
        [ "$(cat "$l/etc/hostname")" = image-hostname ] || fail "etc/hostname changed"
        [ "$(cat "$l/etc/resolv.conf")" = "nameserver 10.9.9.9" ] || fail "etc/resolv.conf changed"
}

# ---- the writable layer -------------------------------------------------------

@test "writes inside go to a throw-away layer: the image's layer is unchanged" {
        local l before
        l=$(layer_dir busybox-oci:1.35 1)
        before=$(layer_snapshot "$l")
        in_image busybox-oci:1.35 /bin/sh -c '
                echo changed >/etc/passwd && echo new >/new-file && mkdir /new-dir &&
                rm /bin/ls && chmod 700 /etc && echo written'
        assert_answer written
        [ "$(layer_snapshot "$l")" = "$before" ] || fail "the layer changed:" "$(diff <(echo "$before") <(layer_snapshot "$l"))"
}

@test "what one run wrote is gone at the next run" {
        in_image busybox-oci:1.35 /bin/sh -c 'echo changed >/etc/passwd; echo new >/new-file; rm /bin/ls'
        assert_status 0
        in_image busybox-oci:1.35 /bin/sh -c 'head -n 1 /etc/passwd; test -e /new-file && echo new-file-kept; test -e /bin/ls && echo ls-present'
        assert_answer "root:x:0:0:root:/root:/bin/sh
ls-present"
}

# ---- capabilities -------------------------------------------------------------

@test "root in an image has podman's default capabilities, and no more" {
        in_image busybox-oci:1.35 /bin/busybox grep -E '^Cap(Eff|Bnd)' /proc/self/status
        assert_status 0
        assert_output "CapEff:	00000000800405fb
CapBnd:	00000000800405fb"
}

@test "a --uid 1000 command in an image has no capabilities" {
        run --separate-stderr "$NOOK" run --uid 1000 busybox-oci:1.35 -- /bin/busybox grep -E '^Cap(Inh|Prm|Eff|Amb)' /proc/self/status
        assert_status 0
        assert_output "CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapAmb:	0000000000000000"
}

@test "the image's own non-root User has no capabilities" {
        in_image config-oci:1.35 /bin/busybox grep '^CapEff' /proc/self/status
        assert_answer "CapEff:	0000000000000000"
}

# ---- nook enter -----------------------------------------------------------------

@test "nook enter into an image sandbox: the image's root, its files, the same capabilities as its command" {
        # --persist: the running sandbox holds its layer's lock, enter must not want it
        "$NOOK" run --name img --persist busybox-oci:1.35 -- /bin/sh -c "echo from-run >/tmp/mark; exec /bin/sleep 30" \
                >"$TMP/nook.out" 2>&1 </dev/null 3>&- &
        local nook=$!
        proc_stat "$nook" && STARTED_PIDS+=("$nook:$STAT_START")
        wait_until 50 "$NOOK" enter img -- /bin/busybox test -e /tmp/mark || fail "cannot enter:" "$(cat "$TMP/nook.out")"
        run --separate-stderr "$NOOK" enter img -- /bin/busybox sh -c 'cat /tmp/mark; id -u; grep -E "^Cap(Eff|Bnd)" /proc/self/status; cat /etc/os-release 2>/dev/null | head -1; test -e /bin/busybox && echo busybox'
        assert_status 0
        [ "${lines[0]}" = from-run ] || { show_run; fail "enter does not see the sandbox's writable layer"; }
        [ "${lines[1]}" = 0 ] || { show_run; fail "enter is not the image's root"; }
        [ "${lines[2]}" = $'CapEff:\t00000000800405fb' ] || { show_run; fail "not the command's capabilities"; }
        [ "${lines[3]}" = $'CapBnd:\t00000000800405fb' ] || { show_run; fail "not the command's bounding set"; }
        [ "${lines[-1]}" = busybox ] || { show_run; fail "not the image's root file system"; }
        run --separate-stderr "$NOOK" stop -t 2 img
        assert_status 0
        run --separate-stderr "$NOOK" rm img
        assert_status 0
}

@test "an image's non-root user owns the XDG_RUNTIME_DIR that --display gives it, and can write there" {
        require_subids 1000
        # a stand-in compositor socket
        python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(20)' \
                "$XDG_RUNTIME_DIR/wayland-9" </dev/null >/dev/null 2>&1 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -S "$XDG_RUNTIME_DIR/wayland-9" || fail "the stand-in socket did not appear"
        # a compositor's socket is its user's (root's inside): refused, saying why
        chmod 0755 "$XDG_RUNTIME_DIR/wayland-9"
        WAYLAND_DISPLAY=wayland-9 run --separate-stderr "$NOOK" run --uid 1000 --display wayland busybox-oci:1.35 -- /bin/busybox true
        assert_nook_error "--uid 0"
        chmod 0777 "$XDG_RUNTIME_DIR/wayland-9"
        WAYLAND_DISPLAY=wayland-9 run --separate-stderr "$NOOK" run --uid 1000 --gid 1000 --display wayland busybox-oci:1.35 -- \
                /bin/busybox sh -c 'stat -c "%u:%g %a" $XDG_RUNTIME_DIR; touch $XDG_RUNTIME_DIR/lock && echo writable; test -S $XDG_RUNTIME_DIR/wayland-0 && echo socket'
        assert_status 0
        [ "$output" = "1000:1000 700
writable
socket" ] || { show_run; fail "unexpected: $output"; }
}

# ---- missing images -----------------------------------------------------------

@test "a bare name that is neither a profile nor an image runs as a command: 127" {
        run -127 --separate-stderr "$NOOK" run no-such-image
        assert_status 127
        [[ "$stderr" == *"no-such-image"* ]] || { show_run >&2; fail "the error does not name it"; }
}

@test "--image with a name not in the store fails naming it" {
        run --separate-stderr "$NOOK" run --image no-such-image -- /bin/true
        assert_nook_error no-such-image
}

# ---- the overlay backend ------------------------------------------------------

@test "the root is mounted by the overlay backend under test" {
        # the suite runs these files twice, the second time with
        # NOOK_OVERLAY=fuse: make sure that pass really is fuse-overlayfs
        in_image busybox-oci:1.35 /bin/busybox awk \
                '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 1) }' /proc/self/mountinfo
        case ${NOOK_TEST_OVERLAY:-} in
        fuse) assert_answer fuse.fuse-overlayfs ;;
        kernel) assert_answer overlay ;;
        *) assert_answer_in overlay fuse.fuse-overlayfs ;;
        esac
}

@test "PrivateEtc= and PrivateBin= narrow the host's directories: with an image they are refused; MachineId=random works there" {
        run --separate-stderr "$NOOK" run --private-etc hostname config-oci:1.35 -- /bin/true
        assert_nook_error "PrivateEtc= narrows the host's /etc"
        run --separate-stderr "$NOOK" run --private-bin sh config-oci:1.35 -- /bin/true
        assert_nook_error "PrivateBin= narrows the host's /usr/bin"
        in_image config-oci:1.35 /bin/cat /etc/machine-id
        local image_id=$output
        run --separate-stderr "$NOOK" run --machine-id random config-oci:1.35 -- /bin/cat /etc/machine-id
        assert_status 0
        [[ "$output" =~ ^[0-9a-f]{32}$ ]] && [ "$output" != "$image_id" ] || { show_run; fail "machine id in an image: $output"; }
}

@test "--read-only: the image's root cannot be written, /tmp, /var/tmp and /run can; with --persist it is refused" {
        # /run is root's (0755), as the host's: root writes there
        run --separate-stderr "$NOOK" run --read-only --user 0 config-oci:1.35 -- /bin/sh -c \
                'touch /etc/new 2>/dev/null && echo wrote || echo refused; for d in /tmp /var/tmp /run; do echo x >$d/f && cat $d/f; done'
        assert_status 0
        assert_output "refused
x
x
x"
        run --separate-stderr "$NOOK" run --user 0 config-oci:1.35 -- /bin/sh -c 'touch /etc/new && echo wrote'
        assert_answer wrote
        run --separate-stderr "$NOOK" run --read-only --name ro-x --persist config-oci:1.35 -- /bin/true
        assert_nook_error "ReadOnly= and Persist= contradict each other"
}
