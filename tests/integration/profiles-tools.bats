#!/usr/bin/env bats
# `nook profile ls|show|check|keys`: what each prints and how it exits.

load profiles-helpers

setup() { profiles_setup; }

# assert_line_matches REGEX: some line of $output matches REGEX.
assert_line_matches() {
        local l
        for l in "${lines[@]}"; do [[ "$l" =~ $1 ]] && return 0; done
        show_run >&2
        fail "expected a line matching: $1"
}

# re TEXT: TEXT quoted for use in a bash regex.
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# is_json: $output is valid JSON.
is_json() { python3 -c 'import json, sys; json.load(sys.stdin)' <<<"$output"; }

# ---- ls ------------------------------------------------------------------------------

@test "profile ls starts with a NAME DESCRIPTION SOURCE header" {
        run --separate-stderr nook profile ls
        assert_status 0
        [[ "${lines[0]}" =~ ^NAME\ +DESCRIPTION\ +SOURCE$ ]] || { show_run >&2; fail "expected the header first"; }
}

@test "profile ls lists each profile with its description and source file" {
        profile app <<'EOF'
[Profile]
Description=An application
EOF
        run --separate-stderr nook profile ls
        assert_status 0
        assert_line_matches "^app +An application +$(re "$P/app.profile")\$"
}

@test "profile ls shows '-' for a profile without a description" {
        printf '[Run]\nHostname=x\n' >"$P/bare.profile"
        run --separate-stderr nook profile ls
        assert_status 0
        assert_line_matches "^bare +- +$(re "$P/bare.profile")\$"
}

@test "profile ls lists a profile of the config dir once, over the library's" {
        printf '[Profile]\nDescription=shipped\n' >"$P/app.profile"
        printf '[Profile]\nDescription=mine\n' >"$C/app.profile"
        run --separate-stderr nook profile ls
        assert_status 0
        assert_line_matches "^app +mine +$(re "$C/app.profile")\$"
        [ "$(grep -c '^app ' <<<"$output")" -eq 1 ] || { show_run >&2; fail "expected app listed once"; }
}

@test "profile ls lists profiles of every directory, sorted by name" {
        printf '[Profile]\nDescription=z\n' >"$P/zeta.profile"
        printf '[Profile]\nDescription=m\n' >"$C/mid.profile"
        printf '[Profile]\nDescription=a\n' >"$P/alpha.profile"
        run --separate-stderr nook profile ls
        assert_status 0
        [ "$(sed 1d <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" = "alpha mid zeta " ] ||
                { show_run >&2; fail "expected alpha, mid, zeta in that order"; }
}

@test "profile ls ignores files that are not NAME.profile" {
        printf '[Profile]\nDescription=a\n' >"$P/real.profile"
        printf 'x\n' >"$P/README"
        printf '[Run]\n' >"$P/.hidden.profile"
        printf '[Run]\n' >"$P/old.profile.bak"
        mkdir -p "$P/real.profile.d"
        printf '[Run]\n' >"$P/real.profile.d/10-x.conf"
        run --separate-stderr nook profile ls
        assert_status 0
        [ "${#lines[@]}" -eq 2 ] || { show_run >&2; fail "expected the header and one profile"; }
        assert_line_matches "^real "
}

@test "profile ls takes the description of the file itself, not of an include" {
        printf '[Profile]\nDescription=base\n' >"$P/base.profile"
        profile app <<'EOF'
[Profile]
Include=base
EOF
        run --separate-stderr nook profile ls
        assert_status 0
        assert_line_matches "^app +- +"
}

# ---- show ----------------------------------------------------------------------------

@test "profile show annotates each line with the file:line it came from" {
        profile app <<'EOF'
[Profile]
Description=The app

[Run]
Hostname=box
Environment=A=1
EOF
        run --separate-stderr nook profile show app
        assert_status 0
        assert_line_matches "^Description=The app +# $(re "$F"):2\$"
        assert_line_matches "^Hostname=box +# $(re "$F"):5\$"
        assert_line_matches "^Environment=A=1 +# $(re "$F"):6\$"
}

@test "profile show prints each key under its section" {
        profile app <<'EOF'
[Filesystem]
Bind=/usr
[Run]
Hostname=box
EOF
        run --separate-stderr nook profile show app
        assert_status 0
        local section="" l ok=0
        for l in "${lines[@]}"; do
                [[ "$l" =~ ^\[(.*)\]$ ]] && section=${BASH_REMATCH[1]}
                [[ "$l" == Bind=* ]] && { [ "$section" = Filesystem ] || fail "Bind= under [$section]"; ok=$((ok + 1)); }
                [[ "$l" == Hostname=* ]] && { [ "$section" = Run ] || fail "Hostname= under [$section]"; ok=$((ok + 1)); }
        done
        [ "$ok" -eq 2 ] || { show_run >&2; fail "expected Bind= and Hostname= lines"; }
}

