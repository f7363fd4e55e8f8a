#!/usr/bin/env bats
# nook.conf(5): the site file, then the user's, then the environment, then
# the options, for every key with an effect (the store, the overlay backend,
# the network, the id map, the run directory); a bad file named by
# FILE:LINE; nook info's origins; a long RuntimeDir= path.

load images-helpers

setup_file() {
        images_setup_file oci
}

setup() {
        common_setup
        # none of the caller's own settings: only this test's files count
        unset NOOK_STORE NOOK_SHARED_STORES NOOK_OVERLAY NOOK_NETWORK NOOK_MAP NOOK_FAKE_IDS NOOK_RUNTIME_DIR
        export NOOK_CONF_SITE="$TMP/site.conf"
        export XDG_CONFIG_HOME="$TMP/config"
        export XDG_DATA_HOME="$TMP/data"
        mkdir -p "$XDG_CONFIG_HOME/nook" "$XDG_DATA_HOME"
        USER_CONF="$XDG_CONFIG_HOME/nook/nook.conf"
}

teardown() {
        images_remove_tree "$TMP/data"
        local d
        for d in "$TMP"/store-*; do images_remove_tree "$d"; done
        common_teardown
}

# site LINE... / user LINE...: the site's and the user's nook.conf.
site() { printf '%s\n' "$@" >"$NOOK_CONF_SITE"; }
user() { printf '%s\n' "$@" >"$USER_CONF"; }

# imported_into DIR: busybox-oci imported with nook image import lands in
# the store DIR (and in no other of this test's).
imported_into() {
        local d
        run --separate-stderr "$NOOK" image import "$FIX/busybox-oci"
        assert_status 0
        run --separate-stderr "$NOOK" image ls --store "$1"
        assert_output_has busybox-oci
        for d in "$TMP"/store-* "$XDG_DATA_HOME/nook"; do
                [ "$d" = "$1" ] || [ ! -e "$d/images" ] || [ -z "$(ls -A "$d/images")" ] ||
                        fail "an image landed in $d too"
        done
        images_remove_tree "$1"
}

@test "[Store] Path=: site file, then user file, then NOOK_STORE, then --store" {
        images_skip_without_fixtures
        site "[Store]" "Path=$TMP/store-site"
        imported_into "$TMP/store-site"
        user "[Store]" "Path=$TMP/store-user"
        imported_into "$TMP/store-user"
        NOOK_STORE="$TMP/store-env" imported_into "$TMP/store-env"
        run --separate-stderr env NOOK_STORE="$TMP/store-env" "$NOOK" image import --store "$TMP/store-opt" "$FIX/busybox-oci"
        assert_status 0
        [ -n "$(ls -A "$TMP/store-opt/images")" ] || fail "--store did not win over NOOK_STORE"
        [ ! -e "$TMP/store-env/images" ] || [ -z "$(ls -A "$TMP/store-env/images")" ] || fail "NOOK_STORE won over --store"
}

@test "[Store] Path= is where nook run finds images" {
        images_skip_without_fixtures
        site "[Store]" "Path=$TMP/store-run"
        "$NOOK" image import "$FIX/busybox-oci" >/dev/null
        run --separate-stderr "$NOOK" run busybox-oci:1.35 -- /bin/busybox echo ran-from-site-store
        assert_answer ran-from-site-store
}

# root_fs [OPTION...]: the file system type of the image sandbox's root.
root_fs() {
        run --separate-stderr "$NOOK" run "$@" busybox-oci:1.35 -- /bin/busybox awk \
                '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 1) }' /proc/self/mountinfo
}

@test "[Defaults] Overlay=: site, user, NOOK_OVERLAY, --overlay; fuse is fuse-overlayfs" {
        images_skip_without_fixtures
        command -v fuse-overlayfs >/dev/null || skip "host: fuse-overlayfs is not installed"
        "$NOOK" image import "$FIX/busybox-oci" >/dev/null
        kernel=$("$NOOK" info --json | jq -r .host.overlay_in_userns)
        site "[Defaults]" "Overlay=fuse"
        root_fs
        assert_answer fuse.fuse-overlayfs
        [ "$kernel" = true ] || skip "host: kernel overlayfs is refused in a user namespace (the rest needs it)"
        user "[Defaults]" "Overlay=kernel"
        root_fs
        assert_answer overlay
        NOOK_OVERLAY=fuse root_fs
        assert_answer fuse.fuse-overlayfs
        NOOK_OVERLAY=fuse root_fs --overlay kernel
        assert_answer overlay
}

