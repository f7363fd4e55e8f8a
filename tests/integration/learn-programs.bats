#!/usr/bin/env bats
# nook learn with real programs (curl, git, make and gcc): each learnt,
# then run again from the learnt profile alone (with, for curl, the name's
# fixture), where the stand-in key stays out of reach. Loopback only.

load learn-helpers

@test "curl by host name from a local web server: learnt, then run from the profile; another port stays unreachable" {
        command -v curl >/dev/null || skip "host: no curl"
        command -v slirp4netns >/dev/null || skip "host: no slirp4netns"
        mkdir -p "$TMP/site" "$HOME/Downloads"
        echo "page of the test" >"$TMP/site/index.html"
        web port "$TMP/site"
        hello other
        # web.test is 127.0.0.1 on the host; inside slirp the host's loopback is 10.0.2.2
        printf '127.0.0.1 localhost\n127.0.0.1 web.test\n' >"$TMP/hosts-host"
        printf '127.0.0.1 localhost\n10.0.2.2 web.test\n' >"$TMP/hosts-slirp"
        cd "$HOME"
        learn --ro-bind "$TMP/hosts-host:/etc/hosts" -- curl -sS --noproxy '*' -o "$HOME/Downloads/page.html" "http://web.test:$port/index.html"
        assert_status 0
        [ "$(cat "$HOME/Downloads/page.html")" = "page of the test" ] || fail "the learning run did not fetch"
        grep -qx 'Mode=slirp' "$F"
        grep -qx 'AllowHostLoopback=yes' "$F"
        grep -qx "Allow=10.0.2.2:$port" "$F"
        grep -qx 'Bind=${DOWNLOADS}' "$F" || { cat "$F" >&2; fail "not \${DOWNLOADS}"; }
        rm "$HOME/Downloads/page.html"
        under_named() { run --separate-stderr "$NOOK" run --profile "$F" --ro-bind "$TMP/hosts-slirp:/etc/hosts" -- "$@"; }
        under_named curl -sS --noproxy '*' -o "$HOME/Downloads/page.html" "http://web.test:$port/index.html"
        assert_status 0
        [ "$(cat "$HOME/Downloads/page.html")" = "page of the test" ] || fail "the profile's run did not fetch"
        under_named curl -sS --noproxy '*' --max-time 5 "http://web.test:$other/"
        [ "$status" -ne 0 ] || fail "a port never contacted was reached"
        no_key
}

@test "git commit in a repository under ~/src: learnt, then a second commit from the profile" {
        command -v git >/dev/null || skip "host: no git"
        local repo="$HOME/src/proj"
        mkdir -p "$repo"
        git -C "$repo" init -q
        git -C "$repo" config user.name test
        git -C "$repo" config user.email test@localhost
        echo one >"$repo/file"
        git -C "$repo" add file
        git -C "$repo" commit -qm first
        echo two >>"$repo/file"
        cd "$HOME"
        learn -- git -C "$repo" commit -qam second
        assert_status 0
        [ "$(git -C "$repo" log --format=%s -1)" = second ] || fail "the learning run did not commit"
        grep -q '^Bind=${HOME}/src/proj/.git' "$F"
        ! grep -q '^Bind=${HOME}/src/proj$' "$F" || fail "the work tree is writable, not only .git"
        echo three >>"$repo/file"
        under git -C "$repo" commit -qam third
        assert_status 0
        [ "$(git -C "$repo" log --format=%s -1)" = third ] || { show_run >&2; fail "the profile's run did not commit"; }
        [ "$(git -C "$repo" rev-list --count HEAD)" -eq 3 ]
        no_key
}

# cproject DIR: six sources, each including a header of its own from ~/src/inc
cproject() {
        mkdir -p "$1" "$HOME/src/inc"
        local objs="" i
        for i in 1 2 3 4 5 6; do
                printf 'int f%s(void) { return %s; }\n' "$i" "$i" >"$HOME/src/inc/h$i.h"
                printf '#include "h%s.h"\nint g%s(void) { return f%s(); }\n' "$i" "$i" "$i" >"$1/m$i.c"
                objs="$objs m$i.o"
        done
        printf 'int g1(void), g2(void), g3(void), g4(void), g5(void), g6(void);\nint main(void) { return g1() + g2() + g3() + g4() + g5() + g6() == 21 ? 0 : 1; }\n' >"$1/main.c"
        printf 'CFLAGS = -I%s\nprog: main.o%s\n\t$(CC) -o $@ $^\nclean:\n\trm -f prog *.o\n' "$HOME/src/inc" "$objs" >"$1/Makefile"
}

@test "make -j4 of a small C project is followed completely: every compiler's header, then built again from the profile" {
        command -v make >/dev/null && command -v cc >/dev/null || skip "host: no make or cc"
        local proj="$HOME/src/cproj"
        cproject "$proj"
        cd "$proj"
        learn --report -- make -s -j4
        assert_status 0
        "$proj/prog" || fail "the learning run did not build"
        for i in 1 2 3 4 5 6; do
                grep -qx "BindReadOnly=\${HOME}/src/inc/h$i.h" "$F" || { cat "$F" >&2; fail "h$i.h, read by one compiler of six, is missing"; }
        done
        grep -qx 'Cwd=yes' "$F"
        [[ "$output" == *"Programs run:"*"/make "*"/cc1 "*"/as "* ]] || { show_run >&2; fail "the compilers are not among the programs"; }
        make -s clean
        under make -s -j4
        assert_status 0
        "$proj/prog" || fail "the profile's run did not build"
        no_key
}