@test "profile show annotates included values with the include's file:line" {
        printf '# base\n[Filesystem]\nBind=/usr\n' >"$P/base.profile"
        profile app <<'EOF'
[Profile]
Include=base
[Filesystem]
Bind=/etc
EOF
        run --separate-stderr nook profile show app
        assert_status 0
        assert_line_matches "^Bind=/usr +# $(re "$P/base.profile"):3\$"
        assert_line_matches "^Bind=/etc +# $(re "$F"):4\$"
}

@test "profile show annotates a drop-in's value with the drop-in's file:line" {
        printf '[Run]\nHostname=profile\n' >"$P/app.profile"
        mkdir -p "$P/app.profile.d"
        printf '[Run]\n\nHostname=dropin\n' >"$P/app.profile.d/10-x.conf"
        run --separate-stderr nook profile show app
        assert_status 0
        assert_line_matches "^Hostname=dropin +# $(re "$P/app.profile.d/10-x.conf"):3\$"
        assert_output_lacks "Hostname=profile"
}

@test "profile show prints a profile that reads back the same" {
        profile app <<'EOF'
[Profile]
Description=Round trip
[Run]
Command=/bin/echo 'a b' c
Environment=A=1
Hostname=box
[Filesystem]
Bind=/usr
Tmpfs=/scratch:size=1M
Home=private
[Limits]
NoFile=64
EOF
        run --separate-stderr nook profile show --json app
        assert_status 0
        local before=$output
        run --separate-stderr nook profile show app
        assert_status 0
        printf '%s\n' "$output" >"$TMP/shown.profile"
        run --separate-stderr nook profile show --json "$TMP/shown.profile"
        assert_status 0
        [ "$output" = "$before" ] || { diff <(echo "$before") <(echo "$output") >&2; fail "show's output resolves differently"; }
}

@test "profile show escapes a ' #' in a value so that it reads back" {
        profile app <<'EOF'
[Run]
Environment=A=x \#y
EOF
        run --separate-stderr nook profile show app
        assert_status 0
        printf '%s\n' "$output" >"$TMP/shown.profile"
        run --separate-stderr nook profile show --json "$TMP/shown.profile"
        assert_status 0
        assert_output_has '"A=x #y"'
}

@test "profile show prints a long value whole, so that it reads back" {
        local long
        long=$(printf 'v%.0s' $(seq 5000))
        printf '[Run]\nEnvironment=A=%s \\#tail\n' "$long" | profile app
        run --separate-stderr nook profile show app
        assert_status 0
        printf '%s\n' "$output" >"$TMP/shown.profile"
        run --separate-stderr nook profile show --json "$TMP/shown.profile"
        assert_status 0
        assert_output_has "\"A=$long #tail\""
}

@test "profile show --json is valid JSON" {
        printf '[Filesystem]\nBind=/usr\n' >"$P/base.profile"
        profile app <<'EOF'
[Profile]
Description=Quote " and \ backslash
Include=base
[Run]
Command=/bin/echo "a\"b"
Environment=A=1
User=root
[Filesystem]
Tmpfs=/scratch:size=1M
Device=/dev/kvm
[Security]
Capabilities=CAP_NET_BIND_SERVICE
SyscallDeny=getcwd
[Limits]
NoFile=64
Core=infinity
EOF
        run --separate-stderr nook profile show --json app
        assert_status 0
        is_json || { show_run >&2; fail "not valid JSON"; }
}

@test "profile show --json gives the resolved values" {
        profile app <<'EOF'
[Run]
User=root
[Security]
Capabilities=CAP_NET_BIND_SERVICE
[Limits]
NoFile=64
EOF
        run --separate-stderr nook profile show --json app
        assert_status 0
        run python3 -c 'import json, sys
j = json.loads(sys.argv[1])
print(j["uid"], [c.upper() for c in j["capabilities"]], j["limits"])' "$output"
        assert_output "0 ['CAP_NET_BIND_SERVICE'] {'NoFile': 64}"
}

@test "profile show of a profile that does not parse prints only diagnostics, exit 1" {
        profile bad <<'EOF'
[Run]
Hostnme=x
EOF
        run --separate-stderr nook profile show bad
        assert_status 1
        assert_output ""
        [[ "$stderr" == *"$F:2: unknown key 'Hostnme'"* ]] || { show_run >&2; fail "expected the diagnostic"; }
}

