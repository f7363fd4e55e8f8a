#!/usr/bin/env bats
# --net slirp: a network of the sandbox's own with a way out through
# slirp4netns; published ports, resolv.conf and hosts, the egress rules
# (Allow=, Deny=), and nothing left behind.
#
# All traffic stays on this machine: the servers on the host listen on
# 127.0.0.1 or ::1 only, on ports picked at random in 20000-40000; the
# sandbox reaches them through 10.0.2.2 and fd00::2 (the aliases of the
# host's loopback); the host reaches a sandbox's servers through ports
# published on 127.0.0.1.
# No name is ever resolved. The servers and clients are netserver.py.

load helpers

# The suite runs this file once per helper: NOOK_TEST_NET=slirp (default)
# and pasta. Tests of slirp4netns's own process and run directory say so.
NET=${NOOK_TEST_NET:-slirp}

slirp_only() { [ "$NET" = slirp ] || skip "about slirp4netns's own flags and confinement"; }

# The helper program and its Debian package.
if [ "$NET" = pasta ]; then HELPER=pasta PKG=passt; else HELPER=slirp4netns PKG=slirp4netns; fi

setup() {
        common_setup
        if [ "$NET" = pasta ]; then
                command -v pasta >/dev/null || skip "host: pasta is not installed (apt-get install passt)"
        else
                command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed (apt-get install slirp4netns)"
        fi
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] ||
                skip "host: /dev/net/tun is missing or not usable by $(id -un) (it must be mode 0666)"
        # /usr is in every host sandbox; a python3 elsewhere would not be
        PY=/usr/bin/python3
        [ -x "$PY" ] || skip "host: the network tests need /usr/bin/python3"
        NETSERVER="$BATS_TEST_DIRNAME/netserver.py"
        [ -f "$NETSERVER" ] || fail "tests/integration/netserver.py is missing"
}

teardown() {
        common_teardown
        # an image's layers may belong to subordinate ids: removed as root
        # of a user namespace with the same mapping
        if [ -n "${TMP:-}" ] && [ -d "$TMP/data" ]; then
                rm -rf -- "$TMP/data" 2>/dev/null ||
                        unshare --map-auto --map-root-user rm -rf -- "$TMP/data" 2>/dev/null || true
        fi
}

# ---- helpers -----------------------------------------------------------------

# in_slirp [NOOK-RUN-OPTION...] -- COMMAND...: nook run --net slirp, with
# netserver.py at its own path; sets status, output and stderr.
in_slirp() {
        run --separate-stderr "$NOOK" run --net "$NET" --ro-bind "$NETSERVER" "$@"
}

# sh_slirp [NOOK-RUN-OPTION...] SCRIPT: a bash script in such a sandbox, with
# $NS standing for "python3 netserver.py".
sh_slirp() {
        local script=${!#}
        in_slirp "${@:1:$#-1}" -- /bin/bash -c "NS='$PY $NETSERVER'; $script"
}

# bg LOG COMMAND...: starts COMMAND in the background with its output in LOG
# and records it for teardown; BG is its pid. A shell function that ends in
# `exec` keeps the pid.
bg() {
        local log=$1
        shift
        "$@" >"$log" 2>&1 </dev/null 3>&- &
        BG=$!
        proc_stat "$BG" && STARTED_PIDS+=("$BG:$STAT_START")
        # no "Killed" from bash when teardown ends it; bash still reaps it
        disown "$BG"
}

# gone PID: no such process, or only its zombie.
gone() { ! proc_stat "$1" || [ "$STAT_STATE" = Z ] || [ "$STAT_STATE" = X ]; }

# port_free PORT: nothing on the host holds PORT, TCP or UDP, on 127.0.0.1
# or on every address (a bind to 127.0.0.1 collides with either).
port_free() {
        "$PY" - "$1" <<'PY'
import socket, sys
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

# free_port: a port in 20000-40000 that is free now.
free_port() {
        local p
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 20001))
                port_free "$p" && { echo "$p"; return 0; }
        done
        fail "no free port in 20000-40000 after 50 tries"
}

# host_server VAR [ADDR]: a "hello" server, TCP and UDP, on the host's
# 127.0.0.1 (or ADDR: ::1) (it ends by itself after 30 s); its port goes
# into the variable VAR.
host_server() {
        local f="$TMP/port-$1"
        bg "$TMP/server-$1.log" "$PY" "$NETSERVER" hello "$f" 30 "${2:-127.0.0.1}"
        wait_until 50 test -s "$f" || fail "the hello server did not start:" "$(cat "$TMP/server-$1.log")"
        printf -v "$1" '%s' "$(cat "$f")"
}

# listening PROTO PORT: what listens on the host's PORT (ss's local
# addresses, one a line).
listening() {
        local flag=-Htln
        [ "$1" = udp ] && flag=-Huln
        ss "$flag" "( sport = :$2 )" | awk '{ print $4 }'
}

