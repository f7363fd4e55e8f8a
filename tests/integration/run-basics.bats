#!/usr/bin/env bats
# nook run: what the command gets (status, environment, directory, host
# name) and what nook itself says.

load helpers

# ---- nook's own output -------------------------------------------------------

@test "nook --version prints one line with a version number and exits 0" {
        run --separate-stderr nook --version
        assert_status 0
        [ "${#lines[@]}" -eq 1 ] || { show_run; fail "expected one line"; }
        [[ "$output" =~ ^nook.*[0-9]+\.[0-9]+ ]] || { show_run; fail "expected 'nook ... X.Y'"; }
}

@test "nook --help exits 0 and names the run command" {
        run --separate-stderr nook --help
        assert_status 0
        assert_output_has "run"
}

@test "nook run --help documents every run option" {
        local opt missing=()
        run --separate-stderr nook run --help
        assert_status 0
        for opt in --bind --ro-bind --tmpfs --hide --env --unsetenv --clearenv --chdir \
                --hostname --uid --gid --share-net --seccomp --fd --no-cwd --verbose --version --help; do
                [[ "$output" == *"$opt"* ]] || missing+=("$opt")
        done
        [ "${#missing[@]}" -eq 0 ] || fail "not in 'nook run --help': ${missing[*]}"
}

@test "nook run -h is --help" {
        run --separate-stderr nook run --help
        local long=$output
        run --separate-stderr nook run -h
        assert_status 0
        assert_output "$long"
}

@test "nook run --help and --version print their text once" {
        run --separate-stderr nook run --help
        assert_status 0
        [ "$(grep -c '^Usage: nook run' <<<"$output")" -eq 1 ] || fail "the help is printed more than once"
        run --separate-stderr nook run --version
        assert_status 0
        [ "$(grep -c '^nook ' <<<"$output")" -eq 1 ] || fail "the version is printed more than once"
}

@test "a running nook maps no library but libc and the loader (none when static-pie), and no NSS module" {
        # the image store's libraries (libarchive, libcrypto) live in
        # nook-image, users come from the files or getent, egress rules
        # are loaded by nft: one that creeps into nook costs every start,
        # and a static nook cannot load one reliably. HOME and USER unset:
        # nook looks the caller up in the password database.
        [ -z "${ASAN_OPTIONS:-}" ] || skip "a sanitizer build maps its runtime too"
        env -u HOME -u USER "$NOOK" run -- sleep "$TEST_MARKER" 3>&- &
        local pid=$! maps lib extra=()
        proc_stat "$pid" && STARTED_PIDS+=("$pid:$STAT_START")
        wait_until 200 test -n "$(marked_procs "$TEST_MARKER" | grep -v "^$pid:")" || fail "the command did not start"
        maps=$(awk '$6 ~ /^\// { print $6 }' "/proc/$pid/maps" | sort -u)
        kill -TERM "$pid"
        wait "$pid" || true
        local self
        self=$(readlink -f "$NOOK")
        while read -r lib; do
                [ -n "$lib" ] && [ "$(readlink -f "$lib")" != "$self" ] || continue
                case ${lib##*/} in
                ld-linux*.so.* | libc.so.*) ldd "$NOOK" 2>&1 | grep -q 'statically linked' && extra+=("$lib") ;;
                *) extra+=("$lib") ;;
                esac
        done <<<"$maps"
        [ "${#extra[@]}" -eq 0 ] || fail "nook maps more than it did: ${extra[*]} (keep them in nook-image, or in a helper's process)"
}

@test "a successful run prints nothing of nook's own" {
        run --separate-stderr nook run -- true
        assert_status 0
        [ -z "$output" ] && [ -z "$stderr" ] || { show_run; fail "expected no output at all"; }
}

@test "-v prints the setup steps on stderr, /usr among them" {
        run --separate-stderr nook run -v -- true
        assert_status 0
        [ -z "$output" ] || { show_run; fail "expected nothing on stdout"; }
        [[ "$stderr" == *"/usr"* ]] || { show_run; fail "expected the /usr step on stderr"; }
}

@test "NOOK_TIMINGS=1 prints one line of every start-up phase on stderr, the command's status kept" {
        NOOK_TIMINGS=1 run --separate-stderr nook run -- sh -c 'exit 3'
        assert_status 3
        [ -z "$output" ] || { show_run; fail "expected nothing on stdout"; }
        local phase
        for phase in pre-main prepare filter exec-clone clone-pivot pivot-exec command teardown; do
                [[ "$stderr" =~ " $phase="[0-9]+\.[0-9]{3}( |$) ]] || { show_run; fail "no $phase= in the timings"; }
        done
        [ "$(grep -c 'timings' <<<"$stderr")" -eq 1 ] || { show_run; fail "expected one line of timings"; }
}

@test "NOOK_TIMINGS=/path appends the line to that file, nothing on stderr" {
        NOOK_TIMINGS="$TMP/t" run --separate-stderr nook run -- true
        assert_status 0
        [ -z "$stderr" ] || { show_run; fail "expected nothing on stderr"; }
        NOOK_TIMINGS="$TMP/t" nook run -- true
        [ "$(grep -c '^nook: timings (ms): pre-main=.* teardown=' "$TMP/t")" -eq 2 ] || { cat "$TMP/t"; fail "expected two lines"; }
}