@test "profile show of an unknown name fails naming it" {
        run --separate-stderr nook profile show nosuchprofile
        assert_status 1
        [[ "$stderr" == *"no profile named 'nosuchprofile'"* ]] || { show_run >&2; fail "expected the name"; }
}

# ---- check ---------------------------------------------------------------------------

@test "profile check of a valid profile exits 0 and prints nothing" {
        profile good <<'EOF'
[Run]
Hostname=x
EOF
        run --separate-stderr nook profile check good
        assert_status 0
        assert_output ""
        [ -z "$stderr" ] || { show_run >&2; fail "expected nothing on stderr"; }
}

@test "profile check of an invalid profile exits 1" {
        profile bad <<'EOF'
[Run]
Hostnme=x
EOF
        run --separate-stderr nook profile check bad
        assert_status 1
}

@test "profile check takes several profiles: 0 when all are valid" {
        printf '[Run]\nHostname=a\n' >"$P/a.profile"
        printf '[Run]\nHostname=b\n' >"$P/b.profile"
        mkdir -p "$TMP/elsewhere"
        printf '[Run]\nHostname=c\n' >"$TMP/elsewhere/c.profile"
        run --separate-stderr nook profile check a b "$TMP/elsewhere/c.profile"
        assert_status 0
        [ -z "$stderr" ] || { show_run >&2; fail "expected nothing on stderr"; }
}

@test "profile check of several profiles reports every bad one and exits 1" {
        printf '[Run]\nHostnme=a\n' >"$P/bad1.profile"
        printf '[Run]\nHostname=b\n' >"$P/good.profile"
        printf '[Run]\n\nUsr=0\n' >"$P/bad2.profile"
        run --separate-stderr nook profile check bad1 good bad2
        assert_status 1
        [ "${#stderr_lines[@]}" -eq 2 ] || { show_run >&2; fail "expected two diagnostics"; }
        [[ "${stderr_lines[0]}" == "$P/bad1.profile:2: "* && "${stderr_lines[1]}" == "$P/bad2.profile:3: "* ]] ||
                { show_run >&2; fail "expected bad1.profile:2 then bad2.profile:3"; }
}

@test "profile check of a file that does not exist exits 1 naming it" {
        run --separate-stderr nook profile check "$TMP/nowhere.profile"
        assert_status 1
        [[ "$stderr" == *"$TMP/nowhere.profile"* ]] || { show_run >&2; fail "expected the path"; }
}

@test "profile check with nothing to check is a usage error" {
        run --separate-stderr nook profile check
        assert_status 2
}

@test "profile check accepts a file given as a path" {
        mkdir -p "$TMP/elsewhere"
        printf '[Run]\nHostname=x\n' >"$TMP/elsewhere/mine.profile"
        run --separate-stderr nook profile check "$TMP/elsewhere/mine.profile"
        assert_status 0
}

# ---- keys ----------------------------------------------------------------------------

@test "profile keys lists every key this version implements" {
        local k missing=()
        run --separate-stderr nook profile keys
        assert_status 0
        for k in Profile.Description Profile.Include \
                Run.Command Run.WorkingDirectory Run.User Run.Group Run.Environment \
                Run.UnsetEnvironment Run.ClearEnvironment Run.Hostname \
                Filesystem.Bind Filesystem.BindReadOnly Filesystem.BindTry Filesystem.Tmpfs \
                Filesystem.Hide Filesystem.Home Filesystem.Cwd Filesystem.Device \
                Network.Mode \
                Security.Seccomp Security.SyscallDeny Security.SyscallAllow Security.Capabilities \
                Limits.NoFile Limits.Processes Limits.CPUTime Limits.FileSize Limits.Core \
                Limits.Stack Limits.AddressSpace; do
                printf '%s\n' "${lines[@]}" | grep -qx -- "$k" || missing+=("$k")
        done
        [ "${#missing[@]}" -eq 0 ] || fail "not listed as implemented:" "${missing[@]}"
}

@test "every key profile keys lists as implemented is accepted in its section" {
        local k bad=()
        run --separate-stderr nook profile keys
        assert_status 0
        local keys=("${lines[@]}")
        for k in "${keys[@]}"; do
                [[ "$k" == *" "* ]] && continue
                printf '[%s]\n%s=\n' "${k%%.*}" "${k#*.}" >"$P/one.profile"
                run --separate-stderr nook profile check one
                [ "$status" -eq 0 ] || bad+=("$k: $stderr")
        done
        [ "${#bad[@]}" -eq 0 ] || fail "refused:" "${bad[@]}"
}
