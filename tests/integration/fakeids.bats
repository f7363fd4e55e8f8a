#!/usr/bin/env bats
# nook-test-user: nosub
# FakeIds=: with no subordinate range only root is mapped in an image, and
# every chown to another owner and every change to another id fails; under
# FakeIds (the default there) they succeed and do nothing, so that dpkg
# and apt work. Offline: a .deb built here (its data.tar by python3's
# tarfile, owners of several users, no fakeroot), a file: repository bound
# in. tests/run-suite runs this file as a second test user that has no
# range (the line above says so); as a user with one, it skips.

load helpers

# bats 1.8 cannot skip from setup_file: the reason is kept for each test
setup_file() {
        if grep -qs "^$(id -un):" /etc/subuid /etc/subgid; then
                export FAKEIDS_SKIP="$(id -un) has a subordinate range: these tests need a user without one (tests/run-suite runs them as nooktest-nosub)"
                return 0
        fi
        if [ -z "${NOOK_DEBIAN_TAR:-}" ] || [ ! -s "$NOOK_DEBIAN_TAR" ]; then
                export FAKEIDS_SKIP="no Debian image: ./setup could not build it (the Debian archive was unreachable); see build-cache/mmdebstrap.log"
                return 0
        fi
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        mkdir -p "$XDG_DATA_HOME"
        "$NOOK" image import "$NOOK_DEBIAN_TAR" --name debian:12 >"$BATS_FILE_TMPDIR/import.log" 2>&1 ||
                { cat "$BATS_FILE_TMPDIR/import.log" >&3; return 1; }
        build_repo "$BATS_FILE_TMPDIR/repo"
        # the same image as a squashfs file, made by tar2sqfs: the owners of
        # its files (root, shadow, _apt, ...) as they are, none of them mapped
        if command -v tar2sqfs >/dev/null; then
                tar2sqfs -q -c gzip "$BATS_FILE_TMPDIR/debian.sqsh" <"$NOOK_DEBIAN_TAR" >/dev/null 2>&1 &&
                        "$NOOK" image import "$BATS_FILE_TMPDIR/debian.sqsh" --name debsq:12 >>"$BATS_FILE_TMPDIR/import.log" 2>&1 ||
                        { cat "$BATS_FILE_TMPDIR/import.log" >&3; return 1; }
        fi
}

setup() {
        [ -z "${FAKEIDS_SKIP:-}" ] || skip "$FAKEIDS_SKIP"
        common_setup
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        REPO="$BATS_FILE_TMPDIR/repo"
        NAME="fakeids-${TEST_MARKER//./-}"
}

teardown() {
        if [ -z "${FAKEIDS_SKIP:-}" ]; then
                "$NOOK" stop -t 1 "$NAME" >/dev/null 2>&1 || true
                "$NOOK" stop -t 1 "$NAME-no" >/dev/null 2>&1 || true
        fi
        common_teardown
}

# The package nookfake: files of root, of www-data (33) and of nobody
# (65534); a postinst that adds a system user and gives it files. Then a
# flat file: repository holding it.
build_repo() {
        local dir=$1 work="$BATS_FILE_TMPDIR/deb"
        mkdir -p "$dir" "$work"
        python3 - "$work" <<'EOF'
import io, sys, tarfile

work = sys.argv[1]
control = b"""Package: nookfake
Version: 1.0
Architecture: all
Maintainer: nook tests <nook@localhost>
Description: files of several users, and a postinst that makes one
 For nook's FakeIds= tests.
"""
postinst = b"""#!/bin/sh
set -e
if [ "$1" = configure ]; then
        adduser --system --group --home /var/lib/nookfake --no-create-home nookfake
        chown -R nookfake:nookfake /var/lib/nookfake
        chown nobody:nogroup /usr/share/nookfake/README
fi
"""


def add(tar, name, uid=0, gid=0, mode=0o755, data=None):
    info = tarfile.TarInfo(name)
    info.uid, info.gid, info.mode, info.mtime = uid, gid, mode, 1700000000
    if data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


with tarfile.open(f"{work}/data.tar.gz", "w:gz", format=tarfile.GNU_FORMAT) as t:
    for d in ["./", "./usr/", "./usr/share/", "./usr/share/nookfake/", "./var/", "./var/lib/"]:
        add(t, d)
    add(t, "./usr/share/nookfake/README", mode=0o644, data=b"nookfake\n")
    add(t, "./usr/share/nookfake/nobodys", 65534, 65534, 0o644, b"nobody's\n")
    add(t, "./var/lib/nookfake/", 33, 33, 0o750)
    add(t, "./var/lib/nookfake/data", 33, 33, 0o640, b"www-data's\n")
with tarfile.open(f"{work}/control.tar.gz", "w:gz", format=tarfile.GNU_FORMAT) as t:
    add(t, "./")
    add(t, "./control", mode=0o644, data=control)
    add(t, "./postinst", mode=0o755, data=postinst)
open(f"{work}/debian-binary", "w").write("2.0\n")
EOF
        (cd "$work" && ar rc "$dir/nookfake_1.0_all.deb" debian-binary control.tar.gz data.tar.gz)
        local deb="$dir/nookfake_1.0_all.deb"
        cat >"$dir/Packages" <<EOF
Package: nookfake
Version: 1.0
Architecture: all
Maintainer: nook tests <nook@localhost>
Filename: ./nookfake_1.0_all.deb
Size: $(stat -c %s "$deb")
SHA256: $(sha256sum "$deb" | cut -d' ' -f1)
Description: files of several users, and a postinst that makes one
 For nook's FakeIds= tests.
EOF
        echo 'deb [trusted=yes] file:/repo ./' >"$dir/sources.list"
}