# published_or_gone PROTO PORT PID: slirp4netns holds PORT on the host, or
# nook (PID) has ended.
published_or_gone() {
        local flag=-Htlnp
        [ "$1" = udp ] && flag=-Hulnp
        local who
        who=$(ss "$flag" "( sport = :$2 )")
        # pasta isolates itself: ss cannot name it, a listener is enough
        [[ "$who" == *'"slirp4netns"'* || ( "$NET" = pasta && -n "$who" ) ]] || gone "$3"
}

# publish_bg PROTO COMMAND...: starts COMMAND (nook, or a function that execs
# it) in the background, every "@HPORT@" in its words replaced by a free
# host port, and waits until that port is open on the host. Another port is
# tried when the one picked was taken in between. Sets HPORT, NOOKPID and
# NOOKLOG.
publish_bg() {
        local proto=$1 a args
        shift
        command -v ss >/dev/null || skip "host: ss (iproute2) is needed to see published ports"
        NOOKLOG="$TMP/nook.log"
        for _ in 1 2 3; do
                HPORT=$(free_port) || return 1
                args=()
                for a in "$@"; do args+=("${a//@HPORT@/$HPORT}"); done
                bg "$NOOKLOG" "${args[@]}"
                NOOKPID=$BG
                wait_until 50 published_or_gone "$proto" "$HPORT" "$NOOKPID" ||
                        fail "port $HPORT/$proto was not published within 5 s:" "$(cat "$NOOKLOG")"
                gone "$NOOKPID" || return 0
                grep -q "cannot publish.*:$HPORT " "$NOOKLOG" ||
                        fail "nook ended before its port was published:" "$(cat "$NOOKLOG")"
        done
        fail "three host ports in a row were taken before nook could publish them"
}

# wait_for SECONDS COMMAND...: retries COMMAND (quiet) every 0.1 s until it
# succeeds, for at most SECONDS (and 100 tries); OUT is its last output.
wait_for() {
        local end=$(($(date +%s%N) + $1 * 1000000000)) n=100
        shift
        while [ "$n" -gt 0 ]; do
                OUT=$("$@" 2>&1) && return 0
                [ "$(date +%s%N)" -lt "$end" ] || return 1
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

# http_ok PORT PATH: an HTTP GET on the host's 127.0.0.1:PORT answers 200.
http_ok() {
        local r
        r=$("$PY" "$NETSERVER" http-get 127.0.0.1 "$1" "$2" 1)
        echo "$r"
        [[ "$r" == "ok 200 "* ]]
}

# our_helpers: live slirp4netns or pasta processes of this test's
# sandboxes, as PID:START: their arguments name a file in this test's
# XDG_RUNTIME_DIR (slirp4netns's API socket, pasta's pid file). (One that
# has exited may stay a zombie until whoever inherited it reaps it: gone.)
our_helpers() {
        marked_procs "$XDG_RUNTIME_DIR/nook/"
        return 0
}

no_helper_left() { [ -z "$(our_helpers)" ]; }

# Nothing in the run directories of this test's sandboxes.
run_dirs_left() { find "$XDG_RUNTIME_DIR" -mindepth 2 2>/dev/null; }

# The nameserver lines nook derives from the host: the non-loopback ones of
# /etc/resolv.conf, and, when that points at a local stub, those of
# systemd-resolved's upstream file.
host_nameservers() {
        local kw addr rest stub=0
        while read -r kw addr rest; do
                [ "$kw" = nameserver ] || continue
                case $addr in
                127.* | ::1) stub=1 ;;
                *) echo "nameserver $addr" ;;
                esac
        done </etc/resolv.conf
        [ "$stub" = 1 ] && [ -r /run/systemd/resolve/resolv.conf ] || return 0
        while read -r kw addr rest; do
                [ "$kw" = nameserver ] || continue
                case $addr in 127.* | ::1) ;; *) echo "nameserver $addr" ;; esac
        done </run/systemd/resolve/resolv.conf
}

# ---- the interfaces and the files of names --------------------------------------------

@test "--net slirp gives tap0 and lo, both up" {
        ask --net "$NET" -- ifaces
        assert_answer "lo:UP tap0:UP"
}

@test "--ipv6 yes gives tap0 an address in fd00::/64, and the default is none" {
        sh_slirp --ipv6 yes 'i=0; while [ $i -lt 50 ]; do /usr/sbin/ip -6 -br addr show dev tap0 | grep -q "fd00:" && break; sleep 0.1; i=$((i+1)); done; /usr/sbin/ip -6 -br addr show dev tap0'
        assert_status 0
        assert_output_has "fd00:"
        sh_slirp '/usr/sbin/ip -6 -br addr show dev tap0'
        assert_status 0
        assert_output_lacks "fd00:"
}

