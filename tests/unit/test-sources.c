/* Bind sources made exact before the sandbox starts (cli/run-sources.c),
   and opened by pid 1 without following any symbolic link
   (resolve_open_exact in fs/resolve.c): a link put on the way in between
   fails the start instead of showing something else. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/run-sources.h"
#include "fs/resolve.h"
#include "lib/cleanup.h"

struct fixture {
        char dir[64];
        char path[256];
};

/* dir/real/file, dir/link -> real, dir/up -> /, dir/real/in -> ../real */
static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char p[256];

        assert_non_null(f);
        strcpy(f->dir, "/tmp/nook-test-sources.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(p, sizeof(p), "%s/real", f->dir);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/real/file", f->dir);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        snprintf(p, sizeof(p), "%s/link", f->dir);
        assert_int_equal(symlink("real", p), 0);
        snprintf(p, sizeof(p), "%s/up", f->dir);
        assert_int_equal(symlink("/", p), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

static const char *at(struct fixture *f, const char *rel)
{
        snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, rel);
        return f->path;
}

static int open_exact(struct fixture *f, const char *rel)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int fd = resolve_open_exact(root, at(f, rel), O_PATH);

        if (fd >= 0)
                close(fd);
        return fd < 0 ? fd : 0;
}

static void test_an_exact_path_opens(void **state)
{
        assert_int_equal(open_exact(*state, "real/file"), 0);
}

static void test_a_link_on_the_way_is_eloop_not_followed(void **state)
{
        assert_int_equal(open_exact(*state, "link/file"), -ELOOP);
        assert_int_equal(open_exact(*state, "link"), -ELOOP);
        assert_int_equal(open_exact(*state, "up/etc"), -ELOOP);
}

static void test_the_plain_resolve_still_follows_links(void **state)
{
        struct fixture *f = *state;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = resolve_open(root, at(f, "link/file"), O_PATH);

        assert_true(fd >= 0);
}

/* A plan of one bind of src (with flags); run_pin_sources's result, and
   the source it left in *out (freed by the caller). */
static int pin_home(const char *src, unsigned flags, const char *home, char **out, struct nook_err *e)
{
        struct step step = { .kind = STEP_BIND, .src = strdup(src), .dst = strdup("/x"), .flags = flags };
        struct step *steps = calloc(1, sizeof(*steps));
        struct plan p = { .steps = steps, .n = 1 };
        struct nook_spec spec = { 0 };
        struct host_facts h = { .home = (char *)home };

        assert_non_null(step.src);
        assert_non_null(steps);
        steps[0] = step;
        int r = run_pin_sources(&p, &spec, &h, e);
        *out = p.n ? strdup(steps[0].src) : NULL;
        if (p.n) {
                free(steps[0].src);
                free(steps[0].dst);
        }
        free(steps);
        return r;
}

static int pin(const char *src, unsigned flags, char **out, struct nook_err *e)
{
        return pin_home(src, flags, "/home/nook-test-nobody", out, e);
}

/* pin() refuses src, saying why with words in the message. */
static void assert_refused(const char *src, unsigned flags, const char *words)
{
        struct nook_err e = { 0 };
        char *got = NULL;

        assert_true(pin(src, flags, &got, &e) < 0);
        assert_non_null(strstr(e.msg, words));
        free(got);
}

/* pin() keeps src as want. */
static void assert_pinned(const char *src, unsigned flags, const char *want)
{
        struct nook_err e = { 0 };
        char *got = NULL;

        assert_int_equal(pin(src, flags, &got, &e), 0);
        assert_string_equal(got, want);
        free(got);
}

static void test_a_source_through_a_link_becomes_its_real_path(void **state)
{
        struct fixture *f = *state;
        char want[256];

        snprintf(want, sizeof(want), "%s/real/file", f->dir);
        /* mkdtemp under /tmp: /tmp itself may be a link elsewhere */
        _cleanup_free_ char *real_want = realpath(want, NULL);
        assert_pinned(at(f, "link/./file"), 0, real_want);
}

static void test_a_link_copied_as_a_link_keeps_its_name(void **state)
{
        struct fixture *f = *state;
        struct nook_err e = { 0 };
        char *got = NULL;

        assert_int_equal(pin(at(f, "up"), STEP_LINK, &got, &e), 0);
        size_t n = strlen(got);
        assert_true(n > 3 && strcmp(got + n - 3, "/up") == 0);
        free(got);
}

static void test_a_missing_source_keeps_its_path_without_dots(void **state)
{
        struct nook_err e = { 0 };
        char *got = NULL;

        assert_int_equal(pin("/no-such-dir-nook//a/./b", STEP_TRY, &got, &e), 0);
        assert_string_equal(got, "/no-such-dir-nook/a/b");
        free(got);
}

