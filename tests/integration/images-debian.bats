#!/usr/bin/env bats
# A real Debian image (mmdebstrap --variant=minbase, built by ./setup where
# packages are fetched, so that no test reaches the network): package tools
# work inside, ownership is true, and root drops to _apt as apt expects.
# The suite runs it once per overlay backend (NOOK_OVERLAY=fuse the second
# time).

load helpers

# bats 1.8 cannot skip from setup_file: the reason is kept for each test
setup_file() {
        if [ -z "${NOOK_DEBIAN_TAR:-}" ] || [ ! -s "$NOOK_DEBIAN_TAR" ]; then
                export DEBIAN_SKIP="no Debian image: ./setup could not build it (the Debian archive was unreachable); see build-cache/mmdebstrap.log"
                return 0
        fi
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        mkdir -p "$XDG_DATA_HOME"
        "$NOOK" image import "$NOOK_DEBIAN_TAR" --name debian:12 >"$BATS_FILE_TMPDIR/import.log" 2>&1 ||
                { cat "$BATS_FILE_TMPDIR/import.log" >&3; return 1; }
}

setup() {
        [ -z "${DEBIAN_SKIP:-}" ] || skip "$DEBIAN_SKIP"
        common_setup
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
}

deb() {
        run --separate-stderr "$NOOK" run debian:12 -- "$@"
}

has_subids() { grep -q "^$(id -un):" /etc/subuid 2>/dev/null; }

@test "dpkg lists the installed packages in the Debian image" {
        deb sh -c 'dpkg -l | grep -c "^ii"'
        assert_status 0
        [ "$output" -gt 50 ] || fail "only $output packages listed"
}

@test "apt-get runs in the Debian image" {
        deb apt-get --version
        assert_status 0
        assert_output_has "apt "
}

@test "/etc/shadow is root:shadow and mode 640 in the Debian image" {
        has_subids || skip "host: $(id -un) has no /etc/subuid range; ownership is squashed"
        deb stat -c '%U:%G %a' /etc/shadow
        assert_answer "root:shadow 640"
}

@test "the Debian image's files belong to the mapped ids outside" {
        has_subids || skip "host: $(id -un) has no /etc/subuid range"
        local start layer
        start=$(awk -F: -v u="$(id -un)" '$1 == u { print $2; exit }' /etc/subuid)
        layer=$(ls -d "$XDG_DATA_HOME"/nook/layers/*/ | head -n 1)
        # shadow is gid 42 inside: subordinate id 42 is start + 41
        run stat -c '%u:%g' "$layer/etc/shadow"
        [ "$output" = "$(id -u):$((start + 41))" ] || fail "etc/shadow is $output outside"
}

@test "root in the Debian image drops to _apt and loses its capabilities" {
        deb setpriv --reuid=_apt --regid=nogroup --clear-groups sh -c 'id -un; grep CapEff /proc/self/status'
        assert_status 0
        assert_output_has "_apt"
        assert_output_has "0000000000000000"
}

@test "apt-get update reaches its fetchers as _apt (the network is off, the privilege drop works)" {
        deb sh -c 'apt-get -o Acquire::Retries=0 update 2>&1; true'
        assert_status 0
        assert_output_lacks "seteuid"
        assert_output_lacks "setgroups"
        assert_output_lacks "Operation not permitted"
}

@test "writes in the Debian image go to its ephemeral layer only" {
        deb sh -c 'echo changed > /etc/motd && cat /etc/motd'
        assert_answer changed
        deb cat /etc/motd
        assert_output_lacks changed
}
