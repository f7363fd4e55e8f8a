# Shared by the learn*.bats files: a home of the test's own, a stand-in
# ~/.ssh key, and the two ways of running nook they use.

load helpers

learn_setup() {
        common_setup
        export HOME="$TMP/home"
        export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
        export NOOK_PROFILES_DIR="${NOOK_SRCDIR:?}/data/profiles"
        mkdir -p "$HOME/.ssh" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
        echo "not for the sandbox" >"$HOME/.ssh/id_ed25519"
        F="$TMP/learnt.profile"
        netserver="$BATS_TEST_DIRNAME/netserver.py"
}

setup() { learn_setup; }

# The python3 of the tests: reads a config file, writes a report.
APP='import os
h = os.path.expanduser("~")
conf = open(h + "/.config/app/conf.ini").read()
os.makedirs(h + "/out", exist_ok=True)
open(h + "/out/report.txt", "w").write("report of " + conf)'

app_home() {
        mkdir -p "$HOME/.config/app"
        echo "[app] colour=blue" >"$HOME/.config/app/conf.ini"
        echo "unrelated" >"$HOME/.config/other.ini"
}

# learn ARG...: nook learn -o $F ARG...
learn() { run --separate-stderr "$NOOK" learn -o "$F" "$@"; }

# under COMMAND...: the command in a sandbox made from the learnt profile alone
under() { run --separate-stderr "$NOOK" run --profile "$F" -- "$@"; }

# no_key: the stand-in key cannot be read under the learnt profile
no_key() {
        under cat "$HOME/.ssh/id_ed25519"
        [ "$status" -ne 0 ] || fail "the stand-in key was readable"
        assert_output_lacks "not for the sandbox"
}

# hello VAR: a "hello" server on 127.0.0.1 (tests/integration/netserver.py); VAR gets its port
hello() {
        local pf="$TMP/port-$1"
        python3 "$netserver" hello "$pf" 20 >"$TMP/server-$1.log" 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -s "$pf" || fail "the hello server did not start"
        printf -v "$1" '%s' "$(cat "$pf")"
}

# web VAR DIR: an HTTP server of DIR on 127.0.0.1 (ends by itself after
# 30 s); VAR gets its port
web() {
        local pf="$TMP/web-$1"
        python3 -c 'import functools, http.server, sys, threading
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(30, s.shutdown).start()
s.serve_forever()' "$pf" "$2" >"$TMP/web-$1.log" 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
        wait_until 50 test -s "$pf" || fail "the web server did not start"
        printf -v "$1" '%s' "$(cat "$pf")"
}
