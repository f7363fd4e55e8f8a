#!/usr/bin/env bats
# Profiles through real sandboxes: `nook run PROFILE`, how options and
# profiles combine, every key this version implements doing what it says,
# and a sandbox never being able to rewrite the profiles that start it.

load profiles-helpers

# nook's config directory starts absent here, as for a new user: some tests
# are about who may create it
setup() {
        profiles_setup
        rmdir "$C" "${C%/profiles}"
}

# prun NAME [OPTION...] -- PROBE-ARG...: asks the probe a question in a
# sandbox made from profile NAME (and the options).
prun() {
        local name=$1 opts=()
        shift
        while [ "$#" -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        [ "$#" -gt 0 ] || fail "prun: missing -- before the probe's arguments"
        shift
        run --separate-stderr "$NOOK" run --profile "$name" --ro-bind "$PROBE" "${opts[@]}" -- "$PROBE" "$@"
}

# sh_in NAME SCRIPT: runs a shell script in a sandbox made from profile NAME.
sh_in() { run --separate-stderr "$NOOK" run --profile "$1" -- /bin/sh -c "$2"; }

# limit_line NAME: the "soft hard" values of /proc/self/limits line NAME in $output.
limit_line() {
        local l
        l=$(grep -- "^$1 " <<<"$output") || return 1
        l=${l#"$1"}
        read -r soft hard _ <<<"$l"
        echo "$soft $hard"
}

# ---- running a profile -------------------------------------------------------------

@test "nook run PROFILE runs the profile's Command=" {
        profile app <<EOF
[Run]
Command=$PROBE hostname
Hostname=fromprofile
[Filesystem]
BindReadOnly=$PROBE
EOF
        run --separate-stderr nook run app
        assert_answer fromprofile
}

@test "Command= splits words with shell-like quoting" {
        profile app <<'EOF'
[Run]
Command=/usr/bin/printf [%s] 'a b' "c \"d\"" e\ f 'g"h'
EOF
        run --separate-stderr nook run app
        assert_answer '[a b][c "d"][e f][g"h]'
}

@test "Command= with an unterminated quote is refused before anything runs" {
        profile app <<EOF
[Run]
Command=/usr/bin/touch "$TMP/marker
EOF
        run --separate-stderr nook run app
        assert_nook_error "$F:2"
        [ ! -e "$TMP/marker" ] || fail "the command ran"
}

@test "nook run PROFILE -- COMMAND runs COMMAND instead of Command=" {
        profile app <<'EOF'
[Run]
Command=/bin/echo from-profile
EOF
        run --separate-stderr nook run app -- /bin/echo from-cli
        assert_answer from-cli
}

@test "options come before the profile name" {
        profile app <<'EOF'
[Run]
Hostname=fromprofile
EOF
        run --separate-stderr nook run --hostname fromcli --ro-bind "$PROBE" app -- "$PROBE" hostname
        assert_answer fromcli
}

@test "words after the profile name are arguments to its Command=" {
        profile app <<'EOF'
[Run]
Command=/bin/echo from-profile
EOF
        run --separate-stderr nook run app --version extra
        assert_answer "from-profile --version extra"
}

@test "--profile takes a file outside the search path" {
        mkdir -p "$TMP/elsewhere"
        cat >"$TMP/elsewhere/mine.profile" <<'EOF'
[Run]
Hostname=fromfile
EOF
        prun "$TMP/elsewhere/mine.profile" -- hostname
        assert_answer fromfile
}

@test "--profile takes a name from the search path" {
        profile named <<'EOF'
[Run]
Hostname=named
EOF
        prun named -- hostname
        assert_answer named
}

@test "nook run PATH.profile runs that file as a profile" {
        mkdir -p "$TMP/elsewhere"
        cat >"$TMP/elsewhere/mine.profile" <<'EOF'
[Run]
Hostname=fromfile
EOF
        run --separate-stderr nook run --ro-bind "$PROBE" "$TMP/elsewhere/mine.profile" -- "$PROBE" hostname
        assert_answer fromfile
}

@test "a first word that names a profile runs as a command after --" {
        profile echo <<'EOF'
[Run]
Command=/bin/echo from-profile
EOF
        run --separate-stderr nook run -- echo from-command
        assert_answer from-command
}

@test "a command path is not taken for a profile" {
        run --separate-stderr nook run /bin/echo plain
        assert_answer plain
}

@test "--profile with a name that is not found fails naming it" {
        run --separate-stderr nook run --profile nosuchprofile -- /bin/true
        assert_nook_error "nosuchprofile"
}

@test "nook run -- COMMAND uses the 'default' profile of the search path" {
        profile default <<'EOF'
[Run]
Hostname=fromdefault
EOF
        run --separate-stderr nook run --ro-bind "$PROBE" -- "$PROBE" hostname
        assert_answer fromdefault
}

@test "--noprofile leaves the 'default' profile out" {
        profile default <<'EOF'
[Run]
Hostname=fromdefault
EOF
        run --separate-stderr nook run --noprofile --ro-bind "$PROBE" -- "$PROBE" hostname
        assert_status 0
        assert_output_lacks fromdefault
}

@test "an option overrides the profile's scalar key" {
        profile app <<'EOF'
[Run]
Hostname=fromprofile
EOF
        prun app --hostname fromcli -- hostname
        assert_answer fromcli
}

@test "an option adds to the profile's list key" {
        profile app <<'EOF'
[Run]
Environment=FROM_PROFILE=1
EOF
        run --separate-stderr nook run -e FROM_CLI=2 app -- /bin/sh -c 'echo "$FROM_PROFILE $FROM_CLI"'
        assert_answer "1 2"
}

@test "a profile without Command= and no COMMAND is an error" {
        profile app <<'EOF'
[Run]
Hostname=x
EOF
        run --separate-stderr nook run app
        assert_nook_error "Command="
}

# ---- a profile that does not parse never starts anything --------------------------

@test "a profile with an unknown key starts nothing: 125 and one line" {
        profile bad <<'EOF'
[Filesystem]
Bnd=/usr
EOF
        mkdir -p "$TMP/work" && cd "$TMP/work"
        run --separate-stderr nook run bad -- /usr/bin/touch "$TMP/work/marker"
        assert_nook_error "$F:2: unknown key 'Bnd'"
        [ ! -e "$TMP/work/marker" ] || fail "the command ran"
}

@test "an error longer than a message holds ends with '…', cut between characters" {
        # two directories of 120 'é' (240 bytes each): the message passes
        # nook's 511 bytes inside them
        local e120 dir
        e120=$(printf 'é%.0s' $(seq 120))
        dir="$TMP/$e120/$e120"
        mkdir -p "$dir"
        printf '[Filesystem]\nBnd=/usr\n' >"$dir/bad.profile"
        run --separate-stderr nook run --profile "$dir/bad.profile" -- /bin/true
        assert_nook_error "$TMP/é"
        [[ "${stderr_lines[0]}" == *"éé…" ]] || { show_run; fail "the cut message does not end with '…'"; }
        [[ "${stderr_lines[0]}" != *'\x'* ]] || { show_run; fail "a character was cut in two"; }
}

@test "a profile with several problems still gives one line and starts nothing" {
        profile bad <<'EOF'
[Filesystem]
Bnd=/usr
Home=elsewhere
[Run]
Usr=0
EOF
        mkdir -p "$TMP/work" && cd "$TMP/work"
        run --separate-stderr nook run bad -- /usr/bin/touch "$TMP/work/marker"
        assert_nook_error "$F:2:"
        [ ! -e "$TMP/work/marker" ] || fail "the command ran"
}

@test "a profile whose Include is missing starts nothing" {
        profile bad <<'EOF'
[Profile]
Include=nowhere
EOF
        mkdir -p "$TMP/work" && cd "$TMP/work"
        run --separate-stderr nook run bad -- /usr/bin/touch "$TMP/work/marker"
        assert_nook_error "Include 'nowhere' not found"
        [ ! -e "$TMP/work/marker" ] || fail "the command ran"
}

@test "a profile that asks for a display the session lacks starts nothing" {
        profile bad <<'EOF'
[Desktop]
Display=wayland
EOF
        mkdir -p "$TMP/work" && cd "$TMP/work"
        unset WAYLAND_DISPLAY
        run --separate-stderr nook run bad -- /usr/bin/touch "$TMP/work/marker"
        assert_nook_error "WAYLAND_DISPLAY"
        [ ! -e "$TMP/work/marker" ] || fail "the command ran"
}

@test "the 'default' profile failing to parse starts nothing either" {
        profile default <<'EOF'
[Run]
Hostnme=x
EOF
        mkdir -p "$TMP/work" && cd "$TMP/work"
        run --separate-stderr nook run -- /usr/bin/touch "$TMP/work/marker"
        assert_nook_error "$F:2:"
        [ ! -e "$TMP/work/marker" ] || fail "the command ran"
}

# ---- [Run] -------------------------------------------------------------------------

@test "WorkingDirectory= is where the command starts" {
        profile app <<'EOF'
[Run]
WorkingDirectory=/usr/share
EOF
        prun app -- cwd
        assert_answer /usr/share
}

@test "User=root and Group=root run as 0:0" {
        profile app <<'EOF'
[Run]
User=root
Group=root
EOF
        prun app -- id
        assert_field uid 0
        assert_field gid 0
}

@test "User=N and Group=N run as those ids" {
        profile app <<'EOF'
[Run]
User=1234
Group=4321
EOF
        prun app -- id
        assert_field uid 1234
        assert_field gid 4321
}

@test "User=keep and Group=keep undo an include's ids" {
        printf '[Run]\nUser=root\nGroup=root\n' >"$P/asroot.profile"
        profile app <<'EOF'
[Profile]
Include=asroot
[Run]
User=keep
Group=keep
EOF
        prun app -- id
        assert_field uid "$(id -u)"
        assert_field gid "$(id -g)"
}

@test "Environment= sets a variable, blanks and all" {
        profile app <<'EOF'
[Run]
Environment=GREETING=hello there
EOF
        prun app -- env GREETING
        assert_answer "hello there"
}

@test "UnsetEnvironment= removes a variable of the caller's" {
        export NOOK_TEST_CALLER=visible
        profile app <<'EOF'
[Run]
UnsetEnvironment=NOOK_TEST_CALLER
EOF
        prun app -- env NOOK_TEST_CALLER
        assert_answer "<unset>"
}

@test "without UnsetEnvironment= the caller's variable is passed on" {
        export NOOK_TEST_CALLER=visible
        profile app <<'EOF'
[Run]
Hostname=x
EOF
        prun app -- env NOOK_TEST_CALLER
        assert_answer visible
}

@test "ClearEnvironment=yes drops the caller's variables, Environment= still applies" {
        export NOOK_TEST_CALLER=visible
        profile app <<'EOF'
[Run]
ClearEnvironment=yes
Environment=KEPT=1
EOF
        run --separate-stderr nook run --profile app --ro-bind "$PROBE" -- "$PROBE" env NOOK_TEST_CALLER
        assert_answer "<unset>"
        prun app -- env KEPT
        assert_answer 1
}

@test "Hostname= is the sandbox's host name" {
        profile app <<'EOF'
[Run]
Hostname=boxname
EOF
        prun app -- hostname
        assert_answer boxname
}

@test "variables expand in what the command gets" {
        profile app <<'EOF'
[Run]
Environment=PD=${PROFILE_DIR}
EOF
        prun app -- env PD
        assert_answer "$P"
}

# ---- [Filesystem] ----------------------------------------------------------------

@test "Bind= shows a host directory read-write" {
        mkdir -p "$TMP/data"
        profile app <<EOF
[Filesystem]
Bind=$TMP/data:/data
EOF
        prun app -- write /data/new
        assert_answer ok
        [ -f "$TMP/data/new" ] || fail "the write did not reach the host"
}

@test "BindReadOnly= shows a host directory read-only" {
        mkdir -p "$TMP/data"
        echo hi >"$TMP/data/f"
        profile app <<EOF
[Filesystem]
BindReadOnly=$TMP/data:/data
EOF
        prun app -- write /data/f
        assert_answer EROFS
        prun app -- read /data/f
        assert_answer 3
}

@test "BindTry= with a missing source is skipped" {
        profile app <<EOF
[Filesystem]
BindTry=$TMP/missing:/maybe
EOF
        prun app -- stat /maybe
        assert_answer ENOENT
}

@test "BindTry= with an existing source binds it, read-only with :ro" {
        mkdir -p "$TMP/data"
        echo hi >"$TMP/data/f"
        profile app <<EOF
[Filesystem]
BindTry=$TMP/data:/data:ro
EOF
        prun app -- write /data/f
        assert_answer EROFS
        prun app -- read /data/f
        assert_answer 3
}

@test "Bind= with a missing source is an error naming it" {
        profile app <<EOF
[Filesystem]
Bind=$TMP/missing:/data
EOF
        prun app -- stat /data
        assert_nook_error "$TMP/missing"
}

@test "Tmpfs= mounts a fresh tmpfs of the given size" {
        profile app <<'EOF'
[Filesystem]
Tmpfs=/scratch:size=1M
EOF
        run --separate-stderr nook run app -- /bin/cat /proc/self/mountinfo
        assert_status 0
        local line
        line=$(grep ' /scratch ' <<<"$output") || { show_run >&2; fail "no mount at /scratch"; }
        [[ "$line" == *" - tmpfs "* && ",${line##* }," == *",size=1024k,"* ]] ||
                fail "expected a tmpfs with size=1024k at /scratch, got:" "$line"
        prun app -- write /scratch/f
        assert_answer ok
}

@test "Hide= makes a path unreadable" {
        profile app <<'EOF'
[Filesystem]
Hide=/etc/hostname
EOF
        [ -r /etc/hostname ] || skip "host: no readable /etc/hostname"
        prun app -- read /etc/hostname
        assert_answer EACCES
}

@test "Home=tmpfs gives an empty, writable home" {
        echo secret >"$HOME/host-file"
        profile app <<'EOF'
[Filesystem]
Home=tmpfs
EOF
        prun app --no-cwd -- ls "$HOME"
        assert_answer ""
        prun app -- write "$HOME/new"
        assert_answer ok
        [ ! -e "$HOME/new" ] || fail "a tmpfs home wrote to the host"
}

@test "Home=host shows the real home, read-write" {
        echo secret >"$HOME/host-file"
        profile app <<'EOF'
[Filesystem]
Home=host
EOF
        prun app -- read "$HOME/host-file"
        assert_answer 7
        prun app -- write "$HOME/new"
        assert_answer ok
        [ -f "$HOME/new" ] || fail "the write did not reach the host's home"
}

@test "Home=none leaves no home directory" {
        profile app <<'EOF'
[Filesystem]
Home=none
EOF
        prun app --no-cwd -- stat "$HOME"
        assert_answer ENOENT
}

@test "Home=private keeps a file from one run to the next" {
        profile keeper <<'EOF'
[Filesystem]
Home=private
EOF
        sh_in keeper 'echo kept >"$HOME/note"'
        assert_status 0
        sh_in keeper 'cat "$HOME/note"'
        assert_answer kept
}

@test "Home=private lives in \$XDG_DATA_HOME/nook/homes/NAME" {
        profile keeper <<'EOF'
[Filesystem]
Home=private
EOF
        sh_in keeper 'echo kept >"$HOME/note"'
        assert_status 0
        [ "$(cat "$XDG_DATA_HOME/nook/homes/keeper/note" 2>&1)" = kept ] ||
                fail "no $XDG_DATA_HOME/nook/homes/keeper/note with 'kept'" "$(find "$XDG_DATA_HOME" 2>&1)"
}

@test "Home=private is per profile" {
        profile one <<'EOF'
[Filesystem]
Home=private
EOF
        cp "$P/one.profile" "$P/two.profile"
        sh_in one 'echo one >"$HOME/note"'
        assert_status 0
        sh_in two 'cat "$HOME/note"'
        assert_status 1
        assert_output ""
}

@test "Home=private keeps what was written before nook was killed with SIGKILL" {
        local marker pid out="$TMP/out"
        profile keeper <<'EOF'
[Filesystem]
Home=private
EOF
        marker=$(unique_marker)
        "$NOOK" run keeper -- /bin/sh -c 'echo kept >"$HOME/note" && echo ready && exec sleep "$0"' "$marker" \
                >"$out" 2>&1 </dev/null 3>&- &
        pid=$!
        proc_stat "$pid" && STARTED_PIDS+=("$pid:$STAT_START")
        wait_until 100 file_has_line "$out" ready || fail "the sandbox did not start:" "$(cat "$out")"
        kill -KILL "$pid"
        wait "$pid" || true
        local p
        for p in $(marked_procs "$marker"); do STARTED_PIDS+=("$p"); done
        sh_in keeper 'cat "$HOME/note"'
        assert_answer kept
}

@test "Cwd=no does not show the current directory" {
        mkdir -p "$TMP/work" && cd "$TMP/work" && : >here
        profile app <<'EOF'
[Filesystem]
Cwd=no
EOF
        prun app -- stat "$TMP/work/here"
        assert_answer ENOENT
}

@test "Cwd=yes shows the current directory read-write" {
        mkdir -p "$TMP/work" && cd "$TMP/work"
        profile app <<'EOF'
[Filesystem]
Cwd=yes
EOF
        prun app -- write "$TMP/work/new"
        assert_answer ok
        [ -f "$TMP/work/new" ] || fail "the write did not reach the host"
}

# A host device node nook's minimal /dev does not have.
extra_device() {
        local d
        for d in /dev/kvm /dev/loop-control /dev/fuse /dev/net/tun /dev/vhost-net; do
                [ -c "$d" ] && { echo "$d"; return 0; }
        done
        return 1
}

@test "Device= adds a host device node" {
        local dev
        dev=$(extra_device) || skip "host: none of /dev/kvm /dev/loop-control /dev/fuse /dev/net/tun /dev/vhost-net"
        profile plain <<'EOF'
[Run]
Hostname=x
EOF
        prun plain -- stat "$dev"
        assert_answer ENOENT
        profile app <<EOF
[Filesystem]
Device=$dev
EOF
        prun app -- stat "$dev"
        assert_field type chr
}

@test "Device= naming a node the host does not have is an error" {
        profile app <<'EOF'
[Filesystem]
Device=/dev/nook-no-such-node
EOF
        prun app -- hostname
        assert_nook_error "/dev/nook-no-such-node"
}

@test "Device=- skips a node the host does not have" {
        profile app <<'EOF'
[Filesystem]
Device=-/dev/nook-no-such-node
EOF
        prun app -- hostname
        assert_status 0
}

# ---- [Network] -------------------------------------------------------------------

@test "Mode=none gives only a loopback interface" {
        profile app <<'EOF'
[Network]
Mode=none
EOF
        prun app -- ifaces
        assert_answer "lo:UP"
}

@test "Mode=host shares the host's interfaces" {
        local host
        host=$("$PROBE" ifaces)
        [ "$host" != "lo:UP" ] || skip "host: has no interface but lo"
        profile app <<'EOF'
[Network]
Mode=host
EOF
        prun app -- ifaces
        assert_answer "$host"
}

# ---- [Security] ------------------------------------------------------------------

@test "Seccomp=default installs a filter" {
        profile app <<'EOF'
[Security]
Seccomp=default
EOF
        prun app -- caps
        assert_field Seccomp 2
}

@test "Seccomp=none installs no filter" {
        profile app <<'EOF'
[Security]
Seccomp=none
EOF
        prun app -- caps
        assert_field Seccomp 0
}

@test "SyscallDeny= makes a system call fail with EPERM" {
        profile plain <<'EOF'
[Run]
Hostname=x
EOF
        prun plain -- cwd
        assert_status 0
        assert_output_lacks EPERM
        profile app <<'EOF'
[Security]
SyscallDeny=getcwd
EOF
        prun app -- cwd
        assert_answer EPERM
}

@test "SyscallAllow= lets through a call the default filter denies" {
        profile plain <<'EOF'
[Run]
Hostname=x
EOF
        prun plain -- syscall personality 0x0040000
        assert_answer EPERM
        profile app <<'EOF'
[Security]
SyscallAllow=personality
EOF
        prun app -- syscall personality 0x0040000
        assert_answer ok
}

@test "Capabilities=CAP_NET_BIND_SERVICE is effective and ambient" {
        profile app <<'EOF'
[Security]
Capabilities=CAP_NET_BIND_SERVICE
EOF
        prun app -- caps
        assert_field CapEff 0000000000000400
        assert_field CapAmb 0000000000000400
}

@test "without Capabilities= the command has none" {
        profile app <<'EOF'
[Run]
Hostname=x
EOF
        prun app -- caps
        assert_field CapEff 0000000000000000
        assert_field CapAmb 0000000000000000
}

@test "Capabilities=none undoes an include's capabilities" {
        printf '[Security]\nCapabilities=CAP_NET_BIND_SERVICE\n' >"$P/caps.profile"
        profile app <<'EOF'
[Profile]
Include=caps
[Security]
Capabilities=none
EOF
        prun app -- caps
        assert_field CapEff 0000000000000000
}

# ---- [Limits] --------------------------------------------------------------------

# limit_test KEY VALUE ULIMIT-FLAG NEEDED PROC-NAME EXPECTED: KEY=VALUE shows as
# EXPECTED soft and hard in /proc/self/limits, when the host's hard limit
# (ulimit -H FLAG, in ulimit's units) allows NEEDED.
limit_test() {
        local key=$1 value=$2 flag=$3 need=$4 name=$5 want=$6 hard got
        hard=$(ulimit -H "$flag")
        [ "$hard" = unlimited ] || [ "$hard" -ge "$need" ] ||
                skip "host: the hard limit for $key is $hard, below $value"
        printf '[Limits]\n%s=%s\n' "$key" "$value" >"$P/lim.profile"
        run --separate-stderr nook run lim -- /bin/cat /proc/self/limits
        assert_status 0
        got=$(limit_line "$name") || { show_run >&2; fail "no '$name' line"; }
        [ "$got" = "$want $want" ] || { show_run >&2; fail "expected $name soft and hard $want, got $got"; }
}

@test "NoFile= sets the open files limit, soft and hard" {
        limit_test NoFile 64 -n 64 "Max open files" 64
}

@test "Processes= sets the process limit, soft and hard" {
        limit_test Processes 3000 -u 3000 "Max processes" 3000
}

@test "CPUTime= sets the CPU time limit, soft and hard" {
        limit_test CPUTime 100 -t 100 "Max cpu time" 100
}

@test "FileSize= sets the file size limit, soft and hard" {
        limit_test FileSize 1M -f 2048 "Max file size" 1048576
}

@test "Core= sets the core size limit, soft and hard" {
        limit_test Core 1M -c 2048 "Max core file size" 1048576
}

@test "Stack= sets the stack limit, soft and hard" {
        limit_test Stack 4M -s 4096 "Max stack size" 4194304
}

@test "AddressSpace= sets the address space limit, soft and hard" {
        limit_test AddressSpace 8G -v 8388608 "Max address space" 8589934592
}

@test "a limit above the hard limit is an error naming the key and value" {
        local hard
        hard=$(ulimit -Hn)
        [ "$hard" != unlimited ] || skip "host: the open files hard limit is unlimited"
        profile app <<EOF
[Limits]
NoFile=$((hard + 1))
EOF
        run --separate-stderr nook run app -- /bin/true
        assert_nook_error "NoFile=$((hard + 1))"
}

# ---- profiles cannot be changed from inside --------------------------------------

@test "nook's config dir is read-only under a bind of its parent" {
        mkdir -p "$XDG_CONFIG_HOME/nook/profiles"
        profile app <<EOF
[Filesystem]
Bind=$XDG_CONFIG_HOME
EOF
        prun app -- write "$XDG_CONFIG_HOME/other"
        assert_answer ok
        prun app -- write "$XDG_CONFIG_HOME/nook/profiles/evil.profile"
        assert_answer EROFS
        prun app -- write "$XDG_CONFIG_HOME/nook/evil"
        assert_answer EROFS
}

@test "nook's config dir is read-only with Home=host" {
        unset XDG_CONFIG_HOME
        mkdir -p "$HOME/.config/nook/profiles"
        profile app <<'EOF'
[Filesystem]
Home=host
EOF
        prun app -- write "$HOME/.config/other"
        assert_answer ok
        prun app -- write "$HOME/.config/nook/profiles/default.profile"
        assert_answer EROFS
        [ ! -e "$HOME/.config/nook/profiles/default.profile" ] || fail "a profile was written from inside"
}

@test "a sandbox cannot create nook's config dir when it does not exist yet" {
        unset XDG_CONFIG_HOME
        mkdir -p "$HOME/.config"
        profile app <<'EOF'
[Filesystem]
Home=host
EOF
        sh_in app 'mkdir -p "$HOME/.config/nook/profiles" && echo "[Run]" >"$HOME/.config/nook/profiles/default.profile"'
        [ ! -e "$HOME/.config/nook/profiles/default.profile" ] ||
                fail "a sandbox created $HOME/.config/nook/profiles/default.profile, which the next 'nook run' would use"
        [ "$status" -ne 0 ] || fail "the write succeeded inside"
}

@test "with Home=host, moving ~/.config aside to plant a profile fails, and ~/.config stays writable" {
        unset XDG_CONFIG_HOME
        mkdir -p "$HOME/.config/nook/profiles"
        profile app <<'EOF'
[Filesystem]
Home=host
EOF
        sh_in app 'mv "$HOME/.config" "$HOME/.config.old" 2>/dev/null && echo moved; mkdir -p "$HOME/.config/nook/profiles" 2>/dev/null; echo "[Run]" >"$HOME/.config/nook/profiles/default.profile" 2>/dev/null; touch "$HOME/.config/app-setting" && echo writable'
        [[ "$output" != *moved* ]] || fail "~/.config was moved aside from inside"
        [[ "$output" == *writable* ]] || fail "~/.config is not writable inside: $output"
        [ ! -e "$HOME/.config.old" ] || fail "~/.config.old exists"
        [ ! -e "$HOME/.config/nook/profiles/default.profile" ] || fail "a profile was planted"
}

@test "a profile in a subdirectory of the working directory: its directory cannot be moved aside" {
        mkdir -p "$TMP/work/conf" && cd "$TMP/work"
        printf '[Run]\nHostname=x\n' >"$TMP/work/conf/mine.profile"
        run --separate-stderr nook run --profile "$TMP/work/conf/mine.profile" -- /bin/sh -c \
                'mv conf conf.old 2>/dev/null && echo moved; touch conf/other && echo writable'
        [[ "$output" != *moved* ]] || fail "the profile's directory was moved aside from inside"
        [[ "$output" == *writable* ]] || fail "its directory is not writable inside: $output"
}

@test "a symlinked ~/.config in view of a read-write home is refused, naming the way out" {
        unset XDG_CONFIG_HOME
        mkdir -p "$TMP/realcfg/nook/profiles"
        rm -rf "$HOME/.config"
        ln -s "$TMP/realcfg" "$HOME/.config"
        # not in view: fine
        run --separate-stderr nook run -- /bin/true
        assert_status 0
        run --separate-stderr nook run --home host -- /bin/true
        assert_nook_error XDG_CONFIG_HOME
        [[ "$stderr" == *"$HOME/.config"* ]] || { show_run; fail "the link is not named"; }
        XDG_CONFIG_HOME="$TMP/realcfg" run --separate-stderr nook run --home host -- /bin/true
        assert_status 0
}

@test "a bind through a symlink does not uncover what is protected" {
        unset XDG_CONFIG_HOME
        mkdir -p "$HOME/.config/nook/profiles"
        ln -s "$HOME/.config" "$TMP/cfglink"
        run --separate-stderr nook run --bind "$TMP/cfglink:/cfg" -- /bin/sh -c \
                'touch /cfg/nook/profiles/evil.profile 2>/dev/null && echo written || echo refused'
        assert_answer refused
        [ ! -e "$HOME/.config/nook/profiles/evil.profile" ] || fail "a profile was written through the symlinked bind"
}

@test "the profile file itself is read-only when a bind shows it" {
        mkdir -p "$TMP/work" && cd "$TMP/work"
        printf '[Run]\nHostname=x\n' >"$TMP/work/mine.profile"
        prun "$TMP/work/mine.profile" -- write "$TMP/work/mine.profile"
        assert_answer EROFS
        prun "$TMP/work/mine.profile" -- write "$TMP/work/other"
        assert_answer ok
}
