#!/usr/bin/env bats
# The profile language (nook.profile(5)): how a file is read, what
# `nook profile check` says about a bad one and where, how includes and
# drop-ins merge, where profiles are looked for and what variables expand to.
# Checked through `nook profile check` and `nook profile show [--json]`;
# nothing here starts a sandbox.

load profiles-helpers

setup() { profiles_setup; }

# write_file PATH: stdin becomes PATH (directories made as needed).
write_file() {
        mkdir -p "${1%/*}"
        cat >"$1"
}

check() { run --separate-stderr "$NOOK" profile check "$@"; }

# assert_diags LINE...: check failed with exactly these diagnostics, in order.
assert_diags() {
        local want
        assert_status 1
        want=$(printf '%s\n' "$@")
        [ "$stderr" = "${want%$'\n'}" ] || { show_run >&2; fail "expected the diagnostics:" "$@"; }
}

# assert_one_diag PREFIX [PART...]: exactly one diagnostic, starting with
# PREFIX and containing every PART.
assert_one_diag() {
        local part
        assert_status 1
        [ "${#stderr_lines[@]}" -eq 1 ] || { show_run >&2; fail "expected one diagnostic, got ${#stderr_lines[@]}"; }
        [[ "${stderr_lines[0]}" == "$1"* ]] || { show_run >&2; fail "expected the diagnostic to start with: $1"; }
        shift
        for part in "$@"; do
                [[ "${stderr_lines[0]}" == *"$part"* ]] || { show_run >&2; fail "expected the diagnostic to contain: $part"; }
        done
}

assert_valid() {
        assert_status 0
        [ -z "$stderr" ] || { show_run >&2; fail "expected no diagnostics"; }
}

# show_json NAME: the resolved spec of NAME as JSON in $output.
show_json() {
        run --separate-stderr "$NOOK" profile show --json "$@"
        assert_status 0
}

# jval EXPR: a Python expression over the JSON in $output (bound as j);
# strings print as they are, anything else as JSON.
jval() {
        python3 -c 'import json, sys
j = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$output" "$1"
}

# assert_json EXPR EXPECTED
assert_json() {
        local got
        got=$(jval "$1") || { show_run >&2; fail "cannot evaluate $1 on the output"; }
        [ "$got" = "$2" ] || { show_run >&2; fail "expected $1 to be: $2" "got: $got"; }
}

# assert_var TEXT EXPECTED: Environment=V=TEXT resolves to V=EXPECTED.
assert_var() {
        profile v <<EOF
[Run]
Environment=V=$1
EOF
        show_json v
        assert_json 'j["environment"][0]["value"]' "V=$2"
}

# ---- reading a file ------------------------------------------------------------

@test "lines starting with # or ; are comments, indented or not" {
        profile c <<'EOF'
# a comment
; another
[Run]
   # Hostname=hash
   ; Hostname=semicolon
Hostname=real
EOF
        show_json c
        assert_json 'j["hostname"]' real
}

@test "a ' #' after a value starts a comment" {
        profile c <<'EOF'
[Run]
Hostname=box # the box's name
EOF
        show_json c
        assert_json 'j["hostname"]' box
}

@test "a '#' with no blank before it is part of the value" {
        profile c <<'EOF'
[Run]
Environment=A=x#y
EOF
        show_json c
        assert_json 'j["environment"][0]["value"]' 'A=x#y'
}

@test "\\# keeps a literal '#' after a blank" {
        profile c <<'EOF'
[Run]
Environment=A=x \#y # comment
EOF
        show_json c
        assert_json 'j["environment"][0]["value"]' 'A=x #y'
}

@test "a trailing backslash continues a value on the next line" {
        profile c <<'EOF'
[Run]
Command=/bin/echo one \
    two \
    three
EOF
        show_json c
        assert_json 'j["command"]' '["/bin/echo", "one", "two", "three"]'
}

@test "a comment line inside a continuation is skipped" {
        profile c <<'EOF'
[Run]
Command=/bin/echo one \
# not part of it
    two
EOF
        show_json c
        assert_json 'j["command"]' '["/bin/echo", "one", "two"]'
}

@test "a problem in a continued value is reported at the line it starts on" {
        profile c <<'EOF'
[Run]
Hostname=ok
Hostname=bad \
    name
EOF
        check c
        assert_one_diag "$F:3: "
}

@test "blanks around the key, the '=' and the value are ignored" {
        profile c <<'EOF'
[Run]
   Hostname   =   spaced   
EOF
        show_json c
        assert_json 'j["hostname"]' spaced
}