deb() {
        run --separate-stderr "$NOOK" run --ro-bind "$REPO:/repo" "$@"
}

@test "with no subordinate range, root in an image chowns and changes ids: each succeeds and changes nothing" {
        deb debian:12 -- sh -c 'chown 33:33 /etc/motd && stat -c %u:%g /etc/motd &&
                setpriv --reuid=100 --regid=65534 --clear-groups id -u'
        assert_status 0
        assert_output "0:0
0"
}

@test "dpkg -i of a package whose files belong to several users, whose postinst runs chown and adduser --system, succeeds" {
        deb debian:12 -- sh -c 'dpkg -i /repo/nookfake_1.0_all.deb >/dev/null && dpkg-query -W -f "\${Status}\n" nookfake &&
                getent passwd nookfake | cut -d: -f1 && cat /var/lib/nookfake/data /usr/share/nookfake/nobodys'
        assert_status 0
        assert_output "install ok installed
nookfake
www-data's
nobody's"
}

@test "with --fake-ids no, the same dpkg -i fails on the owners, as without FakeIds" {
        deb --fake-ids no debian:12 -- dpkg -i /repo/nookfake_1.0_all.deb
        [ "$status" -ne 0 ] || { show_run; fail "dpkg -i succeeded without FakeIds"; }
        [[ "$stderr" == *"Invalid argument"* ]] || { show_run; fail "dpkg did not fail on an owner"; }
}

@test "apt-get installs from a local file: repository, its methods dropping to _apt" {
        deb debian:12 -- sh -c 'cp /repo/sources.list /etc/apt/sources.list && rm -f /etc/apt/sources.list.d/* &&
                apt-config dump APT::Sandbox::User && apt-get -q -o Acquire::Retries=0 update 2>&1 &&
                apt-get -q -y install nookfake 2>&1 && dpkg-query -W -f "\${Status}\n" nookfake'
        assert_status 0
        assert_output_has 'APT::Sandbox::User "_apt";'
        assert_output_lacks "unsandboxed"
        assert_output_lacks "Could not switch"
        [ "${lines[-1]}" = "install ok installed" ] || { show_run; fail "nookfake is not installed"; }
}

