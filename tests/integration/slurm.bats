#!/usr/bin/env bats
# Slurm job steps in nook sandboxes (slurm/spank-nook.c), on a real Slurm:
# tests/slurm/local-slurm starts munged, slurmctld and slurmd as the test
# user, on free ports of 127.0.0.1, with a plugstack.conf that loads the
# plugin built beside the nook under test. srun and sbatch run as the test
# user too; the tasks' sandboxes are of the busybox fixture image.

load images-helpers

setup_file() {
        export SLURM_SKIP=
        local p
        for p in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/srun /usr/bin/sbatch; do
                [ -x "$p" ] || {
                        SLURM_SKIP="host: $p is missing (apt-get install slurmctld slurmd slurm-client munge)"
                        return 0
                }
        done
        export SPANK_NOOK="${NOOK%/*}/slurm/spank_nook.so"
        [ -f "$SPANK_NOOK" ] || {
                SLURM_SKIP="host: the Slurm plugin was not built (no $SPANK_NOOK: install libslurm-dev and configure again)"
                return 0
        }
        images_setup_file oci
        [ -z "$IMAGES_SKIP" ] || return 0
        for p in "${NOOK_SRCDIR:-/nonexistent}/tests/slurm/local-slurm" "$BATS_TEST_DIRNAME/../slurm/local-slurm"; do
                [ -f "$p" ] && break
        done
        export LOCAL_SLURM=$p
        export SLURM_DIR="$BATS_FILE_TMPDIR/slurm"
        mkdir -m 0700 "$SLURM_DIR"
        SLURM_CONF=$(bash "$LOCAL_SLURM" start "$SLURM_DIR" "required $SPANK_NOOK nook=$NOOK" 2>"$SLURM_DIR/start.err") ||
                fail "the local Slurm did not start: $(cat "$SLURM_DIR/start.err")"
        export SLURM_CONF
        # one store for the file: the jobs' nook finds it through the
        # environment srun passes on
        export XDG_DATA_HOME="$BATS_FILE_TMPDIR/data"
        mkdir -p "$XDG_DATA_HOME"
        "$NOOK" image import --name slurm-bb "$FIX/busybox-oci" >/dev/null || fail "cannot import the busybox image"
}

teardown_file() {
        [ -z "${SLURM_DIR:-}" ] || bash "$LOCAL_SLURM" stop "$SLURM_DIR"
        [ -z "${XDG_DATA_HOME:-}" ] || images_remove_tree "$XDG_DATA_HOME"
}

setup() {
        [ -z "$SLURM_SKIP" ] || skip "$SLURM_SKIP"
        common_setup
        images_skip_without_fixtures
        cd "$TMP"
}

teardown() {
        [ -n "${SLURM_CONF:-}" ] && scancel -u "$(id -u)" >/dev/null 2>&1 || true
        common_teardown
}

# The sandboxes nook ps lists (its heading aside).
sandboxes() { "$NOOK" ps 2>/dev/null | tail -n +2; }

# in_slurm SRUN-ARG...: srun, bounded, with stdout and stderr apart.
in_slurm() { run --separate-stderr timeout 50 srun "$@"; }

# The image's own /etc/passwd has an "app" user, the host's has not.
IN_IMAGE='grep -q "^app:x:1000:1000:app:/work:" /etc/passwd'

@test "srun -n 2 --nook-image runs both tasks in one sandbox of the image, each seeing the other" {
        mkdir "$TMP/shared"
        # each task writes its pid as the sandbox sees it, waits for the
        # other's, reads the other's SLURM_PROCID through /proc, and waits
        # for the other to have read its own
        in_slurm -n 2 --nook-image=slurm-bb --nook-mounts="$TMP/shared:/shared" sh -c "$IN_IMAGE"' || exit 3
                echo $$ >/shared/$SLURM_PROCID
                other=$((1 - SLURM_PROCID)); i=0
                while [ ! -s /shared/$other ]; do i=$((i + 1)); [ $i -lt 200 ] || exit 4; sleep 0.1; done
                tr "\0" "\n" </proc/$(cat /shared/$other)/environ | grep -qx SLURM_PROCID=$other || exit 5
                echo "task $SLURM_PROCID sees task $other"
                : >/shared/done-$SLURM_PROCID; i=0
                while [ ! -e /shared/done-$other ]; do i=$((i + 1)); [ $i -lt 200 ] || exit 6; sleep 0.1; done'
        assert_status 0
        [[ "$output" == *"task 0 sees task 1"* && "$output" == *"task 1 sees task 0"* ]] || fail "$output" "$stderr"
        # srun returns once the tasks have ended; slurmstepd may still be
        # in the plugin's exit, where nook ends the sandbox (under ASan, a
        # second and more)
        no_sandbox() { [ -z "$(sandboxes)" ]; }
        wait_until 100 no_sandbox || fail "a sandbox is left: $("$NOOK" ps)"
        assert_no_files_left
}