@test "CRLF line endings are read like LF" {
        printf '[Run]\r\nHostname=crlf\r\n[Filesystem]\r\nBind=/usr\r\n' >"$P/c.profile"
        show_json c
        assert_json 'j["hostname"]' crlf
        assert_json '[b["source"] for b in j["binds"]]' '["/usr"]'
}

@test "a section may appear more than once and its keys add up" {
        profile c <<'EOF'
[Run]
Hostname=one
[Filesystem]
Bind=/usr
[Run]
Environment=A=1
EOF
        show_json c
        assert_json '[j["hostname"], j["environment"][0]["value"]]' '["one", "A=1"]'
}

@test "a repeated list key keeps every value, in order" {
        profile c <<'EOF'
[Filesystem]
Bind=/usr
Bind=/etc:/host-etc
BindReadOnly=/opt
EOF
        show_json c
        assert_json '[(b["source"], b["destination"], b["read_only"]) for b in j["binds"]]' \
                '[["/usr", "/usr", false], ["/etc", "/host-etc", false], ["/opt", "/opt", true]]'
}

@test "a repeated scalar key keeps the last value" {
        profile c <<'EOF'
[Run]
Hostname=first
Hostname=second
EOF
        show_json c
        assert_json 'j["hostname"]' second
}

# ---- diagnostics: what `nook profile check` says, and where ------------------

@test "an unknown key is named with its section and the closest known key" {
        profile bad <<'EOF'
[Filesystem]
Bind=/usr
Bnd=/etc
EOF
        check bad
        assert_diags "$F:3: unknown key 'Bnd' in [Filesystem] (did you mean 'Bind'?)"
}

@test "an unknown key far from every known one gets no suggestion" {
        profile bad <<'EOF'
[Filesystem]
Qqqqqqqqqqqq=1
EOF
        check bad
        assert_diags "$F:2: unknown key 'Qqqqqqqqqqqq' in [Filesystem]"
}

@test "a key in the wrong section names the section it belongs in" {
        profile bad <<'EOF'
[Run]
Hostname=box
Bind=/usr
EOF
        check bad
        assert_diags "$F:3: key 'Bind' belongs in [Filesystem], not [Run]"
}

@test "an unknown section is named with the closest known one" {
        profile bad <<'EOF'
[Run]
Hostname=box
[Filesytem]
Bind=/usr
EOF
        check bad
        assert_diags "$F:4: unknown section [Filesytem] (did you mean [Filesystem]?)"
}

