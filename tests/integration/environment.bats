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

# stays_out NAME VALUE: the caller has NAME=VALUE, the sandbox has no NAME.
stays_out() {
        export "$1=$2"
        env_of "$1"
        assert_answer "<unset>"
}

# gets_in NAME VALUE: the caller's NAME=VALUE reaches the sandbox as it is.
gets_in() {
        export "$1=$2"
        env_of "$1"
        assert_answer "$2"
}

@test "a personal access token (*_PAT) does not reach the sandbox" {
        stays_out GITHUB_PAT ghp_0123
}

@test "a name with AUTHTOKEN in it does not reach the sandbox" {
        stays_out NGROK_AUTHTOKEN 2abc
}

@test "a name with TOKEN anywhere in it does not reach the sandbox" {
        stays_out NOOK_TOKENS_T t0ken
        stays_out hftoken t0ken
}

@test "a name with JWT in it does not reach the sandbox" {
        stays_out NOOK_T_JWT_SIGNING eyJhbGciOi
}

@test "a DSN (*_DSN) does not reach the sandbox" {
        stays_out SENTRY_DSN https://key@sentry.example/1
}

@test "a name with WEBHOOK in it does not reach the sandbox" {
        stays_out NOOK_T_WEBHOOK https://hooks.example/T000/B000/XXXX
}

@test "a password as *_PASS or *_PWD does not reach the sandbox" {
        stays_out SMTP_PASS hunter2
        stays_out NOOK_T_PWD hunter2
}

@test "a name with COOKIE in it does not reach the sandbox" {
        stays_out NOOK_T_COOKIE_VALUE session=abc
}

@test "a name with APIKEY in it does not reach the sandbox" {
        stays_out NOOK_T_APIKEY k3y
}

@test "a name that starts with BEARER does not reach the sandbox" {
        stays_out BEARER_NOOK_T abc
}

@test "a URL with a user and password in *_URL, *_URI or *_PROXY does not reach the sandbox" {
        stays_out DATABASE_URL postgres://app:s3cret@db.example/app
        stays_out MONGODB_URI mongodb://app:s3cret@db.example:27017
        stays_out https_proxy http://user:s3cret@proxy.example:3128
        # curl takes a proxy without a scheme
        stays_out NOOK_T_PROXY user:s3cret@proxy.example:3128
}

@test "names like the secret ones, but not secrets, still reach the sandbox" {
        gets_in OLDPWD /old/dir
        gets_in TOKENIZERS_PARALLELISM false
        gets_in GIT_ASKPASS /usr/bin/true
        gets_in NOOK_T_BYPASS yes
        gets_in NOOK_T_COMPASS north
        gets_in XDG_SESSION_PATH /org/freedesktop/DisplayManager/Session0
        gets_in NOOK_T_PATH /a:/b
}

@test "PWD still reaches the sandbox" {
        mkdir "$TMP/cwd" && cd "$TMP/cwd"
        export PWD="$TMP/cwd"
        env_of PWD
        assert_answer "$TMP/cwd"
}

@test "a URL without a password, or a password-like one elsewhere, still reaches the sandbox" {
        gets_in HTTP_PROXY http://proxy.example:3128
        gets_in NOOK_T_URL https://git@example.org/repo
        gets_in NOOK_T_URI https://example.org/a:b@c
        gets_in NOOK_T_REPO_URL https://example.org/?q=a:b@c
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
