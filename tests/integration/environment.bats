#!/usr/bin/env bats
# What a host sandbox's command gets of the caller's environment: all of it
# but the variables whose names look like secrets, which pass only by name.

load helpers

# env_of NAME: the value NAME has in a default sandbox ("<unset>" if none).
env_of() {
        ask "${@:2}" -- env "$1"
}

@test "a variable named like a token does not reach the sandbox" {
        export NOOK_T_TOKEN=t0ken
        env_of NOOK_T_TOKEN
        assert_answer "<unset>"
}

@test "AWS_SECRET_ACCESS_KEY does not reach the sandbox" {
        export AWS_SECRET_ACCESS_KEY=s3cr3t
        env_of AWS_SECRET_ACCESS_KEY
        assert_answer "<unset>"
}

@test "SSH_AUTH_SOCK does not reach the sandbox" {
        export SSH_AUTH_SOCK=/tmp/ssh-agent.sock
        env_of SSH_AUTH_SOCK
        assert_answer "<unset>"
}

@test "a variable with PASSWORD in its name, in any case, does not reach the sandbox" {
        export nook_t_password=hunter2
        env_of nook_t_password
        assert_answer "<unset>"
}

@test "a secret passed by name with --env NAME reaches the sandbox" {
        export NOOK_T_TOKEN=t0ken
        env_of NOOK_T_TOKEN --env NOOK_T_TOKEN
        assert_answer t0ken
}

@test "a secret passed by name with -e NAME reaches the sandbox" {
        export AWS_SECRET_ACCESS_KEY=s3cr3t
        env_of AWS_SECRET_ACCESS_KEY -e AWS_SECRET_ACCESS_KEY
        assert_answer s3cr3t
}

@test "a secret-looking name set with --env NAME=VALUE gets that value" {
        export NOOK_T_TOKEN=outer
        env_of NOOK_T_TOKEN --env NOOK_T_TOKEN=inner
        assert_answer inner
}

@test "--env NAME for a variable the caller does not have leaves it unset" {
        unset NOOK_T_ABSENT
        env_of NOOK_T_ABSENT --env NOOK_T_ABSENT
        assert_answer "<unset>"
}

@test "--clearenv --env NAME passes only that variable" {
        export NOOK_T_VAR=kept NOOK_T_OTHER=gone
        env_of NOOK_T_VAR --clearenv --env NOOK_T_VAR
        assert_answer kept
        env_of NOOK_T_OTHER --clearenv --env NOOK_T_VAR
        assert_answer "<unset>"
}

@test "an ordinary variable still reaches the sandbox" {
        export NOOK_T_VAR="kept value"
        env_of NOOK_T_VAR
        assert_answer "kept value"
}

@test "a name that only ends in KEY, not _KEY, still reaches the sandbox" {
        export NOOK_T_MONKEY=banana
        env_of NOOK_T_MONKEY
        assert_answer banana
}

@test "Environment=NAME in a profile passes the caller's secret" {
        export NOOK_PROFILES_DIR="$TMP/lib" XDG_CONFIG_HOME="$TMP/config"
        mkdir -p "$NOOK_PROFILES_DIR"
        printf '[Run]\nEnvironment=NOOK_T_TOKEN\n' >"$NOOK_PROFILES_DIR/app.profile"
        export NOOK_T_TOKEN=t0ken
        run --separate-stderr nook run --ro-bind "$PROBE" app -- "$PROBE" env NOOK_T_TOKEN
        assert_answer t0ken
}

@test "-v names the variables it did not pass, and not their values" {
        export NOOK_T_TOKEN=t0ken-value AWS_SECRET_ACCESS_KEY=s3cr3t-value
        env_of NOOK_T_VAR -v
        assert_status 0
        [[ "$stderr" == *"look like secrets"*"NOOK_T_TOKEN"* ]] || { show_run; fail "expected NOOK_T_TOKEN named"; }
        [[ "$stderr" == *"AWS_SECRET_ACCESS_KEY"* ]] || { show_run; fail "expected AWS_SECRET_ACCESS_KEY named"; }
        [[ "$stderr" != *"t0ken-value"* && "$stderr" != *"s3cr3t-value"* ]] || { show_run; fail "a value was printed"; }
}

@test "--env with an empty name is refused" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        run --separate-stderr nook run --env '' -- sleep "$TEST_MARKER"
        assert_nook_error "variable name"
}

# ---- images start from their own environment -------------------------------

# A one-directory image: the static probe at /probe.
probe_image() {
        mkdir -p "$TMP/rootfs"
        cp "$PROBE" "$TMP/rootfs/probe"
        export XDG_DATA_HOME="$TMP/data"
}

@test "an image sandbox gets none of the caller's ordinary variables" {
        probe_image
        export NOOK_T_VAR=host-value
        run --separate-stderr nook run --image "$TMP/rootfs" -- /probe env NOOK_T_VAR
        assert_answer "<unset>"
}

@test "--env NAME passes the caller's value into an image sandbox" {
        probe_image
        export NOOK_T_TOKEN=t0ken
        run --separate-stderr nook run --image "$TMP/rootfs" --env NOOK_T_TOKEN -- /probe env NOOK_T_TOKEN
        assert_answer t0ken
}
