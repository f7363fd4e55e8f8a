#!/usr/bin/env bats
# The shipped library (profiles/*.profile) and its manual: every profile is
# valid, the promised ones exist, `default` is the sandbox `nook run` promises,
# each app profile runs its app where the app is installed, and
# nook.profile(5) documents every key.

load helpers

setup() {
        common_setup
        [ -n "${NOOK_SRCDIR:-}" ] ||
                skip "NOOK_SRCDIR is not set (the runner sets it to the source tree holding profiles/ and doc/)"
        LIB="${NOOK_SRCDIR:?}/data/profiles"
        MAN="$NOOK_SRCDIR/doc/nook.profile.5"
        # nothing of the real home is read or written: every directory nook
        # looks at belongs to this test
        export HOME="$TMP/home"
        export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" XDG_CACHE_HOME="$TMP/cache"
        mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
        export NOOK_PROFILES_DIR="$LIB"
}

BLOCKS=(default base no-home network-client gui gui-wayland gui-x11 audio gpu dev-tools)
APPS=(bash sh python3 node build curl wget git firefox chromium libreoffice mpv vlc evince gimp vim)

# library_files: every NAME.profile of the library, one a line.
library_files() { find "$LIB" -maxdepth 1 -name '*.profile' -type f | sort; }

# missing_profiles NAME...: prints the names the library has no file for.
missing_profiles() {
        local n
        for n in "$@"; do [ -f "$LIB/$n.profile" ] || echo "$n"; done
}

# app_runs PROFILE COMMAND [ARG...]: COMMAND runs in PROFILE's sandbox,
# exits 0 and says something, when it is installed here.
app_runs() {
        local profile=$1
        shift
        command -v "$1" >/dev/null || skip "host: $1 is not installed"
        [ -f "$LIB/$profile.profile" ] || fail "the library has no $profile.profile"
        mkdir -p "$TMP/work" && cd "$TMP/work"
        run --separate-stderr nook run "$profile" -- "$@" </dev/null
        assert_status 0
        [ -n "$output" ] || { show_run >&2; fail "$* printed nothing"; }
}

# ---- the library as a whole ---------------------------------------------------------

@test "the library has the building blocks" {
        local missing
        missing=$(missing_profiles "${BLOCKS[@]}")
        [ -z "$missing" ] || fail "missing from $LIB:" "$missing"
}

@test "the library has the app profiles" {
        local missing
        missing=$(missing_profiles "${APPS[@]}")
        [ -z "$missing" ] || fail "missing from $LIB:" "$missing"
}

@test "the whole library passes nook profile check" {
        local files
        mapfile -t files < <(library_files)
        [ "${#files[@]}" -gt 0 ] || fail "no *.profile in $LIB"
        run --separate-stderr nook profile check "${files[@]}"
        assert_status 0
        [ -z "$stderr" ] || { show_run >&2; fail "expected no diagnostics"; }
}

@test "every library profile resolves to valid JSON" {
        local f bad=()
        while read -r f; do
                run --separate-stderr nook profile show --json "$f"
                [ "$status" -eq 0 ] && python3 -c 'import json, sys; json.load(sys.stdin)' <<<"$output" ||
                        bad+=("$f")
        done < <(library_files)
        [ "${#bad[@]}" -eq 0 ] || fail "no valid JSON for:" "${bad[@]}"
}