# has_tap [OPTION...]: whether a host sandbox has slirp's tap0.
has_tap() { "$NOOK" run "$@" -- cat /proc/net/dev | grep -q 'tap0:'; }

@test "[Defaults] Network=: site, user, NOOK_NETWORK, --net; a profile's Mode= replaces it" {
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed"
        site "[Defaults]" "Network=slirp"
        has_tap || fail "site Network=slirp: no tap0"
        printf '[Network]\nMode=none\n' >"$TMP/offline.profile"
        ! has_tap --profile "$TMP/offline.profile" || fail "a profile's Mode=none did not replace Network=slirp"
        user "[Defaults]" "Network=none"
        ! has_tap || fail "user Network=none did not win over the site's"
        NOOK_NETWORK=slirp has_tap || fail "NOOK_NETWORK=slirp did not win over the files"
        ! NOOK_NETWORK=slirp has_tap --net none || fail "--net none did not win over NOOK_NETWORK"
}

# map_lines [OPTION...]: lines of the image sandbox's uid_map.
map_lines() {
        run --separate-stderr "$NOOK" run "$@" busybox-oci:1.35 -- /bin/busybox wc -l /proc/self/uid_map
        output=${output%% *}
}

@test "[Defaults] Map=: site, user, NOOK_MAP, --map" {
        images_skip_without_fixtures
        grep -q "^$(id -un):" /etc/subuid 2>/dev/null || skip "host: $(id -un) has no /etc/subuid range"
        "$NOOK" image import "$FIX/busybox-oci" >/dev/null
        site "[Defaults]" "Map=single"
        map_lines
        assert_answer 1
        user "[Defaults]" "Map=range"
        map_lines
        [ "$output" -gt 1 ] || fail "user Map=range: still one id mapped"
        NOOK_MAP=single map_lines
        assert_answer 1
        NOOK_MAP=single map_lines --map range
        [ "$output" -gt 1 ] || fail "--map range did not win over NOOK_MAP"
}

@test "[Run] RuntimeDir= holds the run directories without XDG_RUNTIME_DIR; user over site, NOOK_RUNTIME_DIR over both" {
        mkdir -m 0700 "$TMP/rt"
        site "[Run]" "RuntimeDir=$TMP/rt/site"
        user "[Run]" "RuntimeDir=$TMP/rt/user"
        run --separate-stderr env -u XDG_RUNTIME_DIR "$NOOK" run -- true
        assert_status 0
        [ -d "$TMP/rt/user" ] || fail "the user's RuntimeDir was not used"
        [ ! -e "$TMP/rt/site" ] || fail "the site's RuntimeDir was used over the user's"
        [ "$(stat -c %a "$TMP/rt/user")" = 700 ] || fail "the RuntimeDir is not private: $(ls -ld "$TMP/rt/user")"
        run --separate-stderr env -u XDG_RUNTIME_DIR NOOK_RUNTIME_DIR="$TMP/rt/env" "$NOOK" run -d --name "cf-$BASHPID" -- sleep 30
        assert_status 0
        local id=$output
        proc_stat "$id" && STARTED_PIDS+=("$id:$STAT_START")
        [ -d "$TMP/rt/env/$id" ] || fail "the run directory is not under NOOK_RUNTIME_DIR: $(ls -la "$TMP/rt/env" 2>&1)"
        # ps and stop of another shell find it there too
        run --separate-stderr env -u XDG_RUNTIME_DIR NOOK_RUNTIME_DIR="$TMP/rt/env" "$NOOK" ps
        assert_output_has "cf-$BASHPID"
        run --separate-stderr env -u XDG_RUNTIME_DIR NOOK_RUNTIME_DIR="$TMP/rt/env" "$NOOK" stop "cf-$BASHPID"
        assert_status 0
        wait_until 50 test ! -e "$TMP/rt/env/$id" || fail "the run directory stayed after stop"
}

@test "a RuntimeDir= that is not private is refused, as /tmp/nook-UID would be" {
        mkdir -m 0755 "$TMP/open"
        site "[Run]" "RuntimeDir=$TMP/open"
        run --separate-stderr env -u XDG_RUNTIME_DIR "$NOOK" run -- true
        assert_nook_error "$TMP/open" "not a private directory"
}