@test "tap0 has slirp's address 10.0.2.100/24" {
        in_slirp -- "$PY" "$NETSERVER" ifaddr tap0
        assert_answer "10.0.2.100/255.255.255.0"
}

@test "resolv.conf inside names slirp's DNS first, then the host's non-loopback servers" {
        in_slirp -- /bin/grep '^nameserver' /etc/resolv.conf
        assert_status 0
        assert_output "$(printf 'nameserver 10.0.2.3\n'; host_nameservers)"
}

@test "--dns replaces every nameserver, slirp's included" {
        in_slirp --dns 192.0.2.53 --dns 2001:db8::53 -- /bin/grep '^nameserver' /etc/resolv.conf
        assert_status 0
        assert_output "$(printf 'nameserver 192.0.2.53\nnameserver 2001:db8::53')"
}

@test "/etc/hosts inside names the sandbox's hostname, and the host's is untouched" {
        local before
        before=$(sha256sum /etc/hosts /etc/resolv.conf)
        in_slirp --hostname box -- /bin/cat /etc/hosts
        assert_status 0
        grep -Eq '^127\.0\.1\.1[[:space:]]+box$' <<<"$output" || { show_run; fail "no line for 'box'"; }
        grep -Eq '^127\.0\.0\.1[[:space:]]+localhost' <<<"$output" || { show_run; fail "no line for localhost"; }
        [ "$(sha256sum /etc/hosts /etc/resolv.conf)" = "$before" ] || fail "the host's /etc/hosts or /etc/resolv.conf changed"
}

# ---- the host's loopback -------------------------------------------------------------

@test "the host's 127.0.0.1 is out of reach through 10.0.2.2 without --allow-host-loopback, TCP and UDP" {
        local p
        host_server A
        p=$(free_port)
        sh_slirp -p "127.0.0.1:$p:53/udp" "\$NS connect 10.0.2.2 $A 2; \$NS udp-ask 10.0.2.2 $A x 2"
        assert_status 0
        [[ "${lines[0]}" == "error "* ]] || { show_run; fail "the sandbox reached the host's loopback over TCP"; }
        [[ "${lines[1]}" == "error "* ]] || { show_run; fail "the sandbox reached the host's loopback over UDP"; }
}

@test "--allow-host-loopback lets the sandbox reach the host's 127.0.0.1 through 10.0.2.2, TCP and UDP" {
        host_server A
        sh_slirp --allow-host-loopback "\$NS connect 10.0.2.2 $A 2; \$NS udp-ask 10.0.2.2 $A x 2"
        assert_status 0
        [ "${lines[0]}" = "ok hello $A" ] || { show_run; fail "TCP to 10.0.2.2 did not reach the host's 127.0.0.1"; }
        [ "${lines[1]}" = "ok hello $A" ] || { show_run; fail "UDP to 10.0.2.2 did not reach the host's 127.0.0.1"; }
}

# With --ipv6 yes, once tap0 has an IPv6 address that is no longer
# tentative and a default route: asks the host's loopback server on port
# $A over TCP and UDP through fd00::2 and through the sandbox's IPv6
# gateway, whichever it is (pasta once took the host's, and mapped it to
# ::1), one answer a line.
ask_v6_gateways='i=0; while [ $i -lt 50 ]; do a=$(/usr/sbin/ip -6 addr show dev tap0 scope global); r=$(/usr/sbin/ip -6 route show default); [ -n "$a" ] && [ -n "$r" ] && [ "${a#*tentative}" = "$a" ] && break; sleep 0.1; i=$((i+1)); done
gw=$(/usr/sbin/ip -6 route show default | awk "{ print \$3; exit }"); case $gw in fe80:*) gw=$gw%tap0 ;; esac
echo "gateway ${gw:-none}"
for addr in fd00::2 $gw; do $NS connect $addr $A ${T:-2}; $NS udp-ask $addr $A x ${T:-2}; done'

@test "--ipv6 yes: the host's ::1 is out of reach through the IPv6 gateway, TCP and UDP, without --allow-host-loopback" {
        [ -x /usr/sbin/ip ] || skip "host: /usr/sbin/ip (iproute2) is needed"
        local p
        host_server A ::1
        # a published UDP port once left slirp4netns's own guard off
        p=$(free_port)
        sh_slirp --ipv6 yes -p "127.0.0.1:$p:53/udp" "A=$A; $ask_v6_gateways"
        assert_status 0
        [ "${lines[0]}" != "gateway none" ] || { show_run; fail "the sandbox has no IPv6 default route"; }
        [ "${#lines[@]}" -ge 3 ] || { show_run; fail "no answers"; }
        local l
        for l in "${lines[@]:1}"; do
                [[ "$l" == "error "* ]] || { show_run; fail "the sandbox reached the host's ::1: $l"; }
        done
}