@test "a task gets the job's environment and the submit directory when the sandbox shows it" {
        in_slurm --export=ALL,NOOK_JOB_VAR=from-the-job --nook-image=slurm-bb --nook-mounts="$TMP" \
                sh -c 'echo "$NOOK_JOB_VAR $SLURM_JOB_ID $PATH"; pwd'
        assert_status 0
        [[ "${lines[0]}" == "from-the-job "[0-9]*" /bin" ]] || fail "the environment: $output"
        [ "${lines[1]}" = "$TMP" ] || fail "not in the submit directory: $output"
        in_slurm --nook-image=slurm-bb --nook-workdir=/work sh -c pwd
        assert_status 0
        [ "$output" = /work ] || fail "not in --nook-workdir where the submit directory is not shown: $output"
}

@test "the image's own variables win over the job's, but for those --nook-env names" {
        PATH=/job-path:$PATH in_slurm --nook-image=slurm-bb sh -c 'echo $PATH'
        assert_status 0
        [ "$output" = /bin ] || fail "the image's PATH is not kept: $output"
        PATH=/job-path:$PATH in_slurm --nook-image=slurm-bb --nook-env=PATH sh -c 'echo $PATH'
        assert_status 0
        [ "$output" = "/job-path:$PATH" ] || fail "--nook-env=PATH did not pass the job's: $output"
}

@test "--nook-name keeps the sandbox's writable layer from one step to the next" {
        in_slurm --nook-image=slurm-bb --nook-name="keep-${TEST_MARKER//./-}" sh -c 'echo step1 >/root/kept'
        assert_status 0
        in_slurm --nook-image=slurm-bb --nook-name="keep-${TEST_MARKER//./-}" cat /root/kept
        assert_status 0
        [ "$output" = step1 ] || fail "the second step does not see the first's file: $output $stderr"
        in_slurm --nook-image=slurm-bb cat /root/kept
        [ "$status" -ne 0 ] || fail "a step without the name sees it too: $output"
}

@test "--nook-readonly: the image's root cannot be written, /tmp can" {
        in_slurm --nook-image=slurm-bb --nook-readonly sh -c 'echo x >/root/new 2>/dev/null && echo wrote || echo refused; echo y >/tmp/t && cat /tmp/t'
        assert_status 0
        assert_output "refused
y"
}

@test "sbatch with #SBATCH --nook-image runs the batch script in the image" {
        printf '#!/bin/sh\n#SBATCH --nook-image=slurm-bb\n#SBATCH -o %s\n%s && echo "batch in the image"\n' \
                "$TMP/out" "$IN_IMAGE" >"$TMP/job.sh"
        run timeout 50 sbatch --wait "$TMP/job.sh"
        assert_status 0
        [ "$(cat "$TMP/out")" = "batch in the image" ] || fail "the batch output: $(cat "$TMP/out")"
}

@test "salloc --nook-image: the steps srun starts in the allocation run in the image, under the node's hostname" {
        run --separate-stderr timeout 50 salloc --nook-image=slurm-bb srun sh -c "$IN_IMAGE"' && echo "in the image on $(hostname)"'
        assert_status 0
        [ "$output" = "in the image on $(hostname)" ] || fail "$output" "$stderr"
}

@test "--nook-mounts with :ro cannot be written from the job" {
        mkdir "$TMP/data"
        echo kept >"$TMP/data/f"
        in_slurm --nook-image=slurm-bb --nook-mounts="$TMP/data:/data:ro" sh -c 'cat /data/f; echo x >/data/g'
        [ "$status" -ne 0 ] || fail "the write succeeded"
        [ "$output" = kept ] || fail "the bind: $output"
        [[ "$stderr" == *"Read-only file system"* ]] || fail "$stderr"
        [ ! -e "$TMP/data/g" ] || fail "the host file was written"
}

# assert_step_refused WHAT: the step failed with one line of nook's naming
# WHAT, and its command (touch $TMP/ran /shared/ran, $TMP/shared bound at
# /shared) did not run, in a sandbox or out of one.
assert_step_refused() {
        [ "$status" -ne 0 ] || fail "the step succeeded"
        [ ! -e "$TMP/ran" ] || fail "the command ran, outside a sandbox"
        [ ! -e "$TMP/shared/ran" ] || fail "the command ran"
        local nook_lines
        nook_lines=$(grep -c '^nook: ' <<<"$stderr")
        [ "$nook_lines" -eq 1 ] || fail "expected one line of nook's: $stderr"
        [[ "$stderr" == *"$1"* ]] || fail "the message does not name $1: $stderr"
}

