# Shared set-up and assertions for the integration tests.
#
# The runner provides, and every test needs:
#   NOOK           absolute path of the nook binary under test
#   PROBE          absolute path of the static probe (tests/probe.c)
#   NOOK_TEST_TMP  a writable scratch directory the user owns (optional here:
#                  each test works in its own $BATS_TEST_TMPDIR)
# The tests run as an ordinary user, never as root. They skip, never fail,
# only when the host lacks something they need, and say what.

bats_require_minimum_version 1.5.0

# A test that hangs (a sandbox that never ends) fails instead of stalling
# the suite.
: "${BATS_TEST_TIMEOUT:=60}"
export BATS_TEST_TIMEOUT

# ---- set-up --------------------------------------------------------------

common_setup() {
        STARTED_PIDS=()
        HOST_FILES=()
        TEST_MARKER=
        [ -n "${NOOK:-}" ] && [ -x "$NOOK" ] ||
                fail "NOOK must name the nook binary to test (got '${NOOK:-}')"
        [ -n "${PROBE:-}" ] && [ -x "$PROBE" ] ||
                fail "PROBE must name the static probe built from tests/probe.c (got '${PROBE:-}')"
        [ "$(id -u)" -ne 0 ] || fail "the integration tests must run as an unprivileged user, not root"
        require_userns

        TMP="$BATS_TEST_TMPDIR"
        # Run state, if nook keeps any, goes somewhere this test owns and
        # can inspect for leftovers.
        export XDG_RUNTIME_DIR="$TMP/xdg-run"
        mkdir -m 0700 "$XDG_RUNTIME_DIR"
        MOUNTS_BEFORE=$(cat /proc/self/mountinfo)
        # Put in the command line of what a test starts in the background, so
        # that teardown finds it wherever it was reparented.
        TEST_MARKER=$(unique_marker)
}

common_teardown() {
        local p
        # Only ever kill what this test started itself: pids with their start
        # time recorded, and processes carrying this test's marker in argv
        # (none if set-up stopped before making one).
        for p in "${STARTED_PIDS[@]}" $(marked_procs "${TEST_MARKER:-}"); do
                if proc_alive "$p"; then kill -KILL "${p%%:*}" 2>/dev/null || true; fi
        done
        for p in "${HOST_FILES[@]}"; do rm -rf -- "$p"; done
}

setup() { common_setup; }
teardown() { common_teardown; }

# Unprivileged user namespaces are the one thing of the host nook cannot do
# without. Checked once per run.
require_userns() {
        local mark="$BATS_RUN_TMPDIR/userns-ok" nomark="$BATS_RUN_TMPDIR/userns-missing"
        [ -e "$mark" ] && return 0
        [ -e "$nomark" ] && skip "host: unprivileged user namespaces are not available ($(cat "$nomark"))"
        if unshare --user --map-root-user true 2>"$nomark"; then
                : >"$mark"
                rm -f "$nomark"
        else
                skip "host: unprivileged user namespaces are not available ($(cat "$nomark"))"
        fi
}

# ---- running things --------------------------------------------------------

nook() { "$NOOK" "$@"; }

# inbox [NOOK-RUN-OPTION...] -- COMMAND [ARG...]
# nook run with the probe bound read-only at its own path.
inbox() { "$NOOK" run --ro-bind "$PROBE" "$@"; }

