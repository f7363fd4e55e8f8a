#!/usr/bin/env bats
# nook learn: a command run under the observer, and the profile it writes
# run on its own. Everything lives in a home of the test's own; the
# network is 127.0.0.1 only.

load learn-helpers

@test "python3 learnt: the profile alone runs it, and nothing else of the home is there" {
        app_home
        learn -- python3 -c "$APP"
        assert_status 0
        [ -s "$HOME/out/report.txt" ] || fail "the learning run did not work"
        grep -qx 'Include=base' "$F"
        grep -qx 'BindReadOnly=${HOME}/.config/app/conf.ini' "$F"
        grep -qx 'Bind=${HOME}/out' "$F"
        grep -qx 'Mode=none' "$F"
        ! grep -q 'other.ini\|\.ssh' "$F"
        rm "$HOME/out/report.txt"
        under python3 -c "$APP"
        assert_status 0
        [ "$(cat "$HOME/out/report.txt")" = "report of [app] colour=blue" ]
        under cat "$HOME/.ssh/id_ed25519"
        [ "$status" -ne 0 ]
        assert_output_lacks "not for the sandbox"
        under cat "$HOME/.config/other.ini"
        [ "$status" -ne 0 ]
}

@test "a written file's bind is read-write, a read one's read-only" {
        app_home
        learn -- python3 -c "$APP"
        assert_status 0
        under sh -c 'echo x >"$HOME/.config/app/conf.ini"'
        [ "$status" -ne 0 ]
        [ "$(cat "$HOME/.config/app/conf.ini")" = "[app] colour=blue" ]
        under sh -c 'echo more >"$HOME/out/extra"'
        assert_status 0
        [ -f "$HOME/out/extra" ]
}

@test "a home path under an XDG directory is written with its variable, and the profile runs; --update takes \${HOME}/.config as covering it" {
        unset XDG_CONFIG_HOME
        app_home
        learn -- cat "$HOME/.config/app/conf.ini"
        assert_status 0
        grep -qx 'BindReadOnly=${XDG_CONFIG_HOME}/app/conf.ini' "$F" || { cat "$F" >&2; fail "not under \${XDG_CONFIG_HOME}"; }
        under cat "$HOME/.config/app/conf.ini"
        assert_status 0
        assert_output "[app] colour=blue"
        sed -i 's|^BindReadOnly=${XDG_CONFIG_HOME}/app/conf.ini$|BindReadOnly=${HOME}/.config|' "$F"
        run --separate-stderr "$NOOK" learn --update "$F" -- cat "$HOME/.config/other.ini"
        assert_status 0
        ! grep -q '^BindReadOnly=${XDG_CONFIG_HOME}' "$F" || { cat "$F" >&2; fail "a bind the user's covers was added"; }
}

@test "a bind() is said as a server, never published; the socket families used become SocketFamilies=, and hold" {
        learn -- python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); print("listening")'
        assert_status 0
        grep -q '^# listened on 127.0.0.1:0 (1 time, first by python3): to reach it from the host, add PublishPort=' "$F" ||
                { cat "$F" >&2; fail "the bind is not said"; }
        ! grep -q '^PublishPort=' "$F" || fail "a port was published"
        grep -qx 'Mode=none' "$F" || { cat "$F" >&2; fail "a bind made a network"; }
        grep -qx 'SocketFamilies=inet' "$F" || { cat "$F" >&2; fail "no SocketFamilies=inet"; }
        under python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 0)); print("inet ok"); socket.socket(socket.AF_INET6)'
        [ "$status" -ne 0 ] || fail "an inet6 socket was made under the learnt profile"
        [[ "$output" == *"inet ok"* && "$stderr" == *"Address family not supported"* ]] || { show_run >&2; fail "families"; }
}

