#!/usr/bin/env bats
# nook oci run|state|kill|delete: an OCI runtime for Slurm's --container.
# The bundles are the busybox fixture unpacked by umoci (--rootless), with
# their config.json changed per test; the last tests run them through a
# local Slurm (tests/slurm/local-slurm) whose oci.conf names this nook.

load images-helpers

setup_file() {
        images_setup_file oci
        [ -z "$IMAGES_SKIP" ] || return 0
        export BUNDLE="$BATS_FILE_TMPDIR/bundle"
        umoci unpack --rootless --image "$FIX/busybox-oci:1.35" "$BUNDLE" >/dev/null || fail "umoci unpack failed"
        # Slurm sets terminal off in the config.json it writes; nook oci
        # run's own tests run the bundle with no terminal either
        sed -i 's/"terminal": *true/"terminal": false/' "$BUNDLE/config.json"
        slurm_setup_file
}

# A local Slurm whose oci.conf runs nook oci (RunTimeRun mode), or
# SLURM_SKIP saying why not.
slurm_setup_file() {
        export SLURM_SKIP= SLURM_DIR=
        local p
        for p in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/srun; do
                [ -x "$p" ] || {
                        SLURM_SKIP="host: $p is missing (apt-get install slurmctld slurmd slurm-client munge)"
                        return 0
                }
        done
        for p in "${NOOK_SRCDIR:-/nonexistent}/tests/slurm/local-slurm" "$BATS_TEST_DIRNAME/../slurm/local-slurm"; do
                [ -f "$p" ] && break
        done
        export LOCAL_SLURM=$p SLURM_OCI_ROOT="$BATS_FILE_TMPDIR/slurm-oci"
        SLURM_DIR="$BATS_FILE_TMPDIR/slurm"
        mkdir -m 0700 "$SLURM_DIR"
        local id='%n.%j.%s.%t' n="$NOOK oci --root=$SLURM_OCI_ROOT"
        printf '%s\n' "RunTimeRun=\"$n run $id -b %b\"" "RunTimeQuery=\"$n state $id\"" \
                "RunTimeKill=\"$n kill $id KILL\"" "RunTimeDelete=\"$n delete -f $id\"" >"$BATS_FILE_TMPDIR/oci.conf"
        SLURM_CONF=$(bash "$LOCAL_SLURM" start "$SLURM_DIR" "" "$BATS_FILE_TMPDIR/oci.conf" 2>"$SLURM_DIR/start.err") ||
                fail "the local Slurm did not start: $(cat "$SLURM_DIR/start.err")"
        export SLURM_CONF
}

teardown_file() {
        [ -z "${SLURM_DIR:-}" ] || bash "$LOCAL_SLURM" stop "$SLURM_DIR"
        [ -z "${BUNDLE:-}" ] || images_remove_tree "$BUNDLE"
}

setup() {
        common_setup
        images_skip_without_fixtures
        ROOT="$TMP/oci-root"
        cd "$TMP"
}

teardown() {
        [ -z "${SLURM_CONF:-}" ] || scancel -u "$(id -u)" >/dev/null 2>&1 || true
        common_teardown
}

oci() { "$NOOK" oci --root="$ROOT" "$@"; }

# make_bundle DIR PYTHON: a bundle DIR whose config.json is umoci's with
# terminal off, its root.path the shared rootfs (absolute), then PYTHON
# run on it (the config is c).
make_bundle() {
        mkdir -p "$1"
        python3 - "$BUNDLE/config.json" "$1/config.json" "$BUNDLE/rootfs" "$2" <<'EOF' || fail "make_bundle: $2"
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["root"]["path"] = sys.argv[3]
exec(sys.argv[4])
json.dump(c, open(sys.argv[2], "w"))
EOF
}

# The image's own /etc/passwd has an "app" user, the host's has not.
IN_IMAGE='grep -q "^app:x:1000:1000:app:/work:" /etc/passwd'

@test "oci run runs the bundle's args with its env, cwd, user and hostname, in its rootfs" {
        make_bundle b 'c["process"].update(args=["sh", "-c", '"'$IN_IMAGE"' && echo "$FOO $(id -u):$(id -g) $(pwd) $(hostname)"'"'"'],
                       env=["PATH=/bin", "FOO=one", "FOO=two"], cwd="/work", user={"uid": 1000, "gid": 1000}); c["hostname"] = "box"'
        run --separate-stderr oci run -b b c1
        assert_status 0
        assert_output "two 1000:1000 /work box"
}

@test "oci run exits with the command's status; the stopped container stays until delete" {
        make_bundle b 'c["process"]["args"] = ["sh", "-c", "exit 7"]'
        run oci run --bundle b c1
        assert_status 7
        run oci state c1
        assert_status 0
        [[ "$output" == *'"status": "stopped"'* && "$output" == *"\"bundle\": \"$TMP/b\""* && "$output" == *'"id": "c1"'* ]] ||
                fail "$output"
        run oci run -b b c1
        assert_status 125
        assert_output_has "container c1 exists"
        run oci delete c1
        assert_status 0
        [ -z "$(ls -A "$ROOT")" ] || fail "left in the root: $(ls -A "$ROOT")"
}