@test "a section header without its ']' is malformed" {
        profile bad <<'EOF'
[Run]
Hostname=box
[Filesystem
EOF
        check bad
        assert_diags "$F:3: malformed section header '[Filesystem' (write [Name])"
}

@test "a line that is neither a section, a comment nor Key=Value is malformed" {
        profile bad <<'EOF'
[Run]
Hostname box
EOF
        check bad
        assert_diags "$F:2: expected Key=Value, found 'Hostname box'"
}

@test "a key before any section is refused" {
        profile bad <<'EOF'
# comment
Hostname=box
[Run]
EOF
        check bad
        assert_diags "$F:2: key 'Hostname' appears before any [Section]"
}

@test "a key name with a blank in it is refused" {
        profile bad <<'EOF'
[Run]
Host name=box
EOF
        check bad
        assert_diags "$F:2: 'Host name' is not a valid key name"
}

@test "Tmpfs with size=12Q says the size is not a size, at its line" {
        profile bad <<'EOF'
[Filesystem]
Tmpfs=/ok:size=1M
Tmpfs=/scratch:size=12Q
EOF
        check bad
        assert_one_diag "$F:3: Tmpfs=/scratch:size=12Q: " "size '12Q' is not a size"
}

@test "a value a key refuses is reported as Key=value at its line" {
        profile bad <<'EOF'
[Filesystem]
Home=elsewhere
EOF
        check bad
        assert_diags "$F:2: Home=elsewhere: home mode 'elsewhere' is not one of tmpfs, private, host, none"
}

@test "an Include that is not found lists every directory searched" {
        profile bad <<'EOF'
[Profile]
Description=x
Include=gui
EOF
        check bad
        assert_one_diag "$F:3: Include 'gui' not found (searched: " "$C" "$P"
}

@test "an Include cycle is refused, naming the whole chain" {
        local r
        r=$(realpath "$P")
        profile a <<'EOF'
[Profile]
Include=b
EOF
        profile b <<'EOF'
[Profile]
Include=a
EOF
        check a
        assert_diags "$P/b.profile:2: Include cycle: $r/a.profile -> $r/b.profile -> $r/a.profile"
}

@test "a profile that includes itself is a cycle" {
        local r
        r=$(realpath "$P")
        profile self <<'EOF'
[Run]
Hostname=x
[Profile]
Include=self
EOF
        check self
        assert_diags "$F:4: Include cycle: $r/self.profile -> $r/self.profile"
}

@test "the same profile included along two paths is not a cycle" {
        profile top <<'EOF'
[Profile]
Include=left
Include=right
EOF
        printf '[Profile]\nInclude=shared\n' >"$P/left.profile"
        printf '[Profile]\nInclude=shared\n' >"$P/right.profile"
        printf '[Run]\nHostname=shared\n' >"$P/shared.profile"
        check top
        assert_valid
}

# chain N: p0 includes p1 ... includes p(N-1), which sets Hostname=deep.
chain() {
        local i n=$1
        for ((i = 0; i < n - 1; i++)); do
                printf '[Profile]\nInclude=p%d\n' $((i + 1)) >"$P/p$i.profile"
        done
        printf '[Run]\nHostname=deep\n' >"$P/p$((n - 1)).profile"
}

@test "includes nested 16 files deep are fine" {
        chain 16
        show_json p0
        assert_json 'j["hostname"]' deep
}

@test "includes nested deeper than 16 are refused, naming the chain" {
        chain 18
        check p0
        assert_one_diag "$P/p" "deeper than 16" "p0.profile -> " "p1.profile -> " "p15.profile"
        [[ "${stderr_lines[0]}" =~ ^"$P"/p[0-9]+\.profile:2:\  ]] ||
                { show_run >&2; fail "expected the diagnostic at an Include= line (line 2)"; }
}

@test "an unknown variable is an error naming the closest known one" {
        profile bad <<'EOF'
[Filesystem]
Bind=${HOEM}/x
EOF
        check bad
        assert_diags "$F:2: unknown variable \${HOEM} in '\${HOEM}/x' (did you mean \${HOME}?)"
}

@test "an unknown variable is never expanded to an empty string" {
        profile bad <<'EOF'
[Run]
Environment=A=${NOTHING_LIKE_IT_AT_ALL}
EOF
        check bad
        assert_one_diag "$F:2: unknown variable \${NOTHING_LIKE_IT_AT_ALL}"
        run --separate-stderr "$NOOK" profile show --json bad
        assert_status 1
}

@test "an unterminated \${ is an error" {
        profile bad <<'EOF'
[Run]
Environment=A=${HOME
EOF
        check bad
        assert_one_diag "$F:2: " "unterminated"
}

@test "every key of a later feature is refused with 'not supported yet'" {
        local key section name bad=() n=0
        run --separate-stderr "$NOOK" profile keys
        assert_status 0
        local keys=("${lines[@]}")
        for key in "${keys[@]}"; do
                [[ "$key" == *"(not supported yet)"* ]] || continue
                key=${key%% *}
                n=$((n + 1))
                section=${key%%.*} name=${key#*.}
                printf '[%s]\n%s=x\n' "$section" "$name" >"$P/later.profile"
                check later
                [ "$status" -eq 1 ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
                        [[ "${stderr_lines[0]}" == "$P/later.profile:2: '$name' in [$section] is not supported yet"* ]] ||
                        bad+=("$key: status $status: $stderr")
        done
        [ "$n" -gt 0 ] || skip "no key is reserved for a later release now"
        [ "${#bad[@]}" -eq 0 ] || fail "not refused as 'not supported yet':" "${bad[@]}"
}


@test "Seccomp=strict is refused with 'not supported yet'" {
        profile later <<'EOF'
[Security]
Seccomp=strict
EOF
        check later
        assert_one_diag "$F:2: Seccomp=strict: " "not supported yet"
}

@test "every problem in a file is reported, one line each" {
        profile bad <<'EOF'
[Run]
Hostnme=x
[Filesystem]
Home=nowhere
[Nowhere]
Key=1
EOF
        check bad
        assert_status 1
        [ "${#stderr_lines[@]}" -eq 3 ] || { show_run >&2; fail "expected 3 diagnostics"; }
        [[ "$stderr" == *"$F:2: "* && "$stderr" == *"$F:4: "* && "$stderr" == *"$F:6: "* ]] ||
                { show_run >&2; fail "expected diagnostics for lines 2, 4 and 6"; }
}

@test "a problem in an included file is reported at that file's line" {
        profile top <<'EOF'
[Profile]
Include=inc
EOF
        profile inc <<'EOF'
[Run]
Hostname=fine
Usr=root
EOF
        check top
        assert_diags "$P/inc.profile:3: unknown key 'Usr' in [Run] (did you mean 'User'?)"
}

@test "a problem in a drop-in is reported at the drop-in's line" {
        profile app <<'EOF'
[Run]
Hostname=app
EOF
        write_file "$P/app.profile.d/10-x.conf" <<'EOF'
[Run]
Hostname=fine

Hostnam=bad
EOF
        check app
        assert_diags "$P/app.profile.d/10-x.conf:4: unknown key 'Hostnam' in [Run] (did you mean 'Hostname'?)"
}

@test "a profile that is not found names the directories searched" {
        check nosuchprofile
        assert_one_diag "no profile named 'nosuchprofile'" "$C" "$P"
}

# ---- merging: includes -----------------------------------------------------------

@test "the including file's scalar wins over its include's, even with Include= last" {
        profile base <<'EOF'
[Run]
Hostname=base
EOF
        profile top <<'EOF'
[Run]
Hostname=top
[Profile]
Include=base
EOF
        show_json top
        assert_json 'j["hostname"]' top
}

@test "of two includes, the later one's scalar wins" {
        printf '[Run]\nHostname=first\n' >"$P/first.profile"
        printf '[Run]\nHostname=second\n' >"$P/second.profile"
        profile top <<'EOF'
[Profile]
Include=first
Include=second
EOF
        show_json top
        assert_json 'j["hostname"]' second
}

@test "a scalar only an include sets is kept" {
        printf '[Run]\nHostname=inc\n' >"$P/inc.profile"
        profile top <<'EOF'
[Profile]
Include=inc
[Run]
Environment=A=1
EOF
        show_json top
        assert_json 'j["hostname"]' inc
}

@test "list keys accumulate: the include's values first, then the including file's" {
        printf '[Filesystem]\nBind=/usr\n' >"$P/inc.profile"
        profile top <<'EOF'
[Filesystem]
Bind=/etc
[Profile]
Include=inc
EOF
        show_json top
        assert_json '[b["source"] for b in j["binds"]]' '["/usr", "/etc"]'
}

@test "an empty assignment clears a list, the include's values too" {
        printf '[Filesystem]\nBind=/usr\nBind=/opt\n' >"$P/inc.profile"
        profile top <<'EOF'
[Profile]
Include=inc
[Filesystem]
Bind=
Bind=/etc
EOF
        show_json top
        assert_json '[b["source"] for b in j["binds"]]' '["/etc"]'
}

@test "an empty assignment resets a scalar to its default" {
        printf '[Run]\nHostname=inc\n[Filesystem]\nHome=host\n' >"$P/inc.profile"
        profile top <<'EOF'
[Profile]
Include=inc
[Run]
Hostname=
[Filesystem]
Home=
EOF
        show_json top
        assert_json '[j["hostname"], j["home"]]' '[null, "tmpfs"]'
}

@test "an Include is found next to the including file first in the search path's directories" {
        # the user's directory comes before the library in the search path,
        # but a library profile's include is its neighbour
        printf '[Run]\nHostname=user\n' >"$C/inc.profile"
        printf '[Run]\nHostname=library\n' >"$P/inc.profile"
        write_file "$P/top.profile" <<'EOF'
[Profile]
Include=inc
EOF
        show_json "$P/top.profile"
        assert_json 'j["hostname"]' library
}

@test "a profile outside the search path includes a neighbour only by path, never by name" {
        # a sandbox that sees that directory could plant a neighbour for the
        # next run: a name goes to the search path
        mkdir -p "$TMP/elsewhere"
        printf '[Run]\nHostname=planted\n' >"$TMP/elsewhere/inc.profile"
        printf '[Run]\nHostname=library\n' >"$P/inc.profile"
        write_file "$TMP/elsewhere/top.profile" <<'EOF'
[Profile]
Include=inc
EOF
        show_json "$TMP/elsewhere/top.profile"
        assert_json 'j["hostname"]' library
        write_file "$TMP/elsewhere/top.profile" <<'EOF'
[Profile]
Include=./inc.profile
EOF
        show_json "$TMP/elsewhere/top.profile"
        assert_json 'j["hostname"]' planted
}

@test "an Include with a / is a path relative to the including file" {
        write_file "$P/parts/net.profile" <<'EOF'
[Network]
Mode=host
EOF
        profile top <<'EOF'
[Profile]
Include=parts/net.profile
EOF
        show_json top
        assert_json 'j["network"]' host
}

@test "an Include falls back to the search path" {
        printf '[Run]\nHostname=fromconfig\n' >"$C/common.profile"
        mkdir -p "$TMP/elsewhere"
        write_file "$TMP/elsewhere/top.profile" <<'EOF'
[Profile]
Include=common
EOF
        show_json "$TMP/elsewhere/top.profile"
        assert_json 'j["hostname"]' fromconfig
}

# ---- merging: drop-ins -----------------------------------------------------------

@test "a drop-in is applied after its profile" {
        profile app <<'EOF'
[Run]
Hostname=profile
EOF
        write_file "$P/app.profile.d/50-host.conf" <<'EOF'
[Run]
Hostname=dropin
EOF
        show_json app
        assert_json 'j["hostname"]' dropin
}

@test "drop-ins are applied in the lexical order of their names" {
        printf '[Run]\nHostname=profile\n' >"$P/app.profile"
        mkdir -p "$P/app.profile.d"
        printf '[Run]\nHostname=twenty\nEnvironment=O=20\n' >"$P/app.profile.d/20-b.conf"
        printf '[Run]\nHostname=ten\nEnvironment=O=10\n' >"$P/app.profile.d/10-a.conf"
        printf '[Run]\nHostname=nine\nEnvironment=O=9\n' >"$P/app.profile.d/9-c.conf"
        show_json app
        assert_json '[j["hostname"], [e["value"] for e in j["environment"]]]' '["nine", ["O=10", "O=20", "O=9"]]'
}

@test "a drop-in can clear a list of its profile" {
        printf '[Filesystem]\nBind=/usr\n' >"$P/app.profile"
        write_file "$P/app.profile.d/10-clear.conf" <<'EOF'
[Filesystem]
Bind=
Bind=/etc
EOF
        show_json app
        assert_json '[b["source"] for b in j["binds"]]' '["/etc"]'
}

@test "drop-ins in the user's config dir apply to a library profile" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        write_file "$C/app.profile.d/10-mine.conf" <<'EOF'
[Run]
Hostname=mine
EOF
        show_json app
        assert_json 'j["hostname"]' mine
}

@test "drop-ins from every directory are merged in one lexical order" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        write_file "$C/app.profile.d/10-mine.conf" <<'EOF'
[Run]
Hostname=mine
EOF
        write_file "$P/app.profile.d/20-shipped.conf" <<'EOF'
[Run]
Hostname=shipped
EOF
        show_json app
        assert_json 'j["hostname"]' shipped
}

@test "a drop-in in an earlier directory shadows one of the same name" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        write_file "$C/app.profile.d/50-x.conf" <<'EOF'
[Run]
Hostname=mine
EOF
        write_file "$P/app.profile.d/50-x.conf" <<'EOF'
[Run]
Hostname=shipped
Environment=SHADOWED=yes
EOF
        show_json app
        assert_json '[j["hostname"], j["environment"]]' '["mine", []]'
}

@test "only *.conf files are drop-ins" {
        printf '[Run]\nHostname=profile\n' >"$P/app.profile"
        mkdir -p "$P/app.profile.d"
        printf '[Run]\nHostname=bak\n' >"$P/app.profile.d/50-x.conf.bak"
        printf '[Run]\nHostname=hidden\n' >"$P/app.profile.d/.60-x.conf"
        printf 'not a profile at all\n' >"$P/app.profile.d/README"
        show_json app
        assert_json 'j["hostname"]' profile
}

# ---- the search path ---------------------------------------------------------------

@test "a profile in \$XDG_CONFIG_HOME/nook/profiles wins over the library's" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        printf '[Run]\nHostname=mine\n' >"$C/app.profile"
        show_json app
        assert_json 'j["hostname"]' mine
}