# ask [NOOK-RUN-OPTION...] -- PROBE-ARG...
# Asks the probe a question in a sandbox; sets status, output (stdout only)
# and stderr like `run --separate-stderr`.
ask() {
        local opts=()
        while [ "$#" -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        [ "$#" -gt 0 ] || fail "ask: missing -- before the probe's arguments"
        shift
        run --separate-stderr "$NOOK" run --ro-bind "$PROBE" "${opts[@]}" -- "$PROBE" "$@"
}

# ask_clean: like ask, with the probe at /probe and no cwd bind, for tests of
# directories (/tmp, $HOME, ...) that must hold nothing of ours.
ask_clean() {
        local opts=()
        while [ "$#" -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        [ "$#" -gt 0 ] || fail "ask_clean: missing -- before the probe's arguments"
        shift
        run --separate-stderr "$NOOK" run --no-cwd --ro-bind "$PROBE:/probe" "${opts[@]}" -- /probe "$@"
}

# The same question asked of the host, without a sandbox.
ask_host() { run --separate-stderr "$PROBE" "$@"; }

# A number usable as `sleep` argument that names this test's processes; all
# have the same length, so that none is a part of another.
unique_marker() { printf '7777.%07d%05d' "$BASHPID" "$RANDOM"; }

# ---- assertions ------------------------------------------------------------

fail() {
        printf '%s\n' "$@" >&2
        return 1
}

show_run() {
        printf 'status: %s\nstdout: %s\n' "$status" "$output"
        [ -z "${stderr+x}" ] || printf 'stderr: %s\n' "$stderr"
}

assert_status() {
        [ "$status" -eq "$1" ] || { show_run >&2; fail "expected exit status $1, got $status"; }
}

assert_output() {
        [ "$output" = "$1" ] || { show_run >&2; fail "expected output: $1"; }
}

assert_output_has() {
        [[ "$output" == *"$1"* ]] || { show_run >&2; fail "expected output to contain: $1"; }
}

assert_output_lacks() {
        [[ "$output" != *"$1"* ]] || { show_run >&2; fail "expected output not to contain: $1"; }
}

# The probe answered (exit 0) with exactly this line.
assert_answer() {
        assert_status 0
        assert_output "$1"
}

# The probe answered with one of the given lines.
assert_answer_in() {
        local a
        assert_status 0
        for a in "$@"; do [ "$output" = "$a" ] && return 0; done
        show_run >&2
        fail "expected one of: $*"
}

# The probe answered with KEY=VALUE among its words.
assert_field() {
        assert_status 0
        [[ " $output " == *" $1=$2 "* ]] || { show_run >&2; fail "expected $1=$2"; }
}

# nook failed by itself: status 125, nothing on stdout, exactly one line on
# stderr starting with "nook: " and naming the value (any of the given forms).
assert_nook_error() {
        local v
        assert_status 125
        [ -z "$output" ] || { show_run >&2; fail "expected nothing on stdout"; }
        [ "${#stderr_lines[@]}" -eq 1 ] ||
                { show_run >&2; fail "expected exactly one line on stderr, got ${#stderr_lines[@]}"; }
        [[ "${stderr_lines[0]}" == "nook: "* ]] ||
                { show_run >&2; fail "expected the error line to start with 'nook: '"; }
        [ "$#" -eq 0 ] && return 0
        for v in "$@"; do [[ "${stderr_lines[0]}" == *"$v"* ]] && return 0; done
        show_run >&2
        fail "expected the error to name the value: $*"
}

# ---- processes ---------------------------------------------------------------

# proc_stat PID: sets STAT_STATE, STAT_PPID and STAT_START from /proc/PID/stat
# (fields after the command name, which may itself hold spaces and parens).
proc_stat() {
        local s f
        { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
        read -ra f <<<"${s##*) }"
        STAT_STATE=${f[0]} STAT_PPID=${f[1]} STAT_START=${f[19]}
}

# proc_alive PID:START — the very process is still running (a zombie, waiting
# for a slow reaper, does not count).
proc_alive() {
        proc_stat "${1%%:*}" || return 1
        [ "$STAT_START" = "${1#*:}" ] && [ "$STAT_STATE" != Z ] && [ "$STAT_STATE" != X ]
}

# descendants PID: prints PID:START of every live descendant of PID.
descendants() {
        local -A parent start
        local d p frontier next
        for d in /proc/[0-9]*; do
                p=${d#/proc/}
                proc_stat "$p" || continue
                [ "$STAT_STATE" = Z ] && continue
                parent[$p]=$STAT_PPID
                start[$p]=$STAT_START
        done
        frontier=" $1 "
        while [ -n "${frontier// /}" ]; do
                next=" "
                for p in "${!parent[@]}"; do
                        if [[ "$frontier" == *" ${parent[$p]} "* ]]; then
                                echo "$p:${start[$p]}"
                                next+="$p "
                        fi
                done
                frontier=$next
        done
        return 0
}

# ere_quote STRING: STRING as an extended regular expression matching itself.
ere_quote() {
        local s=$1 out='' c i
        for ((i = 0; i < ${#s}; i++)); do
                c=${s:i:1}
                case $c in
                '^') out+='\^' ;;
                [[:punct:]]) out+="[$c]" ;;
                *) out+=$c ;;
                esac
        done
        printf '%s' "$out"
}

# marked_procs MARKER: PID:START of this user's live processes whose command
# line contains MARKER. pgrep picks the candidates (a loop over /proc is slow
# under bats); each is then checked here: the marker as a fixed string, the
# real uid (a non-dumpable process's /proc entries belong to root), not a
# zombie.
marked_procs() {
        local p line uid candidates words=()
        [ -n "$1" ] || return 0 # an empty marker would name every process
        uid=$(id -u)
        if command -v pgrep >/dev/null; then
                candidates=$(pgrep -U "$uid" -f -- "$(ere_quote "$1")") || return 0
        else
                candidates=$(cd /proc && echo [0-9]*)
        fi
        for p in $candidates; do
                { mapfile -d '' words <"/proc/$p/cmdline"; } 2>/dev/null || continue
                [[ " ${words[*]} " == *"$1"* ]] || continue
                line=
                while read -r line; do
                        [[ "$line" == Uid:* ]] && break
                done 2>/dev/null <"/proc/$p/status"
                read -ra words <<<"$line"
                [ "${words[1]:-}" = "$uid" ] || continue
                proc_stat "$p" || continue
                [ "$STAT_STATE" = Z ] && continue
                echo "$p:$STAT_START"
        done
        return 0
}

# wait_until TENTHS COMMAND...: retries COMMAND every 0.1 s, at most TENTHS times.
wait_until() {
        local n=$1
        shift
        while [ "$n" -gt 0 ]; do
                "$@" && return 0
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

file_has_line() { grep -qx -- "$2" "$1" 2>/dev/null; }

none_alive() {
        local p
        for p in "$@"; do proc_alive "$p" && return 1; done
        return 0
}

# ---- host state ------------------------------------------------------------

assert_host_mounts_unchanged() {
        local now
        now=$(cat /proc/self/mountinfo)
        [ "$now" = "$MOUNTS_BEFORE" ] ||
                fail "the host's mount table changed:" "$(diff <(echo "$MOUNTS_BEFORE") <(echo "$now"))"
}

# Nothing but (empty) directories under the run-state dir.
assert_no_files_left() {
        local left
        left=$(find "$XDG_RUNTIME_DIR" -mindepth 1 ! -type d 2>/dev/null)
        [ -z "$left" ] || fail "files left behind:" "$left"
}

# bg_rec COMMAND...: in the background, recorded for teardown.
bg_rec() {
        "$@" >"$TMP/bg.log" 2>&1 </dev/null 3>&- &
        proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
        disown "$!"
}

# stop_display_servers: Xvfb and weston (XVFB, WESTON) ended with SIGTERM,
# on which they remove their sockets and lock files (not on SIGKILL).
stop_display_servers() {
        local p
        for p in ${XVFB:-} ${WESTON:-}; do
                if proc_alive "$p"; then
                        kill -TERM "${p%%:*}" 2>/dev/null || true
                        wait_until 30 eval '! proc_alive "$p"' || true
                fi
        done
}

# xvfb [ARG...]: an Xvfb of the test's own on a free display (XNUM, XVFB its
# pid), reached through its socket in /tmp/.X11-unix only.
xvfb() {
        command -v Xvfb >/dev/null || skip "host: Xvfb is not installed (apt-get install xvfb)"
        command -v xdpyinfo >/dev/null || skip "host: xdpyinfo is not installed (apt-get install x11-utils)"
        local n
        for n in $(seq 40 99 | shuf -n 20); do
                [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
                XNUM=$n
                bg_rec Xvfb ":$n" -nolisten tcp -nolisten local "$@"
                XVFB=${STARTED_PIDS[-1]}
                wait_until 50 test -S "/tmp/.X11-unix/X$n" && return 0
                fail "Xvfb :$n did not start:" "$(cat "$TMP/bg.log")"
        done
        fail "no free X display number"
}