@test "umoci's bundle as it is: root.path rootfs, relative; the bundle is the current directory by default" {
        cp "$BUNDLE/config.json" "$TMP/saved.json"
        python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["process"]["args"] = ["sh", "-c", sys.argv[2]]
json.dump(c, open(sys.argv[1], "w"))' "$BUNDLE/config.json" "$IN_IMAGE && echo in the image"
        cd "$BUNDLE"
        run --separate-stderr oci run c1
        cp "$TMP/saved.json" "$BUNDLE/config.json"
        assert_status 0
        assert_output "in the image"
}

@test "oci run in another user's HOME and XDG directories (slurmstepd's environment as root) uses the caller's own" {
        [ "$(stat -c %u /root)" != "$(id -u)" ] || skip "host: /root is the test user's"
        make_bundle b 'c["process"]["args"] = ["echo", "ran"]'
        run --separate-stderr env HOME=/root XDG_CONFIG_HOME=/root/.config XDG_RUNTIME_DIR=/root "$NOOK" oci --root="$ROOT" run -b b c1
        assert_status 0
        assert_output ran
        oci delete c1
}

@test "state while running gives the pid; kill TERM reaches the command; delete refuses, delete -f ends it" {
        make_bundle b 'c["process"]["args"] = ["sh", "-c", "trap \"echo got TERM; exit 3\" TERM; : >/tmp/up; while :; do sleep 0.1; done"]'
        oci run -b b c1 >"$TMP/out" 2>&1 &
        STARTED_PIDS+=($!)
        local i=0
        until oci state c1 2>/dev/null | grep -q '"status": "running"'; do
                i=$((i + 1)); [ $i -lt 100 ] || fail "never running"; sleep 0.1
        done
        sleep 0.5
        run oci state c1
        [[ "$output" =~ \"pid\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] || fail "no pid: $output"
        run oci delete c1
        assert_status 125
        assert_output_has "container c1 is running"
        oci kill c1 TERM
        wait "${STARTED_PIDS[0]}" && fail "run exited 0" || [ $? -eq 3 ] || fail "run's status is not the command's 3"
        [ "$(cat "$TMP/out")" = "got TERM" ] || fail "$(cat "$TMP/out")"
        run oci kill c1
        assert_status 125
        assert_output_has "container c1 is not running"
        oci run -b b c2 >/dev/null 2>&1 &
        i=0
        until oci state c2 2>/dev/null | grep -q '"status": "running"'; do
                i=$((i + 1)); [ $i -lt 100 ] || fail "never running"; sleep 0.1
        done
        oci delete -f c2
        run oci state c2
        assert_status 125
        assert_output_has "container c2 does not exist"
}

@test "a bundle's bind mounts (ro holds) and tmpfs mounts; umoci's default mounts are nook's own" {
        mkdir "$TMP/data"
        echo kept >"$TMP/data/f"
        make_bundle b 'c["mounts"] += [{"destination": "/data", "type": "bind", "source": "'"$TMP/data"'", "options": ["rbind", "ro"]},
                                        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=0700"]}]
c["process"]["args"] = ["sh", "-c", "cat /data/f; stat -c %a /scratch; df -k /scratch | tail -1; echo x >/data/g"]'
        run --separate-stderr oci run -b b c1
        [ "$status" -ne 0 ] || fail "the write to the read-only bind succeeded"
        [ "${lines[0]}" = kept ] && [ "${lines[1]}" = 700 ] && [[ "${lines[2]}" == *" 1024 "* ]] || fail "$output"
        [[ "$stderr" == *"Read-only file system"* ]] || fail "$stderr"
        [ ! -e "$TMP/data/g" ] || fail "the host file was written"
}

@test "bad bundles fail in one line and leave nothing: no config.json, bad JSON, root.path out through a symlink, a mount kind nook lacks" {
        mkdir -p nocfg badjson/rootfs escape out
        echo '{"process": ' >badjson/config.json
        make_bundle escape 'c["root"]["path"] = "rootfs"'
        ln -s ../out escape/rootfs
        make_bundle nfs 'c["mounts"].append({"destination": "/mnt", "type": "nfs", "source": "srv:/x"})'
        make_bundle linkroot 'c["root"]["path"] = "'"$TMP/linkroot/rootfs"'"'
        ln -s "$BUNDLE/rootfs" linkroot/rootfs
        local b want
        for b in nocfg:"cannot open config.json" badjson:"config.json: line" escape:"leads outside the bundle" \
                nfs:"of type 'nfs' is not supported" linkroot:"is a symbolic link"; do
                want=${b#*:}
                b=${b%%:*}
                run --separate-stderr oci run -b "$b" c1
                assert_status 125
                [ "${#stderr_lines[@]}" -eq 1 ] && [[ "$stderr" == "nook: "*"$want"* ]] || fail "$b: $stderr"
                [ ! -e "$ROOT" ] || fail "$b: the root directory was made"
        done
}

@test "state, kill and delete follow no link and signal no process the record only names" {
        make_bundle b 'c["process"]["args"] = ["true"]'
        oci run -b b real
        # an id that is a link to another container's directory
        mkdir "$TMP/elsewhere"
        cp "$ROOT/real/state.json" "$TMP/elsewhere/"
        ln -s "$TMP/elsewhere" "$ROOT/linked"
        run oci state linked
        assert_status 125
        run oci delete linked
        assert_status 125
        [ -f "$TMP/elsewhere/state.json" ] || fail "delete went through the link"
        # a state.json that is a link
        mkdir -m 0700 "$ROOT/fake"
        ln -s "$TMP/elsewhere/state.json" "$ROOT/fake/state.json"
        run oci state fake
        assert_status 125
        assert_output_has "missing or not its owner's"
        rm "$ROOT/fake/state.json"
        # a record naming a live process that is not its nook (start time)
        sleep 30 &
        STARTED_PIDS+=($!)
        printf '{"bundle": "/x", "created": "now", "pid": %d, "start": 1}' "$!" >"$ROOT/fake/state.json"
        run oci kill fake KILL
        assert_status 125
        assert_output_has "container fake is not running"
        kill -0 "${STARTED_PIDS[0]}" || fail "the process was signalled"
        run oci state fake
        [[ "$output" == *'"status": "stopped"'* ]] || fail "$output"
        # a root directory others can write is refused
        chmod 0777 "$ROOT"
        run oci state real
        assert_status 125
        assert_output_has "only it can write"
}

slurm_skip() { [ -z "$SLURM_SKIP" ] || skip "$SLURM_SKIP"; }

@test "srun --container=BUNDLE runs the step in the bundle's root through oci.conf, and the state is deleted after" {
        slurm_skip
        run --separate-stderr timeout 50 srun --export=ALL,NOOK_JOB_VAR=from-the-job --container="$BUNDLE" \
                sh -c "$IN_IMAGE"' && echo "in the image: $NOOK_JOB_VAR $SLURM_JOB_ID"; exit 4'
        assert_status 4
        [[ "$output" == "in the image: from-the-job "[0-9]* ]] || fail "$output" "$stderr"
        local i=0
        while [ -n "$(ls -A "$SLURM_OCI_ROOT" 2>/dev/null)" ]; do
                i=$((i + 1)); [ $i -lt 100 ] || fail "the state is left: $(ls -A "$SLURM_OCI_ROOT")"; sleep 0.1
        done
}

@test "sbatch --container=BUNDLE runs the batch script in the bundle's root (Slurm binds the script and the output in)" {
        slurm_skip
        printf '#!/bin/sh\n%s && echo "batch in the image"\n' "$IN_IMAGE" >"$TMP/job.sh"
        run timeout 50 sbatch --wait --container="$BUNDLE" -o "$TMP/out" "$TMP/job.sh"
        assert_status 0
        [ "$(cat "$TMP/out")" = "batch in the image" ] || fail "the batch output: $(cat "$TMP/out")"
}

@test "scancel of a running --container step leaves no process and no state" {
        slurm_skip
        local job
        srun --container="$BUNDLE" sleep "$TEST_MARKER" >"$TMP/srun.out" 2>&1 </dev/null 3>&- &
        wait_until 300 pgrep -U "$(id -u)" -fx "sleep $TEST_MARKER" >/dev/null ||
                fail "the step's command never ran: $(cat "$TMP/srun.out")"
        [ -n "$(ls -A "$SLURM_OCI_ROOT")" ] || fail "no container recorded"
        job=$(squeue -h -u "$(id -u)" -o %i | head -n 1)
        [ -n "$job" ] || fail "no job in squeue"
        scancel "$job"
        gone() { [ -z "$(marked_procs "$TEST_MARKER")" ] && [ -z "$(ls -A "$SLURM_OCI_ROOT")" ]; }
        wait_until 300 gone || fail "left behind: $(marked_procs "$TEST_MARKER") / $(ls -A "$SLURM_OCI_ROOT")"
        assert_host_mounts_unchanged
}

@test "srun -n 2 --container: Slurm 22.05 runs one task per node in a container, and fails the step rather than run it outside" {
        slurm_skip
        run timeout 50 srun -n 2 --container="$BUNDLE" sh -c 'echo outside'
        [ "$status" -ne 0 ] || fail "the step succeeded: $output"
        assert_output_lacks "outside"
}
