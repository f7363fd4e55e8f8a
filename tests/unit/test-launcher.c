/* lib/launcher.c's launcher_capture: the words of a short-lived program
   (getent, getsubids, nft), read within a deadline, whatever fds nook was
   started with. Real programs: /bin/sh, /usr/bin/yes, getent. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/launcher.h"

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_output_and_status_are_read(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "echo answer; echo noise >&2; exit 3", NULL };
        char buf[64];
        struct nook_err e = { 0 };

        (void)state;
        assert_int_equal(launcher_capture(argv, -1, 1, NULL, NULL, buf, sizeof(buf), 5000, &e), 3);
        assert_string_equal(buf, "answer\n");
        assert_int_equal(launcher_capture(argv, -1, 2, NULL, NULL, buf, sizeof(buf), 5000, &e), 3);
        assert_string_equal(buf, "noise\n");
}

/* a child it leaves behind holds the pipe: the answer is taken when the
   program ends, not after the deadline */
static void test_a_child_left_behind_is_not_waited_for(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "echo answer; sleep 3 & exit 0", NULL };
        char buf[64];
        struct nook_err e = { 0 };

        (void)state;
        double t = now_s();
        assert_int_equal(launcher_capture(argv, -1, 1, NULL, NULL, buf, sizeof(buf), 8000, &e), 0);
        assert_true(now_s() - t < 2.5);
        assert_string_equal(buf, "answer\n");
}

/* the deadline is for it all: neither output without end nor a trickle
   keeps nook waiting past it */
static void test_the_deadline_holds_for_endless_output(void **state)
{
        char *yes[] = { "/usr/bin/yes", NULL };
        char *trickle[] = { "/bin/sh", "-c", "while :; do echo x; sleep 0.2; done", NULL };
        char buf[64];
        struct nook_err e = { 0 };

        (void)state;
        double t = now_s();
        assert_int_equal(launcher_capture(yes, -1, 1, NULL, NULL, buf, sizeof(buf), 1000, &e), -ETIMEDOUT);
        assert_true(now_s() - t < 4);
        t = now_s();
        assert_int_equal(launcher_capture(trickle, -1, 1, NULL, NULL, buf, sizeof(buf), 1000, &e), -ETIMEDOUT);
        assert_true(now_s() - t < 4);
        assert_non_null(strstr(e.msg, "did not answer"));
}

/* nook started with fds 0 and 1 closed: the pipe and the input land there,
   and the program must still get them as its fds */
static void test_closed_stdio_does_not_lose_the_answer(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "read line; echo \"got $line\"", NULL };
        char buf[64];
        struct nook_err e = { 0 };
        int saved_in = dup(0), saved_out = dup(1);

        (void)state;
        close(0);
        close(1);
        int in = memfd_create("input", MFD_CLOEXEC);
        int w = in >= 0 ? (int)write(in, "hello\n", 6) : -1;
        lseek(in, 0, SEEK_SET);
        int st = launcher_capture(argv, in, 1, NULL, NULL, buf, sizeof(buf), 5000, &e);
        close(in);
        dup2(saved_in, 0);
        dup2(saved_out, 1);
        close(saved_in);
        close(saved_out);
        assert_int_equal(in, 0);
        assert_int_equal(w, 6);
        assert_int_equal(st, 0);
        assert_string_equal(buf, "got hello\n");
}

/* with no input and fd 0 closed in nook, the program still gets
   /dev/null as its standard input, and its other output fd open */
static void test_closed_stdin_gives_dev_null(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "[ -e /proc/self/fd/0 ] && echo in; [ -e /proc/self/fd/2 ] && echo err; "
                                          "readlink /proc/self/fd/0", NULL };
        char buf[128];
        struct nook_err e = { 0 };
        int saved_in = dup(0);

        (void)state;
        close(0);
        int st = launcher_capture(argv, -1, 1, NULL, NULL, buf, sizeof(buf), 5000, &e);
        dup2(saved_in, 0);
        close(saved_in);
        assert_int_equal(st, 0);
        assert_string_equal(buf, "in\nerr\n/dev/null\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_and_status_are_read),
                cmocka_unit_test(test_a_child_left_behind_is_not_waited_for),
                cmocka_unit_test(test_the_deadline_holds_for_endless_output),
                cmocka_unit_test(test_closed_stdio_does_not_lose_the_answer),
                cmocka_unit_test(test_closed_stdin_gives_dev_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