@test "a profile only in the library is found" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        show_json app
        assert_json 'j["hostname"]' library
}

@test "a name with a / is a path, relative to the current directory" {
        printf '[Run]\nHostname=library\n' >"$P/app.profile"
        mkdir -p "$TMP/work"
        printf '[Run]\nHostname=local\n' >"$TMP/work/app.profile"
        cd "$TMP/work"
        show_json ./app.profile
        assert_json 'j["hostname"]' local
}

# ---- variables -----------------------------------------------------------------------

@test "\${HOME} is the user's home" {
        assert_var '${HOME}/x' "$HOME/x"
}

@test "~/ at the start of a value is the home" {
        profile v <<'EOF'
[Run]
WorkingDirectory=~/x
EOF
        show_json v
        assert_json 'j["working_directory"]' "$HOME/x"
}

@test "~/ at the start of a SRC:DST part is the home" {
        profile v <<'EOF'
[Filesystem]
Bind=~/src:~/dst
EOF
        show_json v
        assert_json '[j["binds"][0]["source"], j["binds"][0]["destination"]]' "[\"$HOME/src\", \"$HOME/dst\"]"
}

@test "a ~ that does not start a value is kept" {
        assert_var 'a~/x' 'a~/x'
}

@test "\$\$ is a literal \$" {
        assert_var 'a$$b$${HOME}' 'a$b${HOME}'
}