@test "--ipv6 yes --allow-host-loopback lets the sandbox reach the host's ::1 through fd00::2, TCP and UDP" {
        [ -x /usr/sbin/ip ] || skip "host: /usr/sbin/ip (iproute2) is needed"
        host_server A ::1
        # T: what must get through is given time on a loaded machine (a
        # helper may drop a flow's first datagrams while setting it up)
        sh_slirp --ipv6 yes --allow-host-loopback "A=$A; T=8; $ask_v6_gateways"
        assert_status 0
        [ "${lines[1]}" = "ok hello $A" ] || { show_run; fail "TCP to fd00::2 did not reach the host's ::1"; }
        [ "${lines[2]}" = "ok hello $A" ] || { show_run; fail "UDP to fd00::2 did not reach the host's ::1"; }
}

# ---- published ports ----------------------------------------------------------------

@test "a TCP server in the sandbox is reached from the host through -p 127.0.0.1:HPORT:PORT" {
        mkdir "$TMP/www"
        echo "served from the sandbox" >"$TMP/www/page"
        publish_bg tcp "$NOOK" run --net "$NET" -p 127.0.0.1:@HPORT@:8080 --ro-bind "$TMP/www" -- \
                timeout 20 "$PY" -m http.server --bind 0.0.0.0 8080 --directory "$TMP/www"
        wait_for 5 http_ok "$HPORT" /page || fail "no answer on 127.0.0.1:$HPORT: $OUT" "$(cat "$NOOKLOG")"
        [ "$OUT" = "ok 200 served from the sandbox" ] || fail "unexpected answer: $OUT"
}

@test "a UDP server in the sandbox is reached from the host through -p HPORT:PORT/udp" {
        # checked by hand: `pasta --config-net -u P:5353 -- <udp echo>` gets no
        # reply back to a client on 127.0.0.1 either, with Debian 12's pasta
        [ "$NET" != pasta ] || skip "pasta (passt 2023-03-09) returns no UDP reply to a host loopback client, with or without nook"
        mkdir "$TMP/shared"
        publish_bg udp "$NOOK" run --net "$NET" -p @HPORT@:5353/udp --ro-bind "$NETSERVER" --bind "$TMP/shared" -- \
                "$PY" "$NETSERVER" udp-echo 0.0.0.0 5353 20 "$TMP/shared/ready"
        wait_until 50 test -e "$TMP/shared/ready" || fail "the UDP server did not start:" "$(cat "$NOOKLOG")"
        run "$PY" "$NETSERVER" udp-ask 127.0.0.1 "$HPORT" "ping-$TEST_MARKER" 2
        assert_answer "ok echo ping-$TEST_MARKER"
}

