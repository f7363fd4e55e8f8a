#!/usr/bin/env bats
# What users bring from podman and docker: nook run's -t, -i, -w, -u,
# --entrypoint, --volume and --rm; the pull, images, rmi and exec aliases;
# unknown options that name themselves and give nook's spelling; JSON with
# RFC 3339 times and sizes in bytes (checked with jq). -t under a real pty
# is driven by ptydrive.py, as terminal.bats does.

load images-helpers

DRIVE="$BATS_TEST_DIRNAME/ptydrive.py"

setup_file() {
        images_setup_file oci
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        [ -z "$IMAGES_SKIP" ] || return 0
        local i
        for i in busybox-oci config-oci entrypoint-oci; do
                "$NOOK" image import "$FIX/$i" >/dev/null || fail "cannot import $i"
        done
}

teardown_file() { images_remove_tree "$BATS_FILE_TMPDIR/data"; }

setup() {
        common_setup
        STORE="$XDG_DATA_HOME/nook"
}

teardown() { common_teardown; }

need_images() { images_skip_without_fixtures; }
need_jq() { command -v jq >/dev/null || skip "host: jq is needed to read --json (apt-get install jq)"; }
need_python() { command -v python3 >/dev/null || skip "host: python3 is needed to drive a terminal"; }

# drive [DRIVER-OPTION...] -- COMMAND...: as in terminal.bats
drive() {
        run python3 "$DRIVE" --timeout 20 "$@"
        [ "$status" -eq 0 ] && [ "${lines[3]}" = --- ] || { show_run; fail "the terminal driver failed"; }
        TTY_ID=${lines[0]#tty=}
        CMD_STATUS=${lines[1]#status=}
        MODES=${lines[2]#modes=}
        OUT=${output#*$'\n---\n'}
}

show_drive() { printf 'command status: %s\nmodes: %s\nterminal %s showed:\n%s\n' "$CMD_STATUS" "$MODES" "$TTY_ID" "$OUT" >&2; }

# start_bg NOOK-RUN-ARGS...: a sandbox in the background, with no terminal.
start_bg() {
        env --default-signal=INT,QUIT "$NOOK" run "$@" >"$TMP/nook.out" 2>"$TMP/nook.err" </dev/null 3>&- &
        NOOK_PID=$!
        proc_stat "$NOOK_PID" && STARTED_PIDS+=("$NOOK_PID:$STAT_START")
}

listed() { "$NOOK" ps 2>/dev/null | grep -q "^$1 "; }

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

# ---- -t and -i ------------------------------------------------------------------

@test "-t gives the command a pty on fds 0-2 though nook's are pipes; its output comes through nook" {
        run --separate-stderr bash -c '"$0" run -t -- sh -c "tty; for f in 0 1 2; do test -t \$f && echo fd\$f=tty; done; stty size" </dev/null | cat' "$NOOK"
        assert_status 0
        [[ "${lines[0]}" == /dev/pts/* ]] || { show_run; fail "tty does not name a pty"; }
        [[ "$output" == *fd0=tty*fd1=tty*fd2=tty* ]] || { show_run; fail "fds 0-2 are not the pty"; }
        # no terminal of the caller's to take a size from: a terminal's default
        [[ "$output" == *"24 80"* ]] || { show_run; fail "the pty has no size"; }
}

@test "-t: a stdin that is no terminal is typed into the pty, and its end is the command's EOF" {
        run --separate-stderr timeout 30 bash -c 'printf "first\nsecond" | "$0" run -t -- sh -c "cat; echo eof-seen"' "$NOOK"
        assert_status 0
        [[ "$output" == *first*second*eof-seen* ]] || { show_run; fail "stdin did not reach the pty, or its end was not EOF"; }
}

@test "-i is accepted and stdin is the command's (the default); -it works without a terminal" {
        run --separate-stderr bash -c 'echo piped-in | "$0" run -i -- cat' "$NOOK"
        assert_answer piped-in
        run --separate-stderr bash -c 'echo piped-in | "$0" run --interactive -- cat' "$NOOK"
        assert_answer piped-in
        run --separate-stderr bash -c 'echo piped-in | "$0" run -it -- sh -c "read x; echo got=\$x"' "$NOOK"
        assert_status 0
        assert_output_has got=piped-in
}

@test "nook run -it under a terminal: a pty of the sandbox's own, no fd of the caller's terminal inside, the modes restored" {
        need_python
        drive -- "$NOOK" run -it -- sh -c 'tty; for f in 0 1 2; do stat -L -c "fd$f=%d:%i" /proc/self/fd/$f; done; ls -l /proc/self/fd/; exit 3'
        [ "$CMD_STATUS" = 3 ] || { show_drive; fail "exit status $CMD_STATUS, not 3"; }
        [[ "$OUT" == /dev/pts/* ]] || { show_drive; fail "tty does not name a pty"; }
        [ "$(grep -c '^fd[012]=' <<<"$OUT")" -eq 3 ] || { show_drive; fail "the fds were not shown"; }
        ! grep -q "^fd[012]=$TTY_ID\$" <<<"$OUT" || { show_drive; fail "the caller's terminal is open in the sandbox"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "nook run -it under a terminal: stty size follows a resize, and ^C reaches the command" {
        need_python
        local watch='trap "stty size; exit 0" WINCH; stty size; echo READY; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 1'
        drive --size 33 90 --step READY resize '44 130' -- "$NOOK" run -it -- sh -c "$watch"
        [ "$CMD_STATUS" = 0 ] && [[ "$OUT" == *$'33 90\nREADY\n44 130'* ]] || { show_drive; fail "the size did not follow"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
        local loop='trap "echo got-INT; exit 9" INT; echo READY; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; echo no-INT'
        drive --step READY send '\x03' -- "$NOOK" run -it -- sh -c "$loop"
        [ "$CMD_STATUS" = 9 ] && [[ "$OUT" == *got-INT* ]] || { show_drive; fail "^C did not reach the command"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "-t under a terminal with the output piped: the command still has a pty, the caller's terminal is restored" {
        need_python
        drive --size 30 100 -- sh -c '"$0" run -t -- sh -c "tty; stty size" | cat' "$NOOK"
        [[ "$OUT" == *$'/dev/pts/'* ]] || { show_drive; fail "tty does not name a pty"; }
        [[ "$OUT" == *"30 100"* ]] || { show_drive; fail "the size is not the caller's terminal's"; }
        [ "$MODES" = same ] || { show_drive; fail "the terminal's modes were not restored"; }
}

@test "-dt: the detached command has a pty, its output goes to the log, and -dit keeps a reader alive until stopped" {
        run --separate-stderr "$NOOK" run -dt --name ttylog -- sh -c 'tty; echo logged-through-pty'
        assert_status 0
        local id=$output
        wait_until 50 sh -c "\"$NOOK\" logs $id 2>/dev/null | grep -q logged-through-pty" || fail "the output did not reach the log:" "$("$NOOK" logs "$id" 2>&1)"
        run --separate-stderr "$NOOK" logs "$id"
        [[ "${lines[0]}" == /dev/pts/* ]] || { show_run; fail "the detached command had no pty"; }
        # as podman run -dit: a shell reading its terminal waits instead of
        # ending on an empty stdin
        run --separate-stderr "$NOOK" run -dit --name ttykeep -- cat
        assert_status 0
        id=$output
        sleep 1
        listed "$id" || fail "cat ended: its stdin was not a terminal kept open"
        run --separate-stderr "$NOOK" stop ttykeep
        assert_status 0
}

# ---- -w, --volume, -u, --rm ------------------------------------------------------

@test "-w and --workdir are --chdir" {
        run --separate-stderr "$NOOK" run -w /tmp -- pwd
        assert_answer /tmp
        run --separate-stderr "$NOOK" run --workdir=/usr -- pwd
        assert_answer /usr
}

@test "--volume SRC:DST[:ro] is --bind" {
        mkdir "$TMP/vol"
        echo from-host >"$TMP/vol/f"
        run --separate-stderr "$NOOK" run --volume "$TMP/vol:/data" -- sh -c 'cat /data/f; echo written >/data/g'
        assert_answer from-host
        [ "$(cat "$TMP/vol/g")" = written ] || fail "the volume is not read-write"
        run --separate-stderr "$NOOK" run --volume "$TMP/vol:/data:ro" -- sh -c 'cat /data/f; echo x >/data/h'
        [ "$status" -ne 0 ] || { show_run; fail "a :ro volume was writable"; }
        [ ! -e "$TMP/vol/h" ] || fail "a :ro volume was written"
}

@test "-u/--user in a host sandbox: ids as they are, names from the host's passwd" {
        run --separate-stderr "$NOOK" run -u 1234:2345 -- sh -c 'echo $(id -u):$(id -g)'
        assert_answer 1234:2345
        run --separate-stderr "$NOOK" run --user root -- sh -c 'echo $(id -u):$(id -g)'
        assert_answer 0:0
        run --separate-stderr "$NOOK" run --user 0:nogroup -- sh -c 'echo $(id -u):$(id -g)'
        assert_answer "0:$(getent group nogroup | cut -d: -f3)"
        run --separate-stderr "$NOOK" run -u no-such-user-here -- true
        assert_nook_error "--user no-such-user-here" "no such user"
        run --separate-stderr "$NOOK" run -u 5 --uid 5 -- true
        assert_nook_error "--user and --uid"
        # over a profile's User=, as options are
        mkdir -p "$TMP/profiles"
        printf "[Run]\nUser=4321\nGroup=4321\n" >"$TMP/profiles/who.profile"
        run --separate-stderr "$NOOK" run -u 1234:2345 --profile "$TMP/profiles/who.profile" -- sh -c 'echo $(id -u):$(id -g)'
        assert_answer 1234:2345
        run --separate-stderr "$NOOK" run --profile "$TMP/profiles/who.profile" -- sh -c 'echo $(id -u):$(id -g)'
        assert_answer 4321:4321
}

@test "-u/--user of an image: names and groups resolved in the image's own files" {
        need_images
        in_image config-oci:1.35 /bin/sh -c 'echo "$(id -u):$(id -g)"'
        assert_answer 1000:1000
        run --separate-stderr "$NOOK" run -u root config-oci:1.35 -- /bin/sh -c 'echo "$(id -u):$(id -g)"'
        assert_answer 0:0
        run --separate-stderr "$NOOK" run --user app:staff busybox-oci:1.35 -- /bin/sh -c 'echo "$(id -u):$(id -g)"'
        assert_answer 1000:42
        run --separate-stderr "$NOOK" run --user 1000 busybox-oci:1.35 -- /bin/sh -c 'echo "$(id -u):$(id -g)"'
        assert_answer 1000:1000
        run --separate-stderr "$NOOK" run --user nobody-in-image busybox-oci:1.35 -- /bin/true
        assert_nook_error nobody-in-image
}

@test "--rm is accepted (every sandbox is removed anyway); with --persist it is refused" {
        run --separate-stderr "$NOOK" run --rm -- echo removed-anyway
        assert_answer removed-anyway
        run --separate-stderr "$NOOK" run --rm --persist --name keep -- true
        assert_nook_error "--rm and --persist"
        need_images
        run --separate-stderr "$NOOK" run --rm busybox-oci:1.35 -- /bin/echo image-removed-anyway
        assert_answer image-removed-anyway
        run --separate-stderr "$NOOK" run --rm --persist --name keep busybox-oci:1.35 -- /bin/true
        assert_nook_error "--rm and --persist"
        [ ! -e "$STORE/containers/keep" ] || fail "the refused run left a persistent sandbox"
}

@test "--entrypoint replaces an image's Entrypoint and Cmd; '' clears it; a host sandbox refuses it" {
        run --separate-stderr "$NOOK" run --entrypoint /bin/true -- true
        assert_nook_error "--entrypoint"
        need_images
        run --separate-stderr "$NOOK" run --entrypoint /bin/echo entrypoint-oci:1.35 -- replaced ep
        assert_answer "replaced ep"
        # the image's Cmd goes with its Entrypoint, as in podman
        run --separate-stderr "$NOOK" run --entrypoint /bin/echo entrypoint-oci:1.35
        assert_answer ""
        run --separate-stderr "$NOOK" run --entrypoint '' entrypoint-oci:1.35 -- /bin/echo no-entrypoint
        assert_answer no-entrypoint
        run --separate-stderr "$NOOK" run --entrypoint '' entrypoint-oci:1.35
        assert_nook_error "no command"
}

# ---- what nook says of podman's options ---------------------------------------

@test "an unknown short option names itself, also inside -it-like clusters" {
        run --separate-stderr "$NOOK" run -ik -- true
        assert_nook_error "'-k' (in '-ik')"
        run --separate-stderr "$NOOK" run -k -- true
        assert_nook_error "'-k'"
        [[ "$stderr" != *"'run'"* ]] || { show_run; fail "blames the word 'run'"; }
}

@test "podman's spellings get nook's: -v SRC:DST, --network, --mount, --cap-add" {
        run --separate-stderr "$NOOK" run -v /tmp:/data -- true
        assert_nook_error "--bind /tmp:/data" 
        [[ "$stderr" == *--volume* ]] || { show_run; fail "--volume is not named"; }
        run --separate-stderr "$NOOK" run -v/tmp:/data -- true
        assert_nook_error "--bind /tmp:/data"
        run --separate-stderr "$NOOK" run --network host -- true
        assert_nook_error "--net"
        run --separate-stderr "$NOOK" run --network=host -- true
        assert_nook_error "--net"
        run --separate-stderr "$NOOK" run --cap-add NET_ADMIN -- true
        assert_nook_error "--caps"
        # -v stays nook's --verbose
        run --separate-stderr "$NOOK" run -v -- true
        assert_status 0
}

@test "nook run --help documents podman's options, and the completion offers them and the aliases" {
        run --separate-stderr "$NOOK" run --help
        assert_status 0
        local opt
        for opt in "-t, --tty" "-i, --interactive" "-w, --workdir" "-u, --user" --entrypoint --volume --rm; do
                assert_output_has "$opt"
        done
        local completion=${NOOK_SRCDIR:-$BATS_TEST_DIRNAME/../..}/contrib/bash-completion/nook
        complete_words() {
                bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nook; printf "%s\n" "${COMPREPLY[@]}"' \
                        complete "$completion" "$NOOK" "$@"
        }
        run complete_words run --wo
        assert_output --workdir
        run complete_words run --entry
        assert_output --entrypoint
        run complete_words ""
        [[ "$output" == *pull*images*rmi*exec* ]] || fail "the aliases do not complete: $output"
}

# ---- top-level aliases ----------------------------------------------------------

@test "nook --help says what pull, images, rmi and exec are" {
        run --separate-stderr "$NOOK" --help
        assert_status 0
        assert_output_has "pull REF"
        assert_output_has "'nook image pull REF'"
        assert_output_has "'nook image ls'"
        assert_output_has "'nook image rm IMAGE...'"
        assert_output_has "'nook enter'"
}

@test "nook images is nook image ls, nook rmi is nook image rm, nook pull is nook image pull" {
        need_images
        need_jq
        run --separate-stderr "$NOOK" images
        assert_status 0
        assert_output_has busybox-oci:1.35
        diff <("$NOOK" images --json | jq -S .) <("$NOOK" image ls --json | jq -S .) || fail "nook images --json differs from nook image ls --json"
        "$NOOK" image import --name doomed "$FIX/busybox-oci" >/dev/null
        run --separate-stderr "$NOOK" rmi doomed:latest
        assert_status 0
        run --separate-stderr "$NOOK" images --json
        [[ "$output" != *doomed* ]] || fail "nook rmi did not remove the image"
        # the same answer as nook image pull, without the network: no reference
        run --separate-stderr "$NOOK" image pull
        local want_status=$status want=$stderr
        run --separate-stderr "$NOOK" pull
        [ "$status" -eq "$want_status" ] && [ "$stderr" = "$want" ] || { show_run; fail "nook pull is not nook image pull ($want_status: $want)"; }
}

@test "nook exec is nook enter" {
        start_bg --name execbox -- sleep 60
        wait_until 50 listed "$NOOK_PID" || fail "the sandbox did not start:" "$(cat "$TMP/nook.err")"
        run --separate-stderr "$NOOK" exec execbox -- sh -c 'echo entered-by-exec'
        assert_answer entered-by-exec
        # podman's form: -it, and the command right after the name
        run --separate-stderr "$NOOK" exec -it execbox sh -c 'tty; test -t 1 && echo out-is-tty'
        assert_status 0
        [[ "${lines[0]}" == /dev/pts/* ]] && [[ "$output" == *out-is-tty* ]] || { show_run; fail "nook exec -t gave no pty"; }
        # -i alone: pipes, as nook enter's without a terminal
        run --separate-stderr bash -c 'echo via-stdin | "$0" exec -i execbox cat' "$NOOK"
        assert_answer via-stdin
        # nook enter keeps its own form: the command after "--"
        run --separate-stderr "$NOOK" enter execbox echo x
        assert_status 125
        "$NOOK" stop execbox
}

@test "nook exec into an image sandbox whose command runs as -u 1000: that uid, the command's environment" {
        need_images
        start_bg --name user1000 -u 1000 -e NOOK_MARK=from-run busybox-oci:1.35 -- sleep 60
        wait_until 50 listed "$NOOK_PID" || fail "the sandbox did not start:" "$(cat "$TMP/nook.err")"
        # its environ is not the host user's to read: a subordinate id owns it
        run --separate-stderr "$NOOK" exec user1000 sh -c 'id -u; echo "$NOOK_MARK"'
        assert_status 0
        [ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = from-run ] || { show_run; fail "not the command's uid and environment"; }
        "$NOOK" stop user1000
}

@test "nook exec never hands a command's environment to a lesser uid: one line, nothing run" {
        need_images
        need_python
        start_bg --name rootcmd -e NOOK_MARK=roots-only busybox-oci:1.35 -- sleep 60
        wait_until 50 listed "$NOOK_PID" || fail "the sandbox did not start:" "$(cat "$TMP/nook.err")"
        # the state now says uid 1000, the command still runs as root
        python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s["confine"].update(uid_set=True, uid=1000)
json.dump(s, open(sys.argv[1], "w"))
' "$XDG_RUNTIME_DIR/nook/$NOOK_PID/state"
        run --separate-stderr "$NOOK" exec rootcmd sh -c 'echo "ran as $(id -u) with $NOOK_MARK"'
        assert_nook_error "uid 1000"
        "$NOOK" stop rootcmd
}

# ---- JSON ---------------------------------------------------------------------------

@test "nook image ls --json: one shape, imported as RFC 3339, size in bytes" {
        need_images
        need_jq
        run --separate-stderr "$NOOK" image ls --json
        assert_status 0
        jq -e 'type == "array" and length >= 3 and
               all(.[]; (keys == ["config_digest", "hidden", "imported", "layers", "name", "size", "store"]) and
                   (.name | type == "string") and (.config_digest | startswith("sha256:")) and
                   (.layers | type == "number") and (.size | type == "number" and . > 0) and
                   (.imported | type == "string"))' <<<"$output" >/dev/null || { show_run; fail "not the documented shape"; }
        local t
        for t in $(jq -r '.[].imported' <<<"$output"); do
                [[ "$t" =~ $RFC3339 ]] || fail "imported '$t' is not RFC 3339"
                # within a day of now: a date, not seconds misread
                [ $(( $(date -u +%s) - $(date -u -d "$t" +%s) )) -lt 86400 ] || fail "imported '$t' is not today"
        done
        # the size is the bytes of the files of its unpacked layers
        local want=0 d
        for d in $(layer_dirs busybox-oci:1.35); do
                want=$((want + $(find "$d" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')))
        done
        [ "$want" -gt 0 ] || fail "the layers hold no bytes"
        [ "$(jq '.[] | select(.name == "busybox-oci:1.35") | .size' <<<"$output")" -eq "$want" ] || fail "size is not $want bytes"
}

@test "nook image inspect: imported as RFC 3339, size in bytes" {
        need_images
        need_jq
        run --separate-stderr "$NOOK" image inspect busybox-oci:1.35
        assert_status 0
        jq -e '(.imported | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")) and
               (.size | type == "number" and . > 0) and (.name == "busybox-oci:1.35") and (.layers | type == "array")' \
                <<<"$output" >/dev/null || { show_run; fail "not the documented shape"; }
}

@test "nook ps --json: one shape, started as RFC 3339" {
        need_jq
        start_bg --name jsonbox -- sleep 60
        wait_until 50 listed "$NOOK_PID" || fail "the sandbox did not start:" "$(cat "$TMP/nook.err")"
        run --separate-stderr "$NOOK" ps --json
        assert_status 0
        jq -e --argjson id "$NOOK_PID" 'type == "array" and
               ([.[] | select(.id == $id)] | length == 1) and
               all(.[]; (keys - ["image", "log", "name", "profile"]) == ["command", "id", "net", "pid", "ports", "run_dir", "started"] and
                   (.started | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")))' \
                <<<"$output" >/dev/null || { show_run; fail "not the documented shape"; }
        local t
        t=$(jq -r --argjson id "$NOOK_PID" '.[] | select(.id == $id) | .started' <<<"$output")
        [ $(( $(date -u +%s) - $(date -u -d "$t" +%s) )) -lt 600 ] || fail "started '$t' is not now"
        "$NOOK" stop jsonbox
}
