#!/usr/bin/env bats
# nook profile import firejail: firejail's language read as firejail reads
# it (includes searched in ~/.config/firejail then /etc/firejail, .local
# files, ignore, ?COND:, macros, noblacklist order, redirects), each
# directive translated by meaning or kept as '# unsupported: LINE (why)',
# exit 0/2/1; Debian's whole library converted and checked; a few real
# programs run under their converted profiles.

# the whole library takes a while on a shared machine
: "${BATS_TEST_TIMEOUT:=300}"

load helpers

setup() {
        common_setup
        [ -n "${NOOK_SRCDIR:-}" ] || skip "NOOK_SRCDIR is not set (the runner sets it to the source tree)"
        export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config"
        export NOOK_PROFILES_DIR="$NOOK_SRCDIR/data/profiles"
        FJ="$HOME/.config/firejail"
        OUT="$TMP/out"
        mkdir -p "$FJ" "$OUT"
}

teardown() {
        stop_display_servers
        common_teardown
}

# fj FILE: stdin becomes the user's firejail file FILE (searched first)
fj() { cat >"$FJ/$1"; }

import() { run --separate-stderr "$NOOK" profile import firejail "$@"; }

# has_line FILE LINE: FILE holds LINE exactly
has_line() { grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks the line: $2"; }; }
lacks() { ! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 has: $2"; }; }

checked() {
        run --separate-stderr "$NOOK" profile check "$@"
        assert_status 0
}

@test "each directive with a nook key becomes that key, the firejail line as its comment" {
        fj app.profile <<'EOF'
# Description: A test app
net none
hostname box1
env GREETING=hello there
rmenv SECRET_THING
rlimit-nofile 512
rlimit-as 4g
protocol unix,inet
memory-deny-write-execute
machine-id
private-etc hostname,os-release,ssl
private-bin sh,ls
dbus-user filter
dbus-user.talk org.example.Service
dbus-user.own org.example.App
seccomp.drop ptrace
x11 none
nosound
no3d
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        local f="$OUT/app.profile"
        has_line "$f" "Description=A test app (firejail's app profile)"
        has_line "$f" "Mode=none  # net none"
        has_line "$f" "Hostname=box1  # hostname box1"
        has_line "$f" "Environment=GREETING=hello there  # env GREETING=hello there"
        has_line "$f" "UnsetEnvironment=SECRET_THING  # rmenv SECRET_THING"
        has_line "$f" "NoFile=512  # rlimit-nofile 512"
        has_line "$f" "AddressSpace=4G  # rlimit-as 4g"
        has_line "$f" "SocketFamilies=unix,inet  # protocol unix,inet"
        has_line "$f" "MemoryDenyWriteExecute=yes  # memory-deny-write-execute"
        has_line "$f" "MachineId=random  # machine-id"
        has_line "$f" "PrivateEtc=hostname,os-release,ssl  # private-etc hostname,os-release,ssl"
        has_line "$f" "PrivateBin=sh,ls  # private-bin sh,ls"
        has_line "$f" "DBus=filtered  # dbus-user filter"
        has_line "$f" "Talk=org.example.Service  # dbus-user.talk org.example.Service"
        has_line "$f" "Own=org.example.App  # dbus-user.own org.example.App"
        has_line "$f" "SyscallDeny=ptrace  # seccomp.drop ptrace"
        has_line "$f" "Display=none  # x11 none"
        # net none, x11 none, nosound, no3d: the blocks are not included
        has_line "$f" "Include=base  # an empty home (firejail's private), no core dumps"
        lacks "$f" "Include=network-client"
        lacks "$f" "Include=gui"
        lacks "$f" "Include=audio"
        lacks "$f" "Include=gpu"
        checked "$f"
}

@test "the converted sandbox is the one the firejail profile asked for" {
        fj app.profile <<'EOF'
net none
hostname box1
env GREETING=hello there
private-etc hostname,os-release
private-bin sh,ls
x11 none
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        run --separate-stderr "$NOOK" run --profile "$OUT/app.profile" -- /bin/sh -c \
                'read h </proc/sys/kernel/hostname; echo "$h"; ls /etc; echo "$GREETING"; ls /usr/bin'
        assert_status 0
        [ "${lines[0]}" = box1 ] || { show_run; fail "hostname"; }
        [[ "$output" == *os-release* && "$output" != *passwd* ]] || { show_run; fail "private-etc"; }
        [[ "$output" == *"hello there"* ]] || { show_run; fail "env"; }
        [[ "$output" != *curl* ]] || { show_run; fail "private-bin"; }
}

@test "dbus-user none wins over a filter wherever it stands, as in firejail: no Talk= or Own= then" {
        fj app.profile <<'EOF'
dbus-user none
include app-common.profile
EOF
        fj app-common.profile <<'EOF'
dbus-user filter
dbus-user.own org.example.App
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" "DBus=none  # dbus-user none"
        # nothing of app-common.profile becomes a key then
        has_line "$OUT/app.profile" "# include app-common.profile: no Include= (nothing in it becomes a key)"
        ! grep -rq '^Own=\|^DBus=filtered' "$OUT" || fail "Own= or DBus=filtered written"
        run --separate-stderr "$NOOK" run --profile "$OUT/app.profile" -- /bin/true
        assert_status 0
}

@test "without net none the network is slirp's, and the display, sound and GPU blocks are included" {
        fj app.profile <<'EOF'
dns 10.0.2.3
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" "Include=network-client  # firejail's default: the network"
        has_line "$OUT/app.profile" "Include=gui  # firejail's default: the display (no 'x11 none')"
        has_line "$OUT/app.profile" "Include=audio  # firejail's default: sound (no 'nosound')"
        has_line "$OUT/app.profile" "Include=gpu  # firejail's default: the GPU (no 'no3d')"
        has_line "$OUT/app.profile" "DNS=10.0.2.3  # dns 10.0.2.3"
        checked "$OUT/app.profile"
}

@test "what nook does anyway becomes a comment that says so, and the import exits 0" {
        fj app.profile <<'EOF'
caps.drop all
nonewprivs
noroot
seccomp
private-tmp
private-dev
restrict-namespaces
dbus-system none
private
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        [ -z "$stderr" ] || { show_run; fail "something was listed as unsupported"; }
        has_line "$OUT/app.profile" "# caps.drop all: nook's default: the command keeps no capability"
        has_line "$OUT/app.profile" "# private-tmp: nook's default: a private /tmp"
        has_line "$OUT/app.profile" "# dbus-system none: nook's default: no system bus"
        has_line "$OUT/app.profile" "Home=tmpfs  # private"
        checked "$OUT/app.profile"
}

@test "what nook cannot do rootless is kept as '# unsupported:', listed on stderr with file:line, exit 2" {
        fj app.profile <<'EOF'
hostname ok
apparmor
net eth0
caps.keep net_raw
EOF
        import -o "$OUT/app.profile" app
        assert_status 2
        [[ "$stderr" == *"$FJ/app.profile:2: apparmor (AppArmor profiles are loaded by root)"* ]] || { show_run; fail "apparmor"; }
        [[ "$stderr" == *"$FJ/app.profile:3: net eth0 ("* ]] || { show_run; fail "net IFACE"; }
        [[ "$stderr" == *"$FJ/app.profile:4: caps.keep net_raw ("* ]] || { show_run; fail "caps.keep"; }
        has_line "$OUT/app.profile" "# unsupported: apparmor (AppArmor profiles are loaded by root)"
        has_line "$OUT/app.profile" "Hostname=ok  # hostname ok"
        checked "$OUT/app.profile"
}

@test "errors: a missing include, a bad ?COND: line, an unknown profile: exit 1 with file:line" {
        fj app.profile <<'EOF'
hostname ok
include nowhere.inc
EOF
        import -o "$OUT/app.profile" app
        assert_status 1
        [[ "$stderr" == *"$FJ/app.profile:2: cannot find the include nowhere.inc"* ]] || { show_run; fail "missing include"; }
        fj cond.profile <<'EOF'
?lower: hostname x
EOF
        import -o "$OUT/cond.profile" cond
        assert_status 1
        [[ "$stderr" == *"$FJ/cond.profile:1: '?lower: hostname x' is not a conditional line"* ]] || { show_run; fail "bad cond"; }
        import --dir "$OUT" no-such-profile-here
        assert_status 1
        [[ "$stderr" == *"no firejail profile no-such-profile-here"* ]] || { show_run; fail "unknown name"; }
        # a missing NAME.local is no error, as in firejail
        fj ok.profile <<'EOF'
include ok.local
hostname ok
EOF
        import -o "$OUT/ok.profile" ok
        assert_status 0
}

@test "blacklist: Hide= for what the sandbox shows, nothing for the home, /var or a missing path" {
        [ -f /etc/debian_version ] || skip "host: no /etc/debian_version"
        mkdir -p "$HOME/.ssh"
        fj app.profile <<'EOF'
blacklist /etc/debian_version
blacklist ${HOME}/.ssh
blacklist /var/lib
blacklist /etc/no-such-file-anywhere
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" "Hide=/etc/debian_version  # blacklist /etc/debian_version"
        has_line "$OUT/app.profile" '# blacklist ${HOME}/.ssh: no Hide= (nothing of the home shows but what is bound)'
        has_line "$OUT/app.profile" "# blacklist /var/lib: no Hide= (not in nook's view)"
        has_line "$OUT/app.profile" "# blacklist /etc/no-such-file-anywhere: no Hide= (nothing of that name on this host)"
        checked "$OUT/app.profile"
        run --separate-stderr "$NOOK" run --profile "$OUT/app.profile" -- /bin/sh -c 'cat /etc/debian_version; echo rc=$?'
        [[ "$output" == *"rc=1"* && "$output" != *"$(cat /etc/debian_version)"* ]] || { show_run; fail "not hidden"; }
}

@test "noblacklist keeps what is blacklisted after it, not before it" {
        [ -f /etc/debian_version ] || skip "host: no /etc/debian_version"
        fj before.profile <<'EOF'
noblacklist /etc/debian_version
blacklist /etc/debian_*
EOF
        fj after.profile <<'EOF'
blacklist /etc/debian_*
noblacklist /etc/debian_version
EOF
        import --dir "$OUT" before after
        assert_status 0
        has_line "$OUT/before.profile" "# blacklist /etc/debian_*: no Hide= (a noblacklist before it keeps it)"
        has_line "$OUT/after.profile" "Hide=/etc/debian_version  # blacklist /etc/debian_*"
}

@test "whitelist binds home paths, read-only with whitelist-ro and read-only; mkdir is unsupported" {
        mkdir -p "$HOME/docs" "$HOME/ro"
        echo note >"$HOME/docs/a.txt"
        fj app.profile <<'EOF'
mkdir ${HOME}/new
whitelist ${HOME}/docs
whitelist-ro ${HOME}/ro
whitelist ${HOME}/other
read-only ${HOME}/other
EOF
        import -o "$OUT/app.profile" app
        assert_status 2
        [[ "$stderr" == *"app.profile:1: mkdir \${HOME}/new (nook creates no host path"* ]] || { show_run; fail "mkdir"; }
        has_line "$OUT/app.profile" 'BindTry=${HOME}/docs  # whitelist ${HOME}/docs'
        has_line "$OUT/app.profile" 'BindTry=${HOME}/ro:ro  # whitelist-ro ${HOME}/ro'
        has_line "$OUT/app.profile" 'BindTry=${HOME}/other:ro  # whitelist ${HOME}/other'
        checked "$OUT/app.profile"
        run --separate-stderr "$NOOK" run --profile "$OUT/app.profile" -- /bin/sh -c \
                'cat ~/docs/a.txt; touch ~/docs/b && echo docs-rw; touch ~/ro/x 2>/dev/null || echo ro-ro'
        assert_status 0
        [ "$output" = "note"$'\n'"docs-rw"$'\n'"ro-ro" ] || { show_run; fail "binds"; }
        [ -f "$HOME/docs/b" ] || fail "a write to a whitelisted directory did not reach the host"
}

@test "a profile that neither whitelists in the home nor says private: what it noblacklists there is bound" {
        mkdir -p "$HOME/.appconf" "$HOME/private"
        echo setting >"$HOME/.appconf/rc"
        fj app.profile <<'EOF'
noblacklist ${HOME}/.appconf
blacklist ${HOME}/.appconf
EOF
        fj app-private.profile <<'EOF'
noblacklist ${HOME}/.appconf
private
EOF
        import --dir "$OUT" app app-private
        assert_status 0
        has_line "$OUT/app.profile" 'BindTry=${HOME}/.appconf  # noblacklist ${HOME}/.appconf'
        lacks "$OUT/app-private.profile" 'BindTry='
        run --separate-stderr "$NOOK" run --profile "$OUT/app.profile" -- /bin/sh -c 'cat ~/.appconf/rc; ls ~/private 2>/dev/null || echo no-private'
        assert_status 0
        [ "$output" = "setting"$'\n'"no-private" ] || { show_run; fail "the home shown"; }
}

@test "a shared include becomes one nook include file, not a copy in each profile; a noblacklist before it changes it" {
        [ -f /etc/debian_version ] || skip "host: no /etc/debian_version"
        fj common.inc <<'EOF'
include common.local
blacklist /etc/debian_version
rmenv COMMON_SECRET
EOF
        for p in a b c; do printf 'include %s.local\ninclude common.inc\n' $p | fj $p.profile; done
        # c's own .local, read first, keeps what common.inc would hide
        echo 'noblacklist /etc/debian_version' | fj c.local
        import --dir "$OUT" a b c
        assert_status 0
        has_line "$OUT/a.profile" "Include=./firejail-common.profile  # include common.inc"
        has_line "$OUT/b.profile" "Include=./firejail-common.profile  # include common.inc"
        has_line "$OUT/firejail-common.profile" "Hide=/etc/debian_version  # blacklist /etc/debian_version"
        [ "$(grep -c '^Hide=' "$OUT/a.profile")" = 0 ] || fail "the include was copied into a.profile"
        # c's translation of common.inc hides nothing: an include file of its own
        grep -q '^Include=./firejail-common-[0-9a-f]\{8\}.profile  # include common.inc$' "$OUT/c.profile" ||
                { cat "$OUT/c.profile" >&2; fail "c's include"; }
        [ "$(ls "$OUT" | grep -c '^firejail-common')" = 2 ] || { ls "$OUT" >&2; fail "two include files expected"; }
        checked "$OUT/a.profile" "$OUT/b.profile" "$OUT/c.profile"
}

@test "ignore leaves out the lines after it; ?COND: lines count only with --with COND" {
        fj app.profile <<'EOF'
ignore net none
?HAS_EXTRA: hostname extra
include app-common.profile
EOF
        fj app-common.profile <<'EOF'
net none
hostname common
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" "# ?HAS_EXTRA: hostname extra: HAS_EXTRA is off (--with turns it on)"
        has_line "$OUT/app.profile" "Include=network-client  # firejail's default: the network"
        grep -q "# net none: ignored: 'ignore net none' came before" "$OUT"/firejail-app-common.profile || fail "ignore"
        import --with HAS_EXTRA -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" "Hostname=extra  # ?HAS_EXTRA: hostname extra"
}

@test "macros: \${HOME}, \${DOWNLOADS}, \${RUNUSER} become nook's variables, \${PATH} each directory" {
        fj app.profile <<'EOF'
whitelist ${DOWNLOADS}
whitelist ~/notes
whitelist ${RUNUSER}/app-socket
blacklist ${PATH}/ls
EOF
        import -o "$OUT/app.profile" app
        assert_status 0
        has_line "$OUT/app.profile" 'BindTry=${DOWNLOADS}  # whitelist ${DOWNLOADS}'
        has_line "$OUT/app.profile" 'BindTry=${HOME}/notes  # whitelist ~/notes'
        has_line "$OUT/app.profile" 'BindTry=${XDG_RUNTIME_DIR}/app-socket  # whitelist ${RUNUSER}/app-socket'
        # /bin/ls and /usr/bin/ls are one file on a merged-/usr host: one Hide=
        [ "$(grep -c '^Hide=.*/ls  # blacklist ${PATH}/ls$' "$OUT/app.profile")" = 1 ] || { cat "$OUT/app.profile" >&2; fail "PATH"; }
        checked "$OUT/app.profile"
}

@test "a profile is looked up in ~/.config/firejail before /etc/firejail; a redirect includes its target" {
        fj curl.profile <<'EOF'
hostname users-curl
EOF
        fj curl2.profile <<'EOF'
# Redirect
include curl.profile
EOF
        import --dir "$OUT" curl curl2
        assert_status 0
        has_line "$OUT/curl.profile" "Hostname=users-curl  # hostname users-curl"
        has_line "$OUT/curl2.profile" "Include=./firejail-curl.profile  # include curl.profile"
        has_line "$OUT/firejail-curl.profile" "Hostname=users-curl  # hostname users-curl"
        checked "$OUT/curl2.profile"
}

@test "usage: a format other than firejail, -o with two profiles, an unknown option: exit 2" {
        run --separate-stderr "$NOOK" profile import apparmor x
        assert_status 2
        import -o "$OUT/x.profile" a b
        assert_status 2
        import --bogus a
        assert_status 2
        [[ "$stderr" == *"unknown option '--bogus'"* ]] || { show_run; fail "unknown option"; }
        # options may follow the names
        echo 'hostname late' | fj late.profile
        import late --dir "$OUT"
        assert_status 0
        has_line "$OUT/late.profile" "Hostname=late  # hostname late"
        run "$NOOK" profile import firejail --help
        assert_status 0
        assert_output_has "--with COND"
}

@test "Debian's firejail library: at least 95% of the profiles convert and pass nook profile check" {
        local n
        n=$(ls /etc/firejail/*.profile 2>/dev/null | wc -l)
        [ "$n" -gt 1000 ] || skip "host: firejail's profiles are not installed (apt-get install firejail-profiles)"
        rmdir "$FJ"
        run --separate-stderr "$NOOK" profile import firejail --dir "$OUT" /etc/firejail/*.profile
        [ "$status" -eq 1 ] || [ "$status" -eq 2 ] || { show_run; fail "import: status $status"; }
        local ok=0 f
        for f in /etc/firejail/*.profile; do
                f="$OUT/${f##*/}"
                [ -f "$f" ] && "$NOOK" profile check "$f" >/dev/null 2>&1 && ok=$((ok + 1))
        done
        echo "# firejail library: $ok of $n profiles convert and pass nook profile check ($((ok * 1000 / n / 10)).$((ok * 1000 / n % 10))%)" >&3
        [ $((ok * 100)) -ge $((n * 95)) ] || fail "only $ok of $n pass"
}

@test "real programs run under their converted firejail profiles" {
        [ -f /etc/firejail/curl.profile ] || skip "host: firejail's profiles are not installed (apt-get install firejail-profiles)"
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed"
        rmdir "$FJ"
        local app ran=0
        for app in curl git wget tar gzip xz; do
                command -v "$app" >/dev/null || continue
                run --separate-stderr "$NOOK" profile import firejail -o "$OUT/$app.profile" "$app"
                [ "$status" -eq 0 ] || [ "$status" -eq 2 ] || { show_run; fail "$app: import"; }
                run --separate-stderr "$NOOK" run --profile "$OUT/$app.profile" -- "$app" --version
                assert_status 0
                [[ "$output" == *[0-9].[0-9]* ]] || { show_run; fail "$app --version said no version"; }
                ran=$((ran + 1))
        done
        [ "$ran" -ge 3 ] || skip "host: fewer than 3 of curl git wget tar gzip xz are installed"
        # what the library hides is hidden: disable-common.inc's /etc/shadow
        run --separate-stderr "$NOOK" run --profile "$OUT/curl.profile" -- /bin/sh -c 'test -s /etc/shadow && echo shown || echo hidden'
        assert_output hidden
}

@test "a GUI program opens its window under its converted firejail profile (xcalc under Xvfb)" {
        [ -f /etc/firejail/xcalc.profile ] || skip "host: firejail's profiles are not installed (apt-get install firejail-profiles)"
        command -v xcalc >/dev/null || skip "host: xcalc is not installed (apt-get install x11-apps)"
        command -v xwininfo >/dev/null || skip "host: xwininfo is not installed (apt-get install x11-utils)"
        rmdir "$FJ"
        export XDG_RUNTIME_DIR="$TMP/xdg-run"
        unset WAYLAND_DISPLAY XAUTHORITY DBUS_SESSION_BUS_ADDRESS
        xvfb
        export DISPLAY=":$XNUM"
        run --separate-stderr "$NOOK" profile import firejail -o "$OUT/xcalc.profile" xcalc
        [ "$status" -eq 2 ] || { show_run; fail "import: status $status"; }
        # private-bin xcalc, net none, protocol unix: the window still opens
        has_line "$OUT/xcalc.profile" "PrivateBin=xcalc  # private-bin xcalc"
        has_line "$OUT/xcalc.profile" "Include=gui  # firejail's default: the display (no 'x11 none')"
        bg_rec "$NOOK" run --profile "$OUT/xcalc.profile" -- xcalc
        wait_until 100 eval 'xwininfo -root -tree | grep -q "\"Calculator\": (\"xcalc\""' ||
                fail "no xcalc window:" "$(xwininfo -root -tree)" "$(cat "$TMP/bg.log")"
}