@test "forty published ports are all there (the helper's long answers and argument lists)" {
        command -v ss >/dev/null || skip "host: ss (iproute2) is needed to see published ports"
        local ports=() args=() p n
        while [ ${#ports[@]} -lt 40 ]; do
                p=$(free_port) || fail "no free port"
                [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
        done
        n=0
        for p in "${ports[@]}"; do args+=(-p "$p:$((8000 + n))"); n=$((n + 1)); done
        bg "$TMP/nook.log" "$NOOK" run --net "$NET" "${args[@]}" -- sleep "$TEST_MARKER"
        wait_until 50 marked_sleep >/dev/null || fail "the command did not start:" "$(cat "$TMP/nook.log")"
        for p in "${ports[@]}"; do
                [ -n "$(listening tcp "$p")" ] || fail "port $p is not published"
        done
}

@test "a published port listens on the host's 127.0.0.1 by default, not on every address" {
        publish_bg tcp "$NOOK" run --net "$NET" -p @HPORT@:8080 -- sleep "$TEST_MARKER"
        run listening tcp "$HPORT"
        assert_output "127.0.0.1:$HPORT"
}

@test "a host port already in use: exit 125, one line naming it, nothing left running or on disk" {
        host_server A
        run --separate-stderr "$NOOK" run --net "$NET" -p "$A:8080" -- /bin/true
        assert_nook_error "$A"
        wait_until 10 no_helper_left || fail "$HELPER still running:" "$(our_helpers)"
        [ -z "$(run_dirs_left)" ] || fail "left in the run directory:" "$(run_dirs_left)"
}

@test "when the sandbox ends, its network helper, run directory and published port are gone" {
        local p
        p=$(free_port)
        run --separate-stderr "$NOOK" run --net "$NET" -p "$p:8080" -- /bin/true
        assert_status 0
        wait_until 10 no_helper_left || fail "$HELPER still running:" "$(our_helpers)"
        [ -z "$(run_dirs_left)" ] || fail "left in the run directory:" "$(run_dirs_left)"
        wait_until 10 port_free "$p" || fail "host port $p is still held"
}

# ---- the egress rules ------------------------------------------------------------------

@test "--allow 10.0.2.2:PORT_A/tcp lets port A through and drops port B" {
        host_server A
        host_server B
        sh_slirp --allow-host-loopback --allow "10.0.2.2:$A/tcp" \
                "\$NS connect 10.0.2.2 $A 2; \$NS connect 10.0.2.2 $B 2"
        assert_status 0
        [ "${lines[0]}" = "ok hello $A" ] || { show_run; fail "port $A was not let through"; }
        [[ "${lines[1]}" == "error "* ]] || { show_run; fail "port $B was not dropped"; }
}

@test "--deny 10.0.2.2:PORT_A drops port A and lets port B through" {
        host_server A
        host_server B
        sh_slirp --allow-host-loopback --deny "10.0.2.2:$A" \
                "\$NS connect 10.0.2.2 $A 2; \$NS connect 10.0.2.2 $B 2"
        assert_status 0
        [[ "${lines[0]}" == "error "* ]] || { show_run; fail "port $A was not dropped"; }
        [ "${lines[1]}" = "ok hello $B" ] || { show_run; fail "port $B was not let through"; }
}

@test "nft flush ruleset fails inside, and the rules still hold after it" {
        [ -x /usr/sbin/nft ] || skip "host: /usr/sbin/nft is not installed (apt-get install nftables)"
        host_server A
        host_server B
        sh_slirp --allow-host-loopback --allow "10.0.2.2:$A/tcp" \
                "/usr/sbin/nft flush ruleset 2>/dev/null; echo flush=\$?; \$NS connect 10.0.2.2 $A 2; \$NS connect 10.0.2.2 $B 2"
        assert_status 0
        [ "${lines[0]}" != flush=0 ] || { show_run; fail "nft flush ruleset succeeded inside"; }
        [ "${lines[1]}" = "ok hello $A" ] || { show_run; fail "port $A is no longer let through"; }
        [[ "${lines[2]}" == "error "* ]] || { show_run; fail "port $B is no longer dropped"; }
}

@test "nft list ruleset fails inside (no CAP_NET_ADMIN)" {
        [ -x /usr/sbin/nft ] || skip "host: /usr/sbin/nft is not installed (apt-get install nftables)"
        in_slirp --allow 10.0.2.2:80/tcp -- /usr/sbin/nft list ruleset
        [ "$status" -ne 0 ] || { show_run; fail "nft list ruleset succeeded inside"; }
        [ "$status" -ne 125 ] || { show_run; fail "nook itself failed"; }
}

# ---- SIGKILL ----------------------------------------------------------------------------

# The command of this test's sandbox (sleep MARKER), as PID:START.
marked_sleep() {
        local p
        for p in $(marked_procs "$TEST_MARKER"); do
                [ "$(cat "/proc/${p%%:*}/comm" 2>/dev/null)" = sleep ] && { echo "$p"; return 0; }
        done
        return 1
}

@test "SIGKILL to nook ends its network helper and the command within a second" {
        local nookpid helper cmd
        bg "$TMP/nook.log" "$NOOK" run --net "$NET" -- sleep "$TEST_MARKER"
        nookpid=$BG
        wait_until 50 marked_sleep >/dev/null || fail "the command did not start:" "$(cat "$TMP/nook.log")"
        cmd=$(marked_sleep)
        helper=$(our_helpers)
        [ -n "$helper" ] && [ "$(wc -w <<<"$helper")" -eq 1 ] || fail "not one $HELPER of this test: '$helper'"
        proc_stat "${helper%%:*}"
        [ "$STAT_PPID" = "$nookpid" ] || fail "$HELPER ($helper) is not nook's child"
        kill -KILL "$nookpid"
        wait_until 10 none_alive "$helper" "$cmd" ||
                fail "still running 1 s after SIGKILL:" "$(ps -o pid,stat,comm -p "${helper%%:*},${cmd%%:*}" 2>&1)"
}

# ---- slirp4netns's own confinement ---------------------------------------------------------

# slirp_of [NOOK-RUN-OPTION...] [IMAGE]: starts nook run --net slirp with
# them and `sleep MARKER` in the background and waits for its command; SLIRP
# is nook's slirp4netns, NOOKPID nook.
slirp_of() {
        bg "$TMP/nook.log" "$NOOK" run --net "$NET" "$@" -- sleep "$TEST_MARKER"
        NOOKPID=$BG
        wait_until 50 marked_sleep >/dev/null || fail "the command did not start:" "$(cat "$TMP/nook.log")"
        SLIRP=$(pgrep -P "$NOOKPID" -x slirp4netns) || fail "no slirp4netns child of nook ($NOOKPID)"
}

# slirp_args: the arguments slirp4netns was started with, one a line.
slirp_args() { tr '\0' '\n' <"/proc/$SLIRP/cmdline"; }

# assert_slirp_confined: it runs with --enable-sandbox (a mount namespace
# of its own whose root holds only /etc and /run), under seccomp and
# no_new_privs, with no capability but NET_BIND_SERVICE in any set.
assert_slirp_confined() {
        local args status root
        args=$(slirp_args)
        grep -qx -- --enable-sandbox <<<"$args" || fail "slirp4netns runs without --enable-sandbox:" "$args"
        grep -qx -- --enable-seccomp <<<"$args" || fail "slirp4netns runs without --enable-seccomp:" "$args"
        status=$(cat "/proc/$SLIRP/status")
        grep -qx $'Seccomp:\t2' <<<"$status" || fail "slirp4netns has no seccomp filter:" "$status"
        grep -qx $'NoNewPrivs:\t1' <<<"$status" || fail "slirp4netns can gain privileges:" "$status"
        local set
        for set in CapEff CapPrm CapBnd CapInh CapAmb; do
                grep -Eqx "$set:"$'\t''0000000000000(400|000)' <<<"$status" ||
                        fail "slirp4netns keeps more than NET_BIND_SERVICE in $set:" "$(grep ^Cap <<<"$status")"
        done
        [ "$(readlink "/proc/$SLIRP/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
                fail "slirp4netns shares the host's mount namespace"
        root=$(ls -A "/proc/$SLIRP/root/" | tr '\n' ' ')
        [ "$root" = "etc run " ] || fail "slirp4netns sees more than /etc and /run: $root"
}

@test "slirp4netns of a host sandbox confines itself: --enable-sandbox, seccomp, no capabilities" {
        slirp_only
        slirp_of
        assert_slirp_confined
        # the user keeps their uid inside, all the same
        run --separate-stderr "$NOOK" run --net "$NET" -- /usr/bin/id -u
        assert_status 0
        [ "$output" = "$(id -u)" ] || fail "uid inside: $output, expected $(id -u)"
}

@test "pasta confines itself: seccomp and no_new_privs" {
        [ "$NET" = pasta ] || skip "about pasta's own confinement"
        local helper status
        bg "$TMP/nook.log" "$NOOK" run --net "$NET" -- sleep "$TEST_MARKER"
        wait_until 50 marked_sleep >/dev/null || fail "the command did not start:" "$(cat "$TMP/nook.log")"
        helper=$(our_helpers)
        [ -n "$helper" ] || fail "no pasta of this test is running"
        status=$(cat "/proc/${helper%%:*}/status")
        grep -qx $'Seccomp:\t2' <<<"$status" || fail "pasta has no seccomp filter:" "$status"
        grep -qx $'NoNewPrivs:\t1' <<<"$status" || fail "pasta can gain privileges:" "$status"
}

@test "slirp4netns refuses 10.0.2.2 itself (--disable-host-loopback) unless allowed or a UDP port needs it" {
        slirp_only
        local hport
        slirp_of
        slirp_args | grep -qx -- --disable-host-loopback || fail "no --disable-host-loopback by default:" "$(slirp_args)"
        kill "$NOOKPID"; wait_until 50 gone "$NOOKPID"
        hport=$(free_port)
        slirp_of -p "127.0.0.1:$hport:80/tcp"
        slirp_args | grep -qx -- --disable-host-loopback || fail "no --disable-host-loopback with a TCP port:" "$(slirp_args)"
        kill "$NOOKPID"; wait_until 50 gone "$NOOKPID"
        slirp_of --allow-host-loopback
        ! slirp_args | grep -qx -- --disable-host-loopback || fail "--disable-host-loopback with --allow-host-loopback"
        kill "$NOOKPID"; wait_until 50 gone "$NOOKPID"
        # libslirp would drop the replies to a host client: the sandbox's
        # nftables rules alone refuse 10.0.2.2 then (tested above)
        hport=$(free_port)
        slirp_of -p "127.0.0.1:$hport:53/udp"
        ! slirp_args | grep -qx -- --disable-host-loopback || fail "--disable-host-loopback with a UDP port published"
}

@test "the command of a host sandbox with slirp cannot become root over its network, even in a user namespace of its own" {
        [ -x /usr/sbin/nft ] || skip "host: /usr/sbin/nft is not installed (apt-get install nftables)"
        command -v unshare >/dev/null || skip "host: unshare (util-linux) is needed"
        host_server A
        # root in a new user namespace below the sandbox's holds no power
        # over the sandbox's network namespace, which belongs above (the
        # default seccomp policy would refuse the unshare itself: off here)
        sh_slirp --seccomp none --allow-host-loopback --allow "10.0.2.2:9/tcp" \
                "unshare --user --map-root-user sh -c 'echo uid=\$(id -u); /usr/sbin/nft flush ruleset 2>/dev/null; echo flush=\$?'; \$NS connect 10.0.2.2 $A 2"
        assert_status 0
        [ "${lines[0]}" = uid=0 ] || { show_run; fail "could not become root of a nested user namespace"; }
        [ "${lines[1]}" != flush=0 ] || { show_run; fail "nft flush ruleset succeeded as root of a nested user namespace"; }
        [[ "${lines[2]}" == "error "* ]] || { show_run; fail "port $A is no longer dropped"; }
}

# ---- refused before anything starts -------------------------------------------------------

@test "a malformed --publish is refused with one line naming it" {
        local v
        for v in 99999:80 abc 1:2:3:4 8080:0 :80 8080: 300.1.1.1:8080:80 8080:80/sctp; do
                run --separate-stderr "$NOOK" run --net "$NET" -p "$v" -- /bin/true
                assert_nook_error "$v" || fail "for --publish '$v'"
        done
}

@test "a --publish with a field after HOST_IP:HOST_PORT:PORT is refused" {
        run --separate-stderr "$NOOK" run --net "$NET" -p 127.0.0.1:8080:80:9 -- /bin/true
        assert_nook_error "127.0.0.1:8080:80:9"
}

@test "a malformed --allow or --deny is refused with one line naming it" {
        local v
        for v in 10.0.2.2:0 300.1.1.1 10.0.2.0/40 10.0.2.2:80-70 10.0.2.2:http 10.0.2.2:70000 host.example; do
                run --separate-stderr "$NOOK" run --net "$NET" --allow "$v" -- /bin/true
                assert_nook_error "$v" || fail "for --allow '$v'"
        done
        run --separate-stderr "$NOOK" run --net "$NET" --deny 10.0.2.0/40 -- /bin/true
        assert_nook_error 10.0.2.0/40
}

@test "--caps in a host sandbox with --net slirp is refused, naming the ways out; --caps none is not" {
        slirp_only
        run --separate-stderr "$NOOK" run --net "$NET" --caps CAP_NET_BIND_SERVICE -- /bin/true
        assert_nook_error "Mode=pasta"
        run --separate-stderr "$NOOK" run --net "$NET" --caps none -- /bin/true
        assert_status 0
}

@test "--caps CAP_NET_RAW is refused while the loopback guard or egress rules hold: raw frames pass below them" {
        run --separate-stderr "$NOOK" run --net "$NET" --caps CAP_NET_RAW -- /bin/touch "$TMP/marker"
        assert_nook_error "CAP_NET_RAW"
        run --separate-stderr "$NOOK" run --net "$NET" --allow-host-loopback --allow 10.0.2.2:80/tcp --caps CAP_NET_RAW -- /bin/touch "$TMP/marker"
        assert_nook_error "CAP_NET_RAW"
        run --separate-stderr "$NOOK" run --net "$NET" --allow-host-loopback --deny 192.0.2.0/24 --caps all -- /bin/touch "$TMP/marker"
        assert_nook_error "CAP_NET_"
        [ ! -e "$TMP/marker" ] || fail "a command ran"
}

@test "--caps CAP_NET_RAW is kept with --allow-host-loopback and no egress rules: nothing to get past" {
        [ "$NET" = pasta ] || skip "a host sandbox with slirp keeps no capability at all"
        ask --net "$NET" --allow-host-loopback --caps CAP_NET_RAW -- caps
        assert_status 0
        assert_output_has "CapEff=0000000000002000"
}

@test "-p without --net slirp is refused, saying it needs slirp" {
        run --separate-stderr "$NOOK" run -p 8080:80 -- /bin/true
        assert_nook_error slirp
}

@test "--allow without a network of the sandbox's own is refused, saying it needs slirp" {
        run --separate-stderr "$NOOK" run --allow 10.0.2.2:80 -- /bin/true
        assert_nook_error slirp
}

@test "--net pasta gives the same addresses as slirp" {
        command -v pasta >/dev/null || skip "host: pasta is not installed (apt-get install passt)"
        run --separate-stderr "$NOOK" run --net pasta -- /bin/sh -c 'cat /proc/net/route | tail -n +2'
        assert_status 0
        assert_output_has "tap0"
}

@test "a failing network helper: one line with its last word, its whole log with -v, nothing left behind" {
        mkdir "$TMP/fakebin"
        printf '#!/bin/sh\necho "routine chatter"\necho "fake helper: the tap broke" >&2\nexit 1\n' >"$TMP/fakebin/$HELPER"
        chmod +x "$TMP/fakebin/$HELPER"
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run --net "$NET" -- /bin/true
        assert_nook_error "the tap broke"
        run --separate-stderr env PATH="$TMP/fakebin:$PATH" "$NOOK" run -v --net "$NET" -- /bin/true
        assert_status 125
        [[ "$stderr" == *"routine chatter"* ]] || { show_run; fail "-v did not print $HELPER's log"; }
        [[ "${stderr_lines[-1]}" == "nook: $HELPER failed"* ]] || { show_run; fail "the last line is not nook's error"; }
        [ -z "$(run_dirs_left)" ] || fail "left in the run directory:" "$(run_dirs_left)"
}

@test "without its helper on PATH, the network mode fails naming the package, leaving nothing behind" {
        mkdir "$TMP/emptybin"
        # the same PATH works without slirp: the failure is slirp's alone
        run --separate-stderr env PATH="$TMP/emptybin" "$NOOK" run -- /bin/true
        assert_status 0
        run --separate-stderr env PATH="$TMP/emptybin" "$NOOK" run --net "$NET" -- /bin/true
        assert_nook_error "apt-get install $PKG"
        no_helper_left || fail "$HELPER running:" "$(our_helpers)"
        [ -z "$(run_dirs_left)" ] || fail "left in the run directory:" "$(run_dirs_left)"
}

# ---- an image, and a profile ----------------------------------------------------------------

@test "an image sandbox with --net slirp --allow-host-loopback reaches 10.0.2.2" {
        local script
        for script in "${NOOK_SRCDIR:-/nonexistent}/tests/fixtures/make-images" \
                "$BATS_TEST_DIRNAME/../fixtures/make-images"; do
                [ -f "$script" ] && break
        done
        [ -f "$script" ] || skip "tests/fixtures/make-images is missing"
        local tool
        for tool in umoci skopeo tar gzip xz; do
                command -v "$tool" >/dev/null || skip "host: the image fixture needs $tool"
        done
        [ -x /bin/busybox ] || skip "host: the image fixture needs a static busybox (apt-get install busybox-static)"
        bash "$script" "$TMP/fix" oci >"$TMP/make-images.log" 2>&1 || fail "make-images failed:" "$(cat "$TMP/make-images.log")"
        export XDG_DATA_HOME="$TMP/data"
        run --separate-stderr "$NOOK" image import "$TMP/fix/busybox-oci"
        assert_status 0
        host_server A
        run --separate-stderr "$NOOK" run --net "$NET" --allow-host-loopback busybox-oci:1.35 -- \
                /bin/sh -c "/bin/busybox timeout 5 /bin/busybox nc 10.0.2.2 $A </dev/null"
        [[ "$stderr" != *"applet not found"* ]] || skip "the fixture's busybox has no nc or timeout"
        # reached is what counts: nc may wait for a close that pasta's
        # splice passes on later than slirp does, until its timeout (143)
        [ "$status" -eq 0 ] || [ "$status" -eq 143 ] || fail "status $status:" "$stderr"
        # (pasta's splice has been seen to hand nc the line more than once)
        [ "${lines[0]}" = "hello $A" ] || fail "unexpected answer: $output"
}

# A profile that publishes a port (@HPORT@ in the template) and lets one
# host port through, then execs nook with it.
run_profile() {
        sed "s/@HPORT@/$1/" "$TMP/app.profile.in" >"$TMP/app.profile"
        exec "$NOOK" run --profile "$TMP/app.profile" --ro-bind "$NETSERVER" --ro-bind "$TMP/www" --bind "$TMP/shared"
}

@test "a profile's [Network] Mode=slirp, AllowHostLoopback=, Allow= and PublishPort= work as the options do" {
        host_server A
        host_server B
        mkdir "$TMP/www" "$TMP/shared"
        echo "served under a profile" >"$TMP/www/page"
        cat >"$TMP/app.profile.in" <<EOF
[Network]
Mode=slirp
AllowHostLoopback=yes
Allow=10.0.2.2:$A/tcp
PublishPort=@HPORT@:8080/tcp

[Run]
Command=/bin/bash -c "$PY $NETSERVER connect 10.0.2.2 $A 2 >$TMP/shared/out; $PY $NETSERVER connect 10.0.2.2 $B 2 >>$TMP/shared/out; exec timeout 20 $PY -m http.server --bind 0.0.0.0 8080 --directory $TMP/www"
EOF
        publish_bg tcp run_profile @HPORT@
        run listening tcp "$HPORT"
        assert_output "127.0.0.1:$HPORT"
        wait_for 5 http_ok "$HPORT" /page || fail "no answer on 127.0.0.1:$HPORT: $OUT" "$(cat "$NOOKLOG")"
        [ "$OUT" = "ok 200 served under a profile" ] || fail "unexpected answer: $OUT"
        run cat "$TMP/shared/out"
        [ "${lines[0]}" = "ok hello $A" ] || { show_run; fail "port $A was not let through"; }
        [[ "${lines[1]}" == "error "* ]] || { show_run; fail "port $B was not dropped"; }
}