@test "every library profile has a Description of its own" {
        local f name bad=()
        run --separate-stderr nook profile ls
        assert_status 0
        while read -r f; do
                name=${f##*/} name=${name%.profile}
                grep -Eq "^$name +[^ -].* +$LIB/$name.profile\$" <<<"$output" || bad+=("$name")
        done < <(library_files)
        [ "${#bad[@]}" -eq 0 ] || fail "no Description= (per 'nook profile ls'):" "${bad[@]}"
}

@test "every app profile has a Command=" {
        local a bad=()
        for a in "${APPS[@]}"; do
                [ -f "$LIB/$a.profile" ] || continue
                run --separate-stderr nook profile show --json "$a"
                [ "$status" -eq 0 ] && [[ "$output" != *'"command": null'* ]] || bad+=("$a")
        done
        [ "${#bad[@]}" -eq 0 ] || fail "no Command=:" "${bad[@]}"
}

# ---- the manual ----------------------------------------------------------------------

@test "nook.profile(5) documents every key as Key=" {
        local k missing=()
        [ -f "$MAN" ] || fail "no $MAN"
        run --separate-stderr nook profile keys
        assert_status 0
        for k in "${lines[@]}"; do
                k=${k%% *} k=${k#*.}
                grep -qF -- "$k=" "$MAN" || missing+=("$k=")
        done
        [ "${#missing[@]}" -eq 0 ] || fail "not in $MAN:" "${missing[@]}"
}

@test "nook.profile(5) documents every section" {
        local s missing=()
        [ -f "$MAN" ] || fail "no $MAN"
        for s in Profile Image Run Filesystem Network Security Limits Desktop; do
                grep -qF -- "[$s]" "$MAN" || missing+=("[$s]")
        done
        [ "${#missing[@]}" -eq 0 ] || fail "not in $MAN:" "${missing[@]}"
}

# ---- default: what `nook run -- COMMAND` promises ---------------------------------

@test "default: the host system is read-only" {
        [ -f "$LIB/default.profile" ] || fail "the library has no default.profile"
        ask -- write /usr/nook-probe-write
        assert_answer EROFS
}

@test "default: the home is empty and writable, and not the host's" {
        [ -f "$LIB/default.profile" ] || fail "the library has no default.profile"
        echo secret >"$HOME/host-file"
        ask_clean -- ls "$HOME"
        assert_answer ""
        ask_clean -- write "$HOME/new"
        assert_answer ok
        [ ! -e "$HOME/new" ] || fail "the sandbox wrote to the host's home"
}

@test "default: the current directory is read-write" {
        [ -f "$LIB/default.profile" ] || fail "the library has no default.profile"
        mkdir -p "$TMP/work" && cd "$TMP/work"
        ask -- write "$TMP/work/new"
        assert_answer ok
        [ -f "$TMP/work/new" ] || fail "the write did not reach the host"
}

@test "default: no network but loopback" {
        [ -f "$LIB/default.profile" ] || fail "the library has no default.profile"
        ask -- ifaces
        assert_answer "lo:UP"
}

# ---- building blocks -------------------------------------------------------------

@test "no-home leaves no home" {
        [ -f "$LIB/no-home.profile" ] || fail "the library has no no-home.profile"
        run --separate-stderr nook profile show --json no-home
        assert_status 0
        assert_output_has '"home": "none"'
}

@test "network-client gives a private network with a way out (slirp)" {
        [ -f "$LIB/network-client.profile" ] || fail "the library has no network-client.profile"
        run --separate-stderr nook profile show --json network-client
        assert_status 0
        assert_output_has '"network": "slirp"'
}

# ---- each app in its profile ---------------------------------------------------------

@test "bash: bash --version runs" { app_runs bash bash --version; }
@test "sh: sh runs a script" { app_runs sh sh -c 'echo ok'; }
@test "python3: python3 --version runs" { app_runs python3 python3 --version; }
@test "node: node --version runs" { app_runs node node --version; }
@test "build: make --version runs" { app_runs build make --version; }
@test "build: gcc --version runs" { app_runs build gcc --version; }
@test "curl: curl --version runs" { app_runs curl curl --version; }
@test "wget: wget --version runs" { app_runs wget wget --version; }
@test "git: git --version runs" { app_runs git git --version; }
@test "firefox: firefox --version runs" { app_runs firefox firefox --version; }
@test "chromium: chromium --version runs" { app_runs chromium chromium --version; }
@test "libreoffice: libreoffice --version runs" { app_runs libreoffice libreoffice --version; }
@test "mpv: mpv --version runs" { app_runs mpv mpv --version; }
@test "vlc: vlc --version runs" { app_runs vlc vlc --version; }
@test "evince: evince --version runs" { app_runs evince evince --version; }
@test "gimp: gimp --version runs" { app_runs gimp gimp --version; }
@test "vim: vim --version runs" { app_runs vim vim --version; }