@test "a bad nook.conf: every problem as FILE:LINE, exit 125, nothing made" {
        site "[Store]" "Path=$TMP/store-never" "[Defaults]" "Network=slirpp" "Overley=fuse" "[Run]" "RuntimeDir=relative"
        run --separate-stderr "$NOOK" run -- true
        assert_status 125
        [ -z "$output" ] || fail "expected nothing on stdout: $output"
        [[ "$stderr" == *"$NOOK_CONF_SITE:4: Network=slirpp is not one of none, host, slirp, pasta"* ]] ||
                { show_run; fail "no FILE:LINE for the bad value"; }
        [[ "$stderr" == *"$NOOK_CONF_SITE:5: unknown key Overley= in [Defaults] (did you mean Overlay=?)"* ]] ||
                { show_run; fail "no FILE:LINE for the unknown key"; }
        [[ "$stderr" == *"$NOOK_CONF_SITE:7: RuntimeDir=relative is not an absolute path"* ]] ||
                { show_run; fail "no FILE:LINE for the relative path"; }
        [ ! -e "$TMP/store-never" ] || fail "the store was made"
        assert_no_files_left
        # one problem: one line, as any error of nook run
        user "[Defaults]" "Map=both"
        site "[Defaults]"
        run --separate-stderr "$NOOK" run -- true
        assert_nook_error "$USER_CONF:2: Map=both is not one of auto, single, range"
        # the image commands refuse it too
        run --separate-stderr "$NOOK" image ls
        assert_status 125
        [[ "$stderr" == *"$USER_CONF:2:"* ]] || { show_run; fail "nook image ls did not name the bad line"; }
}

@test "nook info --json: each value with its origin, the files read, the paths in use" {
        site "[Store]" "Path=$TMP/store-site" "[Defaults]" "Network=slirp"
        user "" "[Defaults]" "Map=single"
        run --separate-stderr env NOOK_OVERLAY=fuse "$NOOK" info --json
        assert_status 0
        echo "$output" >"$TMP/info.json"
        q() { jq -r "$1" "$TMP/info.json"; }
        [ "$(q '.config.keys["Store.Path"].value')" = "$TMP/store-site" ] || fail "Store.Path: $(q '.config.keys')"
        [ "$(q '.config.keys["Store.Path"].origin')" = "$NOOK_CONF_SITE:2" ] || fail "Store.Path origin"
        [ "$(q '.config.keys["Defaults.Network"].origin')" = "$NOOK_CONF_SITE:4" ] || fail "Network origin"
        [ "$(q '.config.keys["Defaults.Map"].origin')" = "$USER_CONF:3" ] || fail "Map origin"
        [ "$(q '.config.keys["Defaults.Overlay"].origin')" = "environment NOOK_OVERLAY" ] || fail "Overlay origin"
        [ "$(q '.config.keys["Run.RuntimeDir"].origin')" = default ] || fail "RuntimeDir origin"
        [ "$(q '.config.files | map(.read) | all')" = true ] || fail "files: $(q .config.files)"
        [ "$(q .paths.store)" = "$TMP/store-site" ] || fail "paths.store: $(q .paths)"
        [ "$(q .paths.run_directory_base)" = "$XDG_RUNTIME_DIR/nook" ] || fail "run base: $(q .paths)"
        [ "$(q .version)" = "$("$NOOK" --version | cut -d' ' -f2)" ] || fail "version"
        [ "$(q '.host.user_namespaces')" = true ] || fail "host facts: $(q .host)"
        [ "$(q '.helpers | has("skopeo") and has("slirp4netns")')" = true ] || fail "helpers"
        # nook's own, beside it
        [ "$(q '.helpers["nook-squashfs"].path')" = "$(dirname "$NOOK")/nook-squashfs" ] || fail "nook-squashfs: $(q .helpers)"
        # a helper not on PATH is null ('not found' in the text form)
        run --separate-stderr env PATH=/nonexistent "$NOOK" info
        assert_status 0
        assert_output_has "not found"
        # a bad file: shown, problems on stderr, exit 1
        user "[Defaults]" "Map=both"
        run --separate-stderr "$NOOK" info --json
        assert_status 1
        [[ "$stderr" == *"$USER_CONF:2: Map=both"* ]] || { show_run; fail "info did not name the bad line"; }
}

@test "a RuntimeDir= path of 200+ characters holds the run directories of a sandbox without network" {
        local long="$TMP/$(printf 'd%.0s' {1..100})/$(printf 'e%.0s' {1..100})"
        mkdir -p "$long"
        [ "${#long}" -gt 200 ] || fail "the path is too short: ${#long}"
        site "[Run]" "RuntimeDir=$long/run"
        run --separate-stderr env -u XDG_RUNTIME_DIR "$NOOK" run -- sh -c 'echo ran'
        assert_status 0
        [ "$output" = ran ] || { show_run; fail "the sandbox did not run"; }
        [ -d "$long/run" ] && [ "$(stat -c %a "$long/run")" = 700 ] || fail "no private run directory base under RuntimeDir="
        [ -z "$(ls -A "$long/run" | grep -v '^name-\|lock')" ] || fail "left behind: $(ls -A "$long/run")"
}