@test "\${USER} is \$USER" {
        export USER=someone
        assert_var '${USER}' someone
}

@test "\${USER} falls back to the passwd name when \$USER is unset" {
        local me
        me=$(id -un)
        unset USER
        assert_var '${USER}' "$me"
}

@test "\${UID} and \${GID} are the user's ids" {
        assert_var '${UID}:${GID}' "$(id -u):$(id -g)"
}

@test "\${XDG_RUNTIME_DIR} is \$XDG_RUNTIME_DIR" {
        assert_var '${XDG_RUNTIME_DIR}' "$XDG_RUNTIME_DIR"
}

@test "\${XDG_CONFIG_HOME} is \$XDG_CONFIG_HOME" {
        assert_var '${XDG_CONFIG_HOME}' "$XDG_CONFIG_HOME"
}

@test "\${XDG_DATA_HOME} is \$XDG_DATA_HOME" {
        assert_var '${XDG_DATA_HOME}' "$XDG_DATA_HOME"
}

@test "\${XDG_CACHE_HOME} is \$XDG_CACHE_HOME" {
        assert_var '${XDG_CACHE_HOME}' "$XDG_CACHE_HOME"
}

@test "\${XDG_CACHE_HOME} defaults to ~/.cache when unset" {
        unset XDG_CACHE_HOME
        assert_var '${XDG_CACHE_HOME}' "$HOME/.cache"
}

