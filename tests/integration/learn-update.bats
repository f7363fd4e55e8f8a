#!/usr/bin/env bats
# nook learn --update FILE: what a new run used merged into a profile the
# user has edited, the user's lines kept as they are.

load learn-helpers

# update ARG...: nook learn --update $F ARG...
update() { run --separate-stderr "$NOOK" learn --update "$F" "$@"; }

# kept OLD: $F is OLD with lines added, none changed or removed
kept() {
        ! diff "$1" "$F" | grep '^<' >&2 || fail "the user's lines were changed"
}

setup() {
        learn_setup
        mkdir -p "$HOME/.config/app"
        echo "[app] colour=blue" >"$HOME/.config/app/conf.ini"
        echo extra >"$HOME/extra.txt"
        learn -- cat "$HOME/.config/app/conf.ini"
        assert_status 0
        # the user's edits: a comment, a key of their own
        sed -i 's|^\[Filesystem\]$|[Filesystem]\n# mine: keep this\nTmpfs=/scratch|' "$F"
        cp "$F" "$TMP/edited"
}

@test "--update adds what the new run used, under its section, and keeps the user's lines" {
        update -- cat "$HOME/.config/app/conf.ini" "$HOME/extra.txt"
        assert_status 0
        [[ "$stderr" == *"updated $F: 1 line added"* ]] || { show_run >&2; fail "no summary"; }
        kept "$TMP/edited"
        [ "$(grep -c '^BindReadOnly=${HOME}/.config/app/conf.ini$' "$F")" -eq 1 ] || fail "a line is repeated"
        # the new line is in [Filesystem], after the user's lines of it
        awk '/^\[/ { s = $0 } /^BindReadOnly=\$\{HOME\}\/extra.txt$/ { print s }' "$F" | grep -qx '\[Filesystem\]' ||
                { cat "$F" >&2; fail "not added under [Filesystem]"; }
        grep -q '^# added by nook learn --update, from a run of cat$' "$F"
        under cat "$HOME/extra.txt"
        assert_output extra
        no_key
}

@test "--update with nothing new changes nothing" {
        update -- cat "$HOME/.config/app/conf.ini"
        assert_status 0
        [[ "$stderr" == *"0 lines added"* ]]
        cmp "$F" "$TMP/edited"
}

@test "--update adds no bind below one of the user's that gives as much" {
        sed -i 's|^BindReadOnly=${HOME}/.config/app/conf.ini$|BindReadOnly=${HOME}/.config|' "$F"
        cp "$F" "$TMP/edited"
        echo other >"$HOME/.config/app/other.ini"
        update -- cat "$HOME/.config/app/conf.ini" "$HOME/.config/app/other.ini"
        assert_status 0
        cmp "$F" "$TMP/edited" || { cat "$F" >&2; fail "a covered bind was added"; }
}

@test "--update keeps the user's value of a key given once, and says so; a section missing is made" {
        hello port
        sed -i '/^\[Network\]$/,$d' "$F"
        printf '[Network]\nMode=host\n' >>"$F"
        cp "$F" "$TMP/edited"
        update --ro-bind "$netserver" -- python3 "$netserver" connect 127.0.0.1 "$port"
        assert_status 0
        [[ "$stderr" == *"kept Mode=host of [Network] (this run: Mode=slirp)"* ]] || { show_run >&2; fail "not said"; }
        kept "$TMP/edited"
        grep -qx 'Mode=host' "$F"
        ! grep -qx 'Mode=slirp' "$F"
        grep -qx "Allow=10.0.2.2:$port" "$F"
        printf '[Profile]\nInclude=base\n' >"$F"
        update -- cat "$HOME/extra.txt"
        assert_status 0
        grep -qx '\[Filesystem\]' "$F" || { cat "$F" >&2; fail "no section made"; }
        grep -qx 'BindReadOnly=${HOME}/extra.txt' "$F"
}

@test "--update of a file that is not there says to use -o, and writes nothing" {
        rm "$F"
        update -- true
        assert_nook_error "-o writes a new one"
        [ ! -e "$F" ]
}

@test "--update reads the profile opened before the run: a link the command puts at its name (to nook's environment, or a hidden file) is not read into it" {
        echo "hidden from the sandbox" >"$HOME/secret.txt"
        # in the home, which the learning run (Home=host) can write
        local p="$HOME/app.profile"
        cp "$TMP/edited" "$p"
        # first in the environment: the profile is read as text, up to a NUL
        run --separate-stderr env -i GITHUB_TOKEN=ghp_not_for_the_sandbox HOME="$HOME" PATH="$PATH" \
                XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_DATA_HOME="$XDG_DATA_HOME" NOOK_PROFILES_DIR="$NOOK_PROFILES_DIR" \
                ${XDG_RUNTIME_DIR:+XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR"} "$NOOK" learn --update "$p" -- \
                sh -c 'ln -sf /proc/self/environ "$HOME/x" && mv -f "$HOME/x" "$HOME/app.profile" && test -L "$HOME/app.profile"'
        assert_status 0
        ! grep -q ghp_not_for_the_sandbox "$p" || fail "nook's environment was copied into the profile"
        grep -q '^# mine: keep this$' "$p" || fail "the user's profile was not the one updated"
        cp "$TMP/edited" "$p"
        run --separate-stderr "$NOOK" learn --hide "$HOME/secret.txt" --update "$p" -- \
                sh -c 'cat "$HOME/secret.txt"; ln -sf "$HOME/secret.txt" "$HOME/x" && mv -f "$HOME/x" "$HOME/app.profile" && test -L "$HOME/app.profile"'
        assert_status 0
        [[ "$output" != *"hidden from the sandbox"* ]] || fail "the Hide= did not hold"
        ! grep -q "hidden from the sandbox" "$p" || fail "a hidden file was copied into the profile"
        grep -q '^# mine: keep this$' "$p" || fail "the user's profile was not the one updated"
}

@test "--update of a fifo is refused before the command runs" {
        rm "$F"
        mkfifo "$F"
        run --separate-stderr timeout 20 "$NOOK" learn --update "$F" -- sh -c 'echo ran >"$HOME/ran"'
        assert_nook_error "not a regular file"
        [ ! -e "$HOME/ran" ]
}
