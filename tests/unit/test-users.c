/* cred/users.c: the password and group databases without NSS modules in
   nook's process. The files are fixtures; getent is the host's own
   (/usr/bin/getent, from libc-bin), asked about root, which every host
   has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture-file.h"

#include "cred/subid.h"
#include "cred/users.h"

struct fixture {
        char dir[64];
        char nsswitch[96], passwd[96], group[96];
        struct users_paths paths;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        strcpy(f->dir, "/tmp/nook-users-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->nsswitch, sizeof(f->nsswitch), "%s/nsswitch.conf", f->dir);
        snprintf(f->passwd, sizeof(f->passwd), "%s/passwd", f->dir);
        snprintf(f->group, sizeof(f->group), "%s/group", f->dir);
        write_file(f->passwd, "# a comment\n"
                              "#retired:x:1500:1600::/nonexistent-old-home:/bin/sh\n"
                              "+:::::::\n"
                              "+bob:x:1501:1:::\n"
                              "-carol:x:1502:1:::\n"
                              "\n"
                              "broken line\n"
                              "notnum:x:abc:1::/:/bin/sh\n"
                              "short:x:1400:1400\n"
                              "alice:x:1500:1600:Alice:/home/alice:/bin/sh\n"
                              "bob:*:1501:1601::/srv/bob:/usr/sbin/nologin\n");
        write_file(f->group, "#staff:x:2400:\n+staff:x:2401:\nstaff:x:2500:alice,bob\nbad\nempty:x:2501:\n");
        f->paths = (struct users_paths){ f->nsswitch, f->passwd, f->group, "/usr/bin/getent" };
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        unlink(f->nsswitch);
        unlink(f->passwd);
        unlink(f->group);
        rmdir(f->dir);
        free(f);
        return 0;
}

static void test_files_alone_answer_by_name_and_by_uid(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;

        write_file(f->nsswitch, "passwd: files\ngroup: files\n");
        assert_true(users_lookup(&f->paths, "alice", 0, &u));
        assert_int_equal(u.uid, 1500);
        assert_int_equal(u.gid, 1600);
        assert_string_equal(u.home, "/home/alice");
        assert_true(users_lookup(&f->paths, NULL, 1501, &u));
        assert_string_equal(u.name, "bob");
        assert_string_equal(u.home, "/srv/bob");
        /* files alone: root is not in them, and getent is not asked */
        assert_false(users_lookup(&f->paths, "root", 0, &u));
        assert_false(users_lookup(&f->paths, NULL, 0, &u));
}

static void test_malformed_lines_are_passed_over(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;

        write_file(f->nsswitch, "passwd: files\n");
        assert_false(users_lookup(&f->paths, "notnum", 0, &u));
        assert_false(users_lookup(&f->paths, "short", 0, &u));
        assert_false(users_lookup(&f->paths, NULL, 1400, &u));
        assert_false(users_lookup(&f->paths, "broken line", 0, &u));
        /* comments and the compat backend's +/- entries are no users, as
           glibc's files backend reads them */
        assert_true(users_lookup(&f->paths, NULL, 1500, &u));
        assert_string_equal(u.name, "alice");
        assert_string_equal(u.home, "/home/alice");
        assert_false(users_lookup(&f->paths, "#retired", 0, &u));
        assert_false(users_lookup(&f->paths, "+bob", 0, &u));
        assert_false(users_lookup(&f->paths, NULL, 1502, &u));
}

static void test_files_first_then_getent_for_what_they_lack(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;

        write_file(f->nsswitch, "# comment\npasswd:   files systemd\ngroup: files systemd\n");
        f->paths.getent = "/nonexistent/getent";
        assert_true(users_lookup(&f->paths, "alice", 0, &u));  /* from the file, getent never run */
        assert_int_equal(u.uid, 1500);
        assert_false(users_lookup(&f->paths, "root", 0, &u));  /* no getent: no answer */
        f->paths.getent = "/usr/bin/getent";
        assert_true(users_lookup(&f->paths, "root", 0, &u));
        assert_int_equal(u.uid, 0);
        assert_string_equal(u.name, "root");
        assert_true(users_lookup(&f->paths, NULL, 0, &u));
        assert_string_equal(u.name, "root");
        assert_false(users_lookup(&f->paths, "no-such-user-of-nook", 0, &u));
        assert_false(users_lookup(&f->paths, "-x", 0, &u));
}