@test "a missing image fails the step with nook's one line, and the command never runs" {
        mkdir "$TMP/shared"
        in_slurm --nook-image=no-such-image --nook-mounts="$TMP/shared:/shared" touch "$TMP/ran" /shared/ran
        assert_step_refused no-such-image
}

@test "a bind of a missing path fails the step with nook's one line, and the command never runs" {
        mkdir "$TMP/shared"
        in_slurm --nook-image=slurm-bb --nook-mounts="$TMP/shared:/shared,$TMP/no-such-dir:/x" touch "$TMP/ran" /shared/ran
        assert_step_refused "$TMP/no-such-dir"
}

@test "an image without /bin/sh fails the step in one line that says so" {
        mkdir -p "$TMP/nosh/bin" "$TMP/nosh/etc" "$TMP/shared"
        cp /bin/busybox "$TMP/nosh/bin/busybox"
        "$NOOK" image import --name "nosh-${TEST_MARKER//./-}" "$TMP/nosh" >/dev/null || fail "cannot import the image"
        run -127 --separate-stderr timeout 50 srun --nook-image="nosh-${TEST_MARKER//./-}" --nook-mounts="$TMP/shared:/shared" \
                /bin/busybox touch "$TMP/ran" /shared/ran
        assert_step_refused "no /bin/sh"
        [[ "$stderr" != *$'\r'* ]] || fail "a carriage return in the message: $stderr"
}

# What a step leaves: nothing of the test's marker, no run directory (nor
# the plugin's lock), no sandbox; the directories looked at before nook ps,
# which would clear a stale one.
step_left_nothing() {
        [ -z "$(marked_procs "$TEST_MARKER")" ] && [ -z "$(find "$XDG_RUNTIME_DIR" -mindepth 2 2>/dev/null)" ] &&
                [ -z "$(sandboxes)" ]
}

@test "scancel of a running step leaves no process, sandbox, run directory or mount" {
        local job
        srun --nook-image=slurm-bb sleep "$TEST_MARKER" >"$TMP/srun.out" 2>&1 </dev/null 3>&- &
        # srun and nook enter carry the marker too: wait for the command's own
        wait_until 300 pgrep -U "$(id -u)" -fx "sleep $TEST_MARKER" >/dev/null ||
                fail "the step's command never ran: $(cat "$TMP/srun.out")"
        [ -n "$(sandboxes)" ] || fail "no sandbox runs"
        job=$(squeue -h -u "$(id -u)" -o %i | head -n 1)
        [ -n "$job" ] || fail "no job in squeue"
        scancel "$job"
        wait_until 300 step_left_nothing ||
                fail "left behind: $(marked_procs "$TEST_MARKER") / $("$NOOK" ps) / $(find "$XDG_RUNTIME_DIR" -mindepth 2)"
        assert_host_mounts_unchanged
        ! grep -q "$XDG_RUNTIME_DIR" /proc/mounts || fail "a mount is left: $(grep "$XDG_RUNTIME_DIR" /proc/mounts)"
}

@test "the profile's egress rules hold for the job: a port allowed is reached, another is not" {
        local abi
        abi=$(python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(max(0, l.syscall(444, None, 0, 1)))')
        [ "$abi" -ge 4 ] || skip "host: the kernel has Landlock ABI $abi, network rules need 4"
        local a b
        for v in a b; do
                python3 "$BATS_TEST_DIRNAME/netserver.py" hello "$TMP/port-$v" 30 >"$TMP/server-$v.log" 2>&1 </dev/null 3>&- &
                proc_stat "$!" && STARTED_PIDS+=("$!:$STAT_START")
                disown "$!"
                wait_until 50 test -s "$TMP/port-$v" || fail "the hello server did not start"
        done
        a=$(cat "$TMP/port-a")
        b=$(cat "$TMP/port-b")
        printf '[Network]\nMode=host\nAllow=0.0.0.0/0:%s/tcp\n' "$a" >"$TMP/net.profile"
        in_slurm --nook-image=slurm-bb --nook-profile="$TMP/net.profile" sh -c \
                "nc -w 2 127.0.0.1 $a </dev/null && echo reached-a; nc -w 2 127.0.0.1 $b </dev/null && echo reached-b; true"
        assert_status 0
        [[ "$output" == *reached-a* ]] || fail "the allowed port was not reached: $output $stderr"
        [[ "$output" != *reached-b* ]] || fail "a port not allowed was reached: $output"
}