@test "\${DOWNLOADS} follows XDG_DOWNLOAD_DIR in user-dirs.dirs" {
        # shellcheck disable=SC2016
        printf 'XDG_DOWNLOAD_DIR="$HOME/Incoming"\n' >"$XDG_CONFIG_HOME/user-dirs.dirs"
        assert_var '${DOWNLOADS}' "$HOME/Incoming"
}

@test "\${DOWNLOADS} is ~/Downloads without user-dirs.dirs" {
        assert_var '${DOWNLOADS}' "$HOME/Downloads"
}

@test "\${CWD} is the directory nook was started in" {
        mkdir -p "$TMP/work"
        cd "$TMP/work"
        assert_var '${CWD}' "$(pwd -P)"
}

@test "\${CWD} is an error, not empty, when the current directory is gone" {
        profile v <<'EOF'
[Run]
Environment=V=${CWD}
EOF
        mkdir -p "$TMP/gone" && cd "$TMP/gone" && rmdir "$TMP/gone"
        check v
        assert_one_diag "$F:2: " "CWD"
}

@test "key names are case-sensitive" {
        profile bad <<'EOF'
[Run]
hostname=x
EOF
        check bad
        assert_diags "$F:2: unknown key 'hostname' in [Run] (did you mean 'Hostname'?)"
}

@test "\${PROFILE_DIR} is the directory of the file it is written in" {
        write_file "$P/parts/inc.profile" <<'EOF'
[Run]
Environment=INC=${PROFILE_DIR}
EOF
        profile top <<'EOF'
[Profile]
Include=parts/inc.profile
[Run]
Environment=TOP=${PROFILE_DIR}
EOF
        show_json top
        assert_json '[e["value"] for e in j["environment"]]' "[\"INC=$P/parts\", \"TOP=$P\"]"
}

@test "variables expand in Include=" {
        write_file "$TMP/elsewhere/common.profile" <<'EOF'
[Run]
Hostname=common
EOF
        profile top <<'EOF'
[Profile]
Include=${XDG_CONFIG_HOME}/../elsewhere/common.profile
EOF
        show_json top
        assert_json 'j["hostname"]' common
}