static void test_another_source_first_goes_to_getent(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;

        /* sss first: the file's alice is not the answer (getent knows no alice) */
        write_file(f->nsswitch, "passwd: sss files\n");
        assert_false(users_lookup(&f->paths, "alice", 0, &u));
        assert_true(users_lookup(&f->paths, "root", 0, &u));
        /* an action after files: getent, which knows what it means */
        write_file(f->nsswitch, "passwd: files [SUCCESS=continue] sss\n");
        assert_false(users_lookup(&f->paths, "alice", 0, &u));
        write_file(f->nsswitch, "passwd: compat\n");
        assert_false(users_lookup(&f->paths, "alice", 0, &u));
}

static void test_no_nsswitch_line_or_file_is_files_first(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;

        write_file(f->nsswitch, "hosts: files dns\n");
        assert_true(users_lookup(&f->paths, "alice", 0, &u));
        assert_true(users_lookup(&f->paths, "root", 0, &u));
        unlink(f->nsswitch);
        assert_true(users_lookup(&f->paths, "bob", 0, &u));
        assert_true(users_lookup(&f->paths, "root", 0, &u));
}

static void test_groups_by_name(void **state)
{
        struct fixture *f = *state;
        gid_t g = 0;

        write_file(f->nsswitch, "group: files\n");
        assert_true(groups_lookup(&f->paths, "staff", &g));
        assert_int_equal(g, 2500);
        assert_true(groups_lookup(&f->paths, "empty", &g));
        assert_int_equal(g, 2501);
        assert_false(groups_lookup(&f->paths, "bad", &g));
        assert_false(groups_lookup(&f->paths, "root", &g));
        write_file(f->nsswitch, "group: files systemd\n");
        assert_true(groups_lookup(&f->paths, "root", &g));
        assert_int_equal(g, 0);
        assert_false(groups_lookup(&f->paths, "no-such-group-of-nook", &g));
}

/* Subordinate ids through getsubids (nsswitch.conf names a subid source)
   and read from /etc/subuid and /etc/subgid (it names none) agree, for the
   user the tests run as (make check: nooktest, with a range). */
static void test_subids_through_getsubids_agree_with_the_files(void **state)
{
        struct fixture *f = *state;
        struct user_entry u;
        struct subid_pair files, tool;
        struct nook_err e = { 0 };

        if (access("/usr/bin/getsubids", X_OK) < 0)
                skip();
        assert_true(users_by_uid(getuid(), &u));
        write_file(f->nsswitch, "passwd: files\n");
        assert_int_equal(subid_lookup_with(f->nsswitch, u.name, getuid(), getgid(), &files, &e), 0);
        write_file(f->nsswitch, "passwd: files\nsubid: files\n");
        assert_int_equal(subid_lookup_with(f->nsswitch, u.name, getuid(), getgid(), &tool, &e), 0);
        assert_int_equal(files.found, tool.found);
        assert_int_equal(files.uid_start, tool.uid_start);
        assert_int_equal(files.uid_count, tool.uid_count);
        assert_int_equal(files.gid_start, tool.gid_start);
        assert_int_equal(files.gid_count, tool.gid_count);
        if (getuid() != 0 && access("/etc/subuid", R_OK) == 0) {
                FILE *sub = fopen("/etc/subuid", "r");
                char line[256];
                bool listed = false;
                while (sub && fgets(line, sizeof(line), sub))
                        listed |= strncmp(line, u.name, strlen(u.name)) == 0 && line[strlen(u.name)] == ':';
                if (sub)
                        fclose(sub);
                assert_int_equal(tool.found, listed);
        }
        /* a user with no range: none, and no error */
        assert_int_equal(subid_lookup_with(f->nsswitch, "no-such-user-of-nook", 4000000, 4000000, &tool, &e), 0);
        assert_false(tool.found);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_files_alone_answer_by_name_and_by_uid),
                T(test_malformed_lines_are_passed_over),
                T(test_files_first_then_getent_for_what_they_lack),
                T(test_another_source_first_goes_to_getent),
                T(test_no_nsswitch_line_or_file_is_files_first),
                T(test_groups_by_name),
                T(test_subids_through_getsubids_agree_with_the_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
