#!/usr/bin/env bats
# Who the command is: the caller's own ids by default, a single mapped id,
# and no way to change groups.

load helpers

# Reads a uid_map/gid_map-style file inside the sandbox; sets MAP_LINES to
# its lines with the blanks squeezed.
read_map_inside() {
        run --separate-stderr inbox "$@"
        assert_status 0
        MAP_LINES=()
        local a b c
        while read -r a b c; do MAP_LINES+=("$a $b $c"); done <<<"$output"
}

@test "the uid and gid inside are the caller's" {
        ask -- id
        assert_field uid "$(id -u)"
        assert_field gid "$(id -g)"
        assert_field euid "$(id -u)"
        assert_field egid "$(id -g)"
}

@test "uid_map is a single line mapping the caller's uid to itself" {
        read_map_inside -- cat /proc/self/uid_map
        [ "${#MAP_LINES[@]}" -eq 1 ] || fail "expected one line, got:" "${MAP_LINES[@]}"
        [ "${MAP_LINES[0]}" = "$(id -u) $(id -u) 1" ] || fail "got '${MAP_LINES[0]}'"
}

@test "gid_map is a single line mapping the caller's gid to itself" {
        read_map_inside -- cat /proc/self/gid_map
        [ "${#MAP_LINES[@]}" -eq 1 ] || fail "expected one line, got:" "${MAP_LINES[@]}"
        [ "${MAP_LINES[0]}" = "$(id -g) $(id -g) 1" ] || fail "got '${MAP_LINES[0]}'"
}

@test "--uid 0 --gid 0 makes the command root inside" {
        ask --uid 0 --gid 0 -- id
        assert_field uid 0
        assert_field gid 0
        assert_field euid 0
        assert_field egid 0
}

@test "--uid 0 maps inside root to the caller's uid, and only that" {
        read_map_inside --uid 0 -- cat /proc/self/uid_map
        [ "${#MAP_LINES[@]}" -eq 1 ] || fail "expected one line, got:" "${MAP_LINES[@]}"
        [ "${MAP_LINES[0]}" = "0 $(id -u) 1" ] || fail "got '${MAP_LINES[0]}'"
}

@test "--gid 0 maps inside group 0 to the caller's gid, and only that" {
        read_map_inside --gid 0 -- cat /proc/self/gid_map
        [ "${#MAP_LINES[@]}" -eq 1 ] || fail "expected one line, got:" "${MAP_LINES[@]}"
        [ "${MAP_LINES[0]}" = "0 $(id -g) 1" ] || fail "got '${MAP_LINES[0]}'"
}

@test "--uid N --gid M give those ids" {
        ask --uid 1234 --gid 5678 -- id
        assert_field uid 1234
        assert_field gid 5678
}

@test "--uid alone keeps the caller's gid" {
        ask --uid 1234 -- id
        assert_field uid 1234
        assert_field gid "$(id -g)"
}

@test "the caller's files are owned by the inside uid" {
        mkdir "$TMP/mine"
        ask --uid 1234 --gid 5678 --ro-bind "$TMP/mine:/mine" -- stat /mine
        assert_status 0
        assert_output_has "uid=1234 gid=5678 "
}

@test "files of unmapped owners (root's /usr) show as the overflow id" {
        [ "$(stat -c %u /usr)" -eq 0 ] || skip "host: /usr is not owned by root"
        ask -- stat /usr
        assert_status 0
        assert_output_has "uid=65534 gid=65534 "
}

@test "/proc/self/setgroups reads deny" {
        run --separate-stderr inbox -- cat /proc/self/setgroups
        assert_answer deny
}

@test "setgroups fails" {
        ask -- syscall setgroups
        assert_answer EPERM
}

@test "setgroups fails as inside root too" {
        ask --uid 0 --gid 0 -- syscall setgroups
        assert_answer EPERM
}

@test "setuid(0) fails" {
        # EINVAL: root is not mapped at all; EPERM: no CAP_SETUID.
        ask -- syscall setuid0
        assert_answer_in EINVAL EPERM
}