static void test_a_missing_source_under_a_link_gets_the_real_directory(void **state)
{
        struct fixture *f = *state;
        struct nook_err e = { 0 };
        char want[300], *got = NULL;

        _cleanup_free_ char *real = realpath(at(f, "real"), NULL);
        assert_non_null(real);
        snprintf(want, sizeof(want), "%s/later/sock", real);
        assert_int_equal(pin(at(f, "link/later/./sock"), STEP_TRY, &got, &e), 0);
        assert_string_equal(got, want);
        free(got);
}

static void test_a_missing_source_with_dotdot_is_refused(void **state)
{
        struct nook_err e = { 0 };
        char *got = NULL;

        assert_true(pin("/no-such-dir-nook/../..", STEP_TRY, &got, &e) < 0);
        assert_non_null(strstr(e.msg, "'..'"));
        free(got);
}

static void test_a_device_that_leads_out_of_dev_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_refused(at(f, "up"), STEP_DEV, "not under /dev");
        assert_pinned("/dev/null", STEP_DEV, "/dev/null");
}

/* dir/dangling -> no-such-target */
static void make_dangling(struct fixture *f)
{
        char p[256];

        snprintf(p, sizeof(p), "%s/dangling", f->dir);
        assert_int_equal(symlink("no-such-target", p), 0);
}

static void test_a_bind_try_through_a_dangling_link_is_dropped(void **state)
{
        struct fixture *f = *state;
        struct nook_err e = { 0 };
        char *got = (char *)"unset";

        make_dangling(f);
        assert_int_equal(pin(at(f, "dangling"), STEP_TRY, &got, &e), 0);
        assert_null(got);
        assert_int_equal(pin(at(f, "dangling/below"), STEP_TRY, &got, &e), 0);
        assert_null(got);
}

static void test_a_bind_through_a_dangling_link_names_the_error(void **state)
{
        struct fixture *f = *state;

        make_dangling(f);
        assert_refused(at(f, "dangling"), 0, "No such file or directory");
}

/* The plan compared the source as it was; now it leads to the home: a
   link swapped in between nook's checks and this. */
static void test_a_source_that_now_leads_to_the_home_is_refused(void **state)
{
        struct fixture *f = *state;
        struct nook_err e = { 0 };
        char *got = NULL;
        _cleanup_free_ char *home = realpath(at(f, "real"), NULL);

        assert_non_null(home);
        assert_true(pin_home(at(f, "link"), 0, home, &got, &e) < 0);
        assert_non_null(strstr(e.msg, "changed while the sandbox started"));
        free(got);
        /* the same source, already the home's real path when the plan was
           made, is the plan's to judge */
        memset(&e, 0, sizeof(e));
        assert_int_equal(pin_home(home, 0, home, &got, &e), 0);
        free(got);
}

/* The working directory, a user's bind: exact when the plan was made from
   them, and kept so; a link put on the way since, whatever it leads to,
   fails pid 1's open (never followed to a path the plan did not judge). */
static void test_an_exact_source_is_kept_and_a_link_on_it_fails_the_open(void **state)
{
        struct fixture *f = *state;

        assert_pinned(at(f, "link"), STEP_EXACT, at(f, "link"));
        assert_int_equal(open_exact(f, "link"), -ELOOP);
}

static void test_a_device_of_another_file_system_under_dev_is_refused(void **state)
{
        struct stat pts, dev;

        if (stat("/dev/pts", &pts) < 0 || stat("/dev", &dev) < 0 || pts.st_dev == dev.st_dev)
                skip();
        assert_refused("/dev/pts", STEP_DEV, "neither a device node nor a directory of /dev's own");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_an_exact_path_opens),
                T(test_a_link_on_the_way_is_eloop_not_followed),
                T(test_the_plain_resolve_still_follows_links),
                T(test_a_source_through_a_link_becomes_its_real_path),
                T(test_a_link_copied_as_a_link_keeps_its_name),
                T(test_a_missing_source_keeps_its_path_without_dots),
                T(test_a_missing_source_under_a_link_gets_the_real_directory),
                T(test_a_missing_source_with_dotdot_is_refused),
                T(test_a_device_that_leads_out_of_dev_is_refused),
                T(test_a_bind_try_through_a_dangling_link_is_dropped),
                T(test_a_bind_through_a_dangling_link_names_the_error),
                T(test_a_source_that_now_leads_to_the_home_is_refused),
                T(test_an_exact_source_is_kept_and_a_link_on_it_fails_the_open),
                T(test_a_device_of_another_file_system_under_dev_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