@test "--verbose is -v" {
        run --separate-stderr nook run --verbose -- true
        assert_status 0
        [[ "$stderr" == *"/usr"* ]] || { show_run; fail "expected the /usr step on stderr"; }
}

# ---- exit status ---------------------------------------------------------------

@test "the command's exit status 42 is nook's" {
        run inbox -- "$PROBE" exit 42
        assert_status 42
}

@test "exit status 0 is nook's" {
        run inbox -- "$PROBE" exit 0
        assert_status 0
}

@test "a command killed by SIGKILL gives 128+9" {
        run inbox -- "$PROBE" selfkill 9
        assert_status 137
}

@test "a command killed by SIGTERM gives 128+15" {
        run inbox -- "$PROBE" selfkill TERM
        assert_status 143
}

@test "a failure of nook itself gives 125" {
        run --separate-stderr nook run --bind "$TMP/no-such-source:/data" -- true
        assert_status 125
}

@test "a file that is not executable gives 126" {
        [ -f /etc/passwd ] && [ ! -x /etc/passwd ] || skip "host: /etc/passwd is not a plain non-executable file"
        run --separate-stderr nook run -- /etc/passwd
        assert_status 126
}

@test "a directory as command gives 126" {
        run --separate-stderr nook run -- /usr
        assert_status 126
}

@test "a missing command path gives 127" {
        run -127 --separate-stderr nook run -- /usr/bin/nook-no-such-command
}

@test "a command not found in PATH gives 127" {
        run -127 --separate-stderr nook run -- nook-no-such-command
}

@test "a command is looked up in PATH" {
        run --separate-stderr nook run -- sh -c 'exit 7'
        assert_status 7
}

@test "arguments reach the command unchanged" {
        run --separate-stderr nook run -- printf '[%s]' 'a b' '' '*' '-v' '--'
        assert_answer '[a b][][*][-v][--]'
}

@test "stdin reaches the command" {
        run --separate-stderr nook run -- cat <<<"through the sandbox"
        assert_answer "through the sandbox"
}

# ---- environment -----------------------------------------------------------------

@test "the caller's environment passes by default" {
        NOOK_T_VAR="kept value" ask -- env NOOK_T_VAR
        assert_answer "kept value"
}

@test "-e K=V sets a variable" {
        ask -e NOOK_T_VAR=set-by-e -- env NOOK_T_VAR
        assert_answer "set-by-e"
}

@test "--env K=V sets a variable and overrides the caller's" {
        NOOK_T_VAR=outer ask --env NOOK_T_VAR=inner -- env NOOK_T_VAR
        assert_answer "inner"
}

@test "--env keeps everything after the first = in the value" {
        ask --env 'NOOK_T_VAR=a=b c' -- env NOOK_T_VAR
        assert_answer "a=b c"
}

@test "--unsetenv removes a variable" {
        NOOK_T_VAR=outer ask --unsetenv NOOK_T_VAR -- env NOOK_T_VAR
        assert_answer "<unset>"
}

@test "--clearenv removes the caller's variables" {
        NOOK_T_VAR=outer ask --clearenv -- env NOOK_T_VAR
        assert_answer "<unset>"
}

@test "--clearenv keeps variables given with --env" {
        ask --clearenv --env NOOK_T_VAR=given -- env NOOK_T_VAR
        assert_answer "given"
}

# ---- working directory -------------------------------------------------------------

@test "the command starts in the caller's directory" {
        mkdir "$TMP/work"
        cd "$TMP/work"
        ask -- cwd
        assert_answer "$TMP/work"
}

@test "the caller's directory is bound read-write: writes reach the host" {
        mkdir "$TMP/work"
        cd "$TMP/work"
        ask -- write "$TMP/work/made-inside"
        assert_answer ok
        [ -f "$TMP/work/made-inside" ] || fail "the file written inside is not on the host"
        [ "$(cat "$TMP/work/made-inside")" = x ] || fail "the file on the host has other content"
}

@test "the caller's directory shows the host's files" {
        mkdir "$TMP/work"
        echo hello >"$TMP/work/from-host"
        cd "$TMP/work"
        ask -- ls "$TMP/work"
        assert_answer "from-host"
}

@test "--no-cwd leaves the caller's directory out" {
        mkdir "$TMP/work"
        echo hello >"$TMP/work/from-host"
        cd "$TMP/work"
        ask_clean -- stat "$TMP/work/from-host"
        assert_answer ENOENT
}

@test "--chdir DIR starts the command in DIR" {
        ask --chdir /usr/share -- cwd
        assert_answer /usr/share
}

# ---- host name -----------------------------------------------------------------------

@test "--hostname NAME sets the host name inside" {
        ask --hostname nook-test-host -- hostname
        assert_answer nook-test-host
}

@test "--hostname leaves the host's own name alone" {
        local before
        before=$(uname -n)
        ask --hostname nook-test-host -- hostname
        assert_answer nook-test-host
        [ "$(uname -n)" = "$before" ] || fail "the host's name changed to $(uname -n)"
}

# ---- file descriptors ------------------------------------------------------------------

@test "--fd N passes exactly that descriptor" {
        echo "passed" >"$TMP/five"
        ask --fd 5 -- fds 5<"$TMP/five" 6</dev/null 7</dev/null
        assert_answer "0 1 2 5"
}

@test "--fd N passes the same open file" {
        printf '12345678' >"$TMP/eight"
        ask --fd 5 -- read /proc/self/fd/5 5<"$TMP/eight"
        assert_answer 8
}