# free_port: a port in 20000-40000 that nothing holds on 127.0.0.1 now.
free_port() {
        local p
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 20001))
                python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null &&
                        { echo "$p"; return 0; }
        done
        fail "no free port in 20000-40000 after 50 tries"
}

# page_served PORT: the host's 127.0.0.1:PORT answers GET /page with this
# test's page (one try, 1 s at most).
page_served() {
        [ "$(python3 -c 'import sys, urllib.request as u; sys.stdout.write(u.urlopen(sys.argv[1], timeout=1).read().decode())' \
                "http://127.0.0.1:$1/page" 2>/dev/null)" = "served $TEST_MARKER" ]
}

# served_or_gone PORT PID:START: the page is served, or nook has ended.
served_or_gone() { page_served "$1" || ! proc_alive "$2"; }

@test "a RuntimeDir= path of 200+ characters holds slirp4netns's API socket: a published port is reached" {
        command -v slirp4netns >/dev/null || skip "host: slirp4netns is not installed (apt-get install slirp4netns)"
        [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ] || skip "host: /dev/net/tun is not usable"
        command -v busybox >/dev/null || skip "host: busybox serves the page"
        local long="$TMP/$(printf 'd%.0s' {1..100})/$(printf 'e%.0s' {1..100})" port me
        mkdir -p "$long" "$TMP/www"
        [ "${#long}" -gt 200 ] || fail "the path is too short: ${#long}"
        echo "served $TEST_MARKER" >"$TMP/www/page"
        site "[Run]" "RuntimeDir=$long/run"
        # a port taken between free_port and nook: another one
        for _ in 1 2 3; do
                port=$(free_port)
                env -u XDG_RUNTIME_DIR "$NOOK" run --net slirp -p "127.0.0.1:$port:8080" --ro-bind "$TMP/www" -- \
                        timeout 20 busybox httpd -f -p 8080 -h "$TMP/www" >"$TMP/nook.log" 2>&1 </dev/null 3>&- &
                me="$!:"
                proc_stat "$!" && me="$!:$STAT_START" && STARTED_PIDS+=("$me")
                disown "$!"
                wait_until 100 served_or_gone "$port" "$me" ||
                        fail "no page on 127.0.0.1:$port within 10 s, and nook still runs:" "$(cat "$TMP/nook.log")"
                proc_alive "$me" && break
                grep -q "cannot publish.*:$port " "$TMP/nook.log" || break
        done
        page_served "$port" || fail "no page on 127.0.0.1:$port under a long RuntimeDir=:" "$(cat "$TMP/nook.log")"
        kill -TERM "${me%%:*}"
        wait_until 50 none_alive "$me" || fail "nook did not end on SIGTERM"
        [ -z "$(ls -A "$long/run" | grep -v '^name-\|lock')" ] || fail "left behind: $(ls -A "$long/run")"
}

@test "the user's nook.conf stays read-only inside, also where it is a link to elsewhere" {
        mkdir "$TMP/dotfiles"
        printf '[Defaults]\nMap=auto\n' >"$TMP/dotfiles/nook.conf"
        ln -s "$TMP/dotfiles/nook.conf" "$USER_CONF"
        run --separate-stderr "$NOOK" run --bind "$TMP/dotfiles" -- sh -c \
                "echo Network=host >>'$TMP/dotfiles/nook.conf' || echo refused; touch '$TMP/dotfiles/other' && echo writable"
        assert_status 0
        assert_output "$(printf 'refused\nwritable')"
        [ "$(cat "$TMP/dotfiles/nook.conf")" = "$(printf '[Defaults]\nMap=auto')" ] || fail "the sandbox changed nook.conf"
}

@test "nook doctor's run directory follows RuntimeDir= without XDG_RUNTIME_DIR" {
        mkdir -m 0700 "$TMP/rt"
        site "[Run]" "RuntimeDir=$TMP/rt/doc"
        run --separate-stderr env -u XDG_RUNTIME_DIR "$NOOK" doctor
        [[ "$output" == *"run directory: "*"run state goes to $TMP/rt/doc"* ]] || { show_run; fail "doctor did not name RuntimeDir="; }
}