@test "a squashfs Debian image, whose files belong to ids that are not mapped, runs dpkg -i and apt-get install" {
        "$NOOK" image inspect debsq:12 >/dev/null 2>&1 || skip "host: no tar2sqfs (apt-get install squashfs-tools-ng)"
        # every file shows as root's (nook-squashfs --root-owned, kernel
        # overlayfs over it), so that root inside can write where the
        # image's owners could
        deb debsq:12 -- sh -c 'stat -c "%u:%g %a" /etc/shadow && cp /repo/sources.list /etc/apt/sources.list &&
                rm -f /etc/apt/sources.list.d/* && apt-get -q -o Acquire::Retries=0 update >/dev/null 2>&1 &&
                apt-get -q -y install nookfake >/dev/null 2>&1 && dpkg-query -W -f "\${Status}\n" nookfake &&
                cat /var/lib/nookfake/data'
        assert_status 0
        assert_output "0:0 640
install ok installed
www-data's"
}

@test "a squashfs Debian image with one id: kernel overlayfs by default, fuse-overlayfs with --overlay fuse, /etc/shadow root's and writable in both" {
        "$NOOK" image inspect debsq:12 >/dev/null 2>&1 || skip "host: no tar2sqfs (apt-get install squashfs-tools-ng)"
        local o want
        for o in auto fuse; do
                want=$([ "$o" = fuse ] && echo fuse-overlayfs || echo "kernel overlayfs")
                run --separate-stderr "$NOOK" run -v --overlay "$o" debsq:12 -- sh -c \
                        'stat -c "%u:%g %a" /etc/shadow /usr/bin/passwd && echo x >>/etc/shadow && tail -n 1 /etc/shadow && chown 42:42 /etc/shadow && echo chowned'
                assert_status 0
                assert_output "0:0 640
0:0 4755
x
chowned"
                [[ "$stderr" == *"image root: $want of 1 layer"* ]] || fail "--overlay $o: not $want: $stderr"
        done
}

@test "a Debian image published to a shared store runs apt-get install for a user with no range, the store left as it was" {
        "$NOOK" image inspect debsq:12 >/dev/null 2>&1 || skip "host: no tar2sqfs (apt-get install squashfs-tools-ng)"
        local shared="$BATS_TEST_TMPDIR/shared"
        mkdir -m 0755 "$shared"
        run --separate-stderr "$NOOK" image publish --name team/debian:12 debsq:12 "$shared"
        assert_status 0
        chmod -R a-w "$shared"
        local before
        before=$(cd "$shared" && find . -printf '%p %s %T@\n' | sort)
        # a reader: a store of their own with nothing in it
        XDG_DATA_HOME="$BATS_TEST_TMPDIR/reader" NOOK_SHARED_STORES="$shared" deb team/debian:12 -- sh -c \
                'cp /repo/sources.list /etc/apt/sources.list && rm -f /etc/apt/sources.list.d/* &&
                apt-get -q -o Acquire::Retries=0 update >/dev/null 2>&1 && apt-get -q -y install nookfake >/dev/null 2>&1 &&
                cat /var/lib/nookfake/data'
        chmod -R u+w "$shared"
        assert_status 0
        assert_output "www-data's"
        [ "$(cd "$shared" && find . -printf '%p %s %T@\n' | sort)" = "$before" ] || fail "the run changed the shared store"
        local grew
        grew=$(find "$BATS_TEST_TMPDIR/reader/nook/blobs/sha256" "$BATS_TEST_TMPDIR/reader/nook/images" -mindepth 1 2>/dev/null)
        [ -z "$grew" ] || fail "the reader's store grew: $grew"
}

@test "without FakeIds, apt's methods die on the drop to _apt" {
        deb --fake-ids no debian:12 -- sh -c 'cp /repo/sources.list /etc/apt/sources.list && rm -f /etc/apt/sources.list.d/* &&
                apt-get -q -o Acquire::Retries=0 update 2>&1'
        [ "$status" -ne 0 ] || { show_run; fail "apt-get update succeeded without FakeIds"; }
        assert_output_has "setgroups"
}

@test "a host sandbox never fakes ids, and refuses --fake-ids yes" {
        run --separate-stderr "$NOOK" run -- sh -c 'touch /tmp/f && chown 12345 /tmp/f'
        assert_status 1
        [[ "$stderr" == *"changing ownership"* ]] || { show_run; fail "not chown's refusal"; }
        run --separate-stderr "$NOOK" run --fake-ids yes -- true
        assert_nook_error "image sandbox"
}

@test "--fake-ids yes with --seccomp none is refused, saying why" {
        run --separate-stderr "$NOOK" run --fake-ids yes --seccomp none debian:12 -- true
        assert_nook_error "Seccomp=none"
}

@test "nook enter into a FakeIds sandbox chowns too; into one with --fake-ids no it cannot" {
        local other="$NAME-no"
        run --separate-stderr "$NOOK" run -d --name "$NAME" debian:12 -- sleep 30
        assert_status 0
        run --separate-stderr "$NOOK" run -d --name "$other" --fake-ids no debian:12 -- sleep 30
        assert_status 0
        wait_until 50 "$NOOK" enter "$NAME" -- true || fail "cannot enter $NAME"
        wait_until 50 "$NOOK" enter "$other" -- true || fail "cannot enter $other"
        local enter_no
        enter_no=$("$NOOK" enter "$other" -- chown 33 /etc/motd 2>&1) && enter_no="succeeded: $enter_no"
        run --separate-stderr "$NOOK" enter "$NAME" -- sh -c 'chown 33:33 /etc/motd && setpriv --reuid=100 id -u'
        assert_status 0
        assert_output 0
        [[ "$enter_no" == *"Invalid argument"* ]] || fail "chown in the --fake-ids no sandbox: $enter_no"
}

@test "nook.conf's [Defaults] FakeIds=no turns it off by default, and --fake-ids yes turns it back on" {
        export NOOK_CONF_SITE="$TMP/nook.conf"
        printf '[Defaults]\nFakeIds=no\n' >"$NOOK_CONF_SITE"
        deb debian:12 -- chown 33:33 /etc/motd
        [ "$status" -ne 0 ] || { show_run; fail "chown succeeded with FakeIds=no in nook.conf"; }
        deb --fake-ids yes debian:12 -- chown 33:33 /etc/motd
        assert_status 0
        printf '[Defaults]\nFakeIds=maybe\n' >"$NOOK_CONF_SITE"
        deb debian:12 -- true
        [ "$status" -eq 125 ] || { show_run; fail "a bad FakeIds= was not refused"; }
        [[ "$stderr" == *"$NOOK_CONF_SITE:2: FakeIds=maybe is not one of auto, yes, no"* ]] || { show_run; fail "message"; }
}