@test "tar x of an archive from ~/Downloads into the current directory: learnt, then run from the profile" {
        mkdir -p "$TMP/src/pkg" "$HOME/Downloads" "$HOME/work"
        echo one >"$TMP/src/pkg/a.txt"
        echo two >"$TMP/src/pkg/b.txt"
        tar -C "$TMP/src" -cf "$HOME/Downloads/pkg.tar" pkg
        cd "$HOME/work"
        learn -- tar xf "$HOME/Downloads/pkg.tar"
        assert_status 0
        grep -qx 'Cwd=yes' "$F"
        grep -qx 'BindReadOnly=${DOWNLOADS}/pkg.tar' "$F" || { cat "$F" >&2; fail "not under \${DOWNLOADS}"; }
        ! grep -q '^Bind.*work' "$F"
        rm -r "$HOME/work/pkg"
        under tar xf "$HOME/Downloads/pkg.tar"
        assert_status 0
        [ "$(cat "$HOME/work/pkg/b.txt")" = two ]
        under cat "$HOME/.ssh/id_ed25519"
        [ "$status" -ne 0 ]
}

@test "every process and thread of a command is followed" {
        mkdir -p "$HOME/a" "$HOME/b" "$HOME/c" "$HOME/t"
        echo 1 >"$HOME/a/one"
        echo 2 >"$HOME/b/two"
        echo 3 >"$HOME/c/three"
        for i in 1 2 3 4; do echo "$i" >"$HOME/t/$i"; done
        learn -- sh -c 'cat ~/a/one >/dev/null & (cat ~/b/two >/dev/null; sh -c "cat ~/c/three" >/dev/null) & wait
                python3 -c "
import os, threading
h = os.path.expanduser(\"~\")
ts = [threading.Thread(target=lambda i=i: open(h + \"/t/\" + str(i)).read()) for i in range(1, 5)]
[t.start() for t in ts]
[t.join() for t in ts]"'
        assert_status 0
        for p in a/one b/two c/three t/1 t/2 t/3 t/4; do
                grep -qx "BindReadOnly=\${HOME}/$p" "$F" || fail "~/$p is missing from the profile"
        done
        grep -q '^# read, 1 time, first by cat' "$F"
        grep -q '^# read, 1 time, first by python3' "$F"
}

@test "past the threshold, a directory is bound instead of its files" {
        mkdir -p "$HOME/many"
        for i in $(seq 1 20); do echo "$i" >"$HOME/many/f$i"; done
        learn -- sh -c 'cat ~/many/* >/dev/null'
        assert_status 0
        grep -qx 'BindReadOnly=${HOME}/many' "$F"
        ! grep -q 'many/f' "$F"
}

@test "a file the command looked for and did not find is not bound" {
        learn -- sh -c 'cat ~/.missingrc 2>/dev/null; true'
        assert_status 0
        ! grep -q 'missingrc' "$F"
        under true
        assert_status 0
}

@test "a directory only listed (O_DIRECTORY, whose bit O_TMPFILE holds) is neither bound nor made writable" {
        mkdir -p "$HOME/sub/d"
        touch "$HOME/sub/d/x"
        learn -- python3 -c 'import os; print(os.listdir(os.path.expanduser("~/sub/d")))'
        assert_status 0
        ! grep -q '^Bind.*sub' "$F" || { cat "$F" >&2; fail "a listed directory was bound"; }
}

@test "a name with a line break or a comment in it cannot write a line of the profile" {
        mkdir -p "$HOME/d"
        local evil=$'x\nHome=host' hash="$HOME/d/a #b"
        echo 1 >"$HOME/d/$evil"
        echo 2 >"$hash"
        learn -- sh -c 'cat "$1" "$2" >/dev/null' sh "$HOME/d/$evil" "$hash"
        assert_status 0
        ! grep -q '^Home=host' "$F"
        ! grep -q '^Bind.*/d/a' "$F"
        grep -q '^# not bound (a name Bind= cannot hold): ~/d/x?Home=host' "$F"
        under cat "$HOME/.ssh/id_ed25519"
        [ "$status" -ne 0 ]
}

@test "a bound symbolic link is pointed out with its target" {
        mkdir -p "$HOME/real"
        echo data >"$HOME/real/file"
        ln -s real/file "$HOME/link"
        learn -- cat "$HOME/link"
        assert_status 0
        grep -qx 'BindReadOnly=${HOME}/link' "$F"
        grep -qx '# (a symbolic link: what is bound is its target, real/file)' "$F"
}

@test "Seccomp=none cannot be learnt" {
        learn --seccomp none -- true
        assert_nook_error "Seccomp=none"
        [ ! -e "$F" ]
}

@test "an existing profile is not overwritten without --force" {
        echo "# mine" >"$F"
        learn -- true
        [ "$status" -ne 0 ]
        assert_nook_error "exists"
        [ "$(cat "$F")" = "# mine" ]
        learn --force -- true
        assert_status 0
        grep -qx 'Include=base' "$F"
}

@test "--force replaces a symbolic link left at the profile's name, never writes through it" {
        echo "precious" >"$HOME/precious"
        ln -s "$HOME/precious" "$F"
        learn -- true
        [ "$status" -ne 0 ]
        learn --force -- true
        assert_status 0
        [ ! -L "$F" ]
        grep -qx 'Include=base' "$F"
        [ "$(cat "$HOME/precious")" = "precious" ]
        [ -z "$(find "$TMP" -maxdepth 1 -name 'learnt.profile.tmp-*')" ]
}

@test "a fifo at the profile's name is refused, not waited on: without --force, and with --update" {
        mkfifo "$F"
        run --separate-stderr timeout 20 "$NOOK" learn -o "$F" -- true
        [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
        assert_nook_error "exists"
        run --separate-stderr timeout 20 "$NOOK" learn --update "$F" -- true
        [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
        assert_nook_error "not a regular file"
        [ -p "$F" ]
}

@test "without -o, the profile is the command's name in the user's profile directory" {
        run --separate-stderr "$NOOK" learn --base default -- true
        assert_status 0
        grep -qx 'Include=default' "$XDG_CONFIG_HOME/nook/profiles/true.profile"
        run --separate-stderr "$NOOK" run true -- true
        assert_status 0
}

@test "learning enforces the default filter: what it refuses stays refused" {
        command -v unshare >/dev/null || skip "host: no unshare"
        learn -- unshare -U true
        [ "$status" -ne 0 ]
        [[ "$stderr" == *"Operation not permitted"* ]]
}

@test "a connection to 127.0.0.1 is learnt as the host's loopback through slirp, and only that port" {
        command -v slirp4netns >/dev/null || skip "host: no slirp4netns"
        hello port
        hello other
        learn --ro-bind "$netserver" -- python3 "$netserver" connect 127.0.0.1 "$port"
        assert_status 0
        [ "$output" = "ok hello $port" ]
        grep -qx 'Mode=slirp' "$F"
        grep -qx 'AllowHostLoopback=yes' "$F"
        grep -qx "Allow=10.0.2.2:$port" "$F"
        ! grep -q '^Allow=10.0.2.3' "$F"
        run --separate-stderr "$NOOK" run --profile "$F" --ro-bind "$netserver" -- python3 "$netserver" connect 10.0.2.2 "$port" 5
        assert_output "ok hello $port"
        run --separate-stderr "$NOOK" run --profile "$F" --ro-bind "$netserver" -- python3 "$netserver" connect 10.0.2.2 "$other" 3
        [[ "$output" == "error "* ]] || { show_run >&2; fail "the port not learnt was reached"; }
}

@test "a name server asked (a connect to port 53) is learnt as slirp's DNS forwarder, not as the host's loopback" {
        # a stand-in for the resolver: a UDP connect sends nothing
        learn -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 53))'
        assert_status 0
        grep -qx 'Mode=slirp' "$F"
        grep -qx 'Allow=10.0.2.3:53' "$F"
        ! grep -q 'AllowHostLoopback\|10.0.2.2' "$F"
}

@test "a datagram sent with sendto to 127.0.0.1, unconnected, is learnt as the host's loopback and its port" {
        learn -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", ("127.0.0.1", 40999))'
        assert_status 0
        grep -qx 'Mode=slirp' "$F" || { cat "$F" >&2; fail "the sendto was not seen"; }
        grep -qx 'Allow=10.0.2.2:40999' "$F"
        grep -q '^# 127.0.0.1:40999, 1 time, first by python3$' "$F"
}

@test "writes on a connected socket (sendto without an address) are not notified" {
        learn -- python3 -c 'import socket
a, b = socket.socketpair()
for i in range(1000):
    a.send(b"y")
    b.recv(1)'
        assert_status 0
        [[ "$stderr" =~ \(([0-9]+)\ calls\ observed\) ]] || fail "no count: $stderr"
        [ "${BASH_REMATCH[1]}" -lt 500 ] || fail "${BASH_REMATCH[1]} calls observed: the sends were notified"
        grep -qx 'Mode=none' "$F"
}
