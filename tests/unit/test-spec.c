/* What the user can say on the command line and how it lands in the spec:
   the small parsers (sizes, paths, typo hints), the spec appenders, the
   spec's privilege policy, and `nook run`'s own way from argv and a
   profile to a spec (run_spec_from_argv, what cmd_run calls). Nothing here
   touches the kernel. */
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/run-options.h"
#include "cli/run-spec.h"
#include "profiles/conf.h"
#include "lib/err.h"
#include "spec/privileges.h"
#include "spec/spec.h"
#include "lib/strutil.h"
#include "lib/suggest.h"
#include "profiles/loader.h"

#define TWO_TO_63 (UINT64_C(1) << 63)

/* --- helpers ------------------------------------------------------------ */

struct ctx {
        struct nook_spec spec;
        struct nook_err err;
};

static int setup(void **state)
{
        struct ctx *c = calloc(1, sizeof(*c));

        if (!c)
                return -1;
        spec_init(&c->spec);
        *state = c;
        return 0;
}

static int teardown(void **state)
{
        struct ctx *c = *state;

        spec_free(&c->spec);
        free(c);
        return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_size(const char *s, uint64_t want)
{
        uint64_t got = 0;
        int r = parse_size(s, &got);

        if (r != 0)
                fail_msg("parse_size(\"%s\") = %d, want 0", s, r);
        if (got != want)
                fail_msg("parse_size(\"%s\") gave %llu, want %llu", s, (unsigned long long)got,
                         (unsigned long long)want);
}

static void assert_size_fails(const char *s, int want)
{
        uint64_t got = 12345;
        int r = parse_size(s, &got);

        if (r != want)
                fail_msg("parse_size(\"%s\") = %d, want %d", s, r, want);
        /* a refused size leaves the output alone */
        assert_int_equal(got, 12345);
}

static void assert_normalized(const char *in, const char *want)
{
        _cleanup_free_ char *got = path_normalize(in);

        if (!got)
                fail_msg("path_normalize(\"%s\") = NULL (%s), want \"%s\"", in, strerror(errno), want);
        assert_string_equal(got, want);
}

static void assert_not_normalized(const char *in)
{
        errno = 0;
        _cleanup_free_ char *got = path_normalize(in);

        if (got)
                fail_msg("path_normalize(\"%s\") = \"%s\", want NULL", in, got);
        assert_int_equal(errno, EINVAL);
}

static size_t argv_len(char **argv)
{
        size_t n = 0;

        while (argv[n])
                n++;
        return n;
}

/* What `nook run` reads besides argv, made up: a profile search path of
   the tests' own (tool.profile, nocmd.profile; default.profile only in the
   second one), an empty image store (XDG_DATA_HOME), no NOOK_OVERLAY.
   Nothing of the machine's profiles or images is read. */
static char test_root[] = "/tmp/nook-test-spec.XXXXXX";
static struct profile_env test_pe, test_pe_default;

static int write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = NULL;
        FILE *f;

        if (asprintf(&path, "%s/%s", dir, name) < 0 || !(f = fopen(path, "we")))
                return -1;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -1;
}

static int make_pe(struct profile_env *pe, const char *name)
{
        struct host_facts h = { .uid = 1000, .gid = 1000, .home = (char *)"/home/test", .cwd = (char *)"/tmp" };
        struct nook_err e = { 0 };

        memset(pe, 0, sizeof(*pe));
        if (asprintf(&pe->dirs[0], "%s/%s", test_root, name) < 0 || mkdir(pe->dirs[0], 0700) < 0)
                return -1;
        pe->n_dirs = 1;
        return vars_init(&pe->vars, &h, &e);
}

static int group_setup(void **state)
{
        _cleanup_free_ char *data = NULL;

        (void)state;
        if (!mkdtemp(test_root) || asprintf(&data, "%s/data", test_root) < 0 || mkdir(data, 0700) < 0 ||
            setenv("XDG_DATA_HOME", data, 1) < 0 || unsetenv("NOOK_OVERLAY") < 0)
                return -1;
        if (make_pe(&test_pe, "profiles") < 0 || make_pe(&test_pe_default, "with-default") < 0)
                return -1;
        if (write_file(test_pe.dirs[0], "tool.profile",
                       "[Run]\nCommand=tool --flag\nHostname=from-profile\n[Filesystem]\nHide=/secret\n") < 0 ||
            write_file(test_pe.dirs[0], "nocmd.profile", "[Run]\nHostname=no-command\n") < 0 ||
            write_file(test_pe_default.dirs[0], "default.profile", "[Run]\nHostname=from-default\n") < 0)
                return -1;
        return 0;
}

static int group_teardown(void **state)
{
        _cleanup_free_ char *cmd = NULL;

        (void)state;
        profile_env_free(&test_pe);
        profile_env_free(&test_pe_default);
        if (asprintf(&cmd, "rm -rf '%s'", test_root) < 0 || system(cmd) != 0)
                return -1;
        return 0;
}

/* run_spec_from_argv on a NULL-terminated "run ..." vector. */
#define PARSE(c, ...) parse(c, (char *[]){ "run", __VA_ARGS__, NULL })
#define PARSE_WITH(c, pe, ...) parse_with(c, pe, (char *[]){ "run", __VA_ARGS__, NULL })

static int parse_with(struct ctx *c, const struct profile_env *pe, char **argv)
{
        /* each parse starts from an empty spec, as `nook run` does */
        spec_free(&c->spec);
        spec_init(&c->spec);
        memset(&c->err, 0, sizeof(c->err));
        /* no nook.conf files: the environment's NOOK_OVERLAY and the like */
        struct nook_conf conf;
        struct diag d;
        diag_init(&d);
        int r = conf_load(&conf, NULL, NULL, NULL, &d);
        diag_free(&d);
        if (r == 0)
                r = run_spec_from_argv((int)argv_len(argv), argv, &conf, pe, &c->spec, &c->err);
        conf_free(&conf);
        return r;
}

static int parse(struct ctx *c, char **argv)
{
        return parse_with(c, &test_pe, argv);
}

/* The same with stdout sent to /dev/null, for --help and --version, so their
   text does not interleave with the test report. */
static int parse_quietly(struct ctx *c, char **argv)
{
        int saved, null, r;

        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        assert_true(saved >= 0 && null >= 0);
        dup2(null, STDOUT_FILENO);
        close(null);
        r = parse(c, argv);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        return r;
}

static void assert_command(const struct ctx *c, char **want)
{
        size_t n = argv_len(want);

        assert_non_null(c->spec.argv);
        for (size_t i = 0; i < n; i++) {
                if (!c->spec.argv[i])
                        fail_msg("command has %zu words, want %zu", i, n);
                assert_string_equal(c->spec.argv[i], want[i]);
        }
        assert_null(c->spec.argv[n]);
}

#define ASSERT_COMMAND(c, ...) assert_command(c, (char *[]){ __VA_ARGS__, NULL })

/* --- parse_size --------------------------------------------------------- */

static void test_size_plain_number_is_bytes(void **state)
{
        assert_size("1", 1);
        assert_size("0", 0);
        assert_size("512", 512);
}

static void test_size_units_are_powers_of_1024(void **state)
{
        assert_size("64K", UINT64_C(64) << 10);
        assert_size("256M", UINT64_C(256) << 20);
        assert_size("1G", UINT64_C(1) << 30);
        assert_size("2T", UINT64_C(2) << 40);
}

static void test_size_unit_letter_is_case_insensitive(void **state)
{
        assert_size("64k", UINT64_C(64) << 10);
        assert_size("1g", UINT64_C(1) << 30);
}

static void test_size_takes_trailing_b_or_ib(void **state)
{
        assert_size("1GiB", UINT64_C(1) << 30);
        assert_size("1KB", UINT64_C(1) << 10);
        assert_size("100B", 100);
}

static void test_size_ib_needs_a_unit(void **state)
{
        assert_size_fails("1iB", -EINVAL);
}

static void test_size_that_is_not_a_size_is_einval(void **state)
{
        assert_size_fails("", -EINVAL);
        assert_size_fails("12Q", -EINVAL);
        assert_size_fails("-1", -EINVAL);
        assert_size_fails("1.5G", -EINVAL);
        assert_size_fails("K", -EINVAL);
        assert_size_fails(" 1", -EINVAL);
        assert_size_fails("1 G", -EINVAL);
        assert_size_fails("1GG", -EINVAL);
        assert_size_fails("1GB2", -EINVAL);
}

static void test_size_null_is_einval(void **state)
{
        uint64_t v;

        assert_int_equal(parse_size(NULL, &v), -EINVAL);
}

static void test_size_of_exactly_2_to_63_is_allowed(void **state)
{
        assert_size("9223372036854775808", TWO_TO_63);
        assert_size("8589934592G", TWO_TO_63);
        assert_size("8388608T", TWO_TO_63);
}

static void test_size_over_2_to_63_is_erange(void **state)
{
        assert_size_fails("9223372036854775809", -ERANGE);
        assert_size_fails("18446744073709551615", -ERANGE);
        assert_size_fails("99999999999999999999", -ERANGE);
        assert_size_fails("8589934593G", -ERANGE);
        assert_size_fails("8388609T", -ERANGE);
        assert_size_fails("8589934592000G", -ERANGE);
        assert_size_fails("18446744073709551616K", -ERANGE);
}

/* --- parse_u64 ---------------------------------------------------------- */

static void test_u64_accepts_up_to_max(void **state)
{
        uint64_t v = 0;

        assert_int_equal(parse_u64("42", 42, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
        assert_true(v == UINT64_MAX);
}

static void test_u64_above_max_is_erange(void **state)
{
        uint64_t v = 7;

        assert_int_equal(parse_u64("43", 42, &v), -ERANGE);
        assert_int_equal(parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
        assert_int_equal(v, 7);
}

static void test_u64_not_a_number_is_einval(void **state)
{
        uint64_t v;

        assert_int_equal(parse_u64("", 10, &v), -EINVAL);
        assert_int_equal(parse_u64(NULL, 10, &v), -EINVAL);
        assert_int_equal(parse_u64("-1", 10, &v), -EINVAL);
        assert_int_equal(parse_u64("+1", 10, &v), -EINVAL);
        assert_int_equal(parse_u64("1x", 10, &v), -EINVAL);
        assert_int_equal(parse_u64("0x1", 10, &v), -EINVAL);
}

/* --- path_normalize and path_is_below ------------------------------------ */

static void test_normalize_folds_double_slash_dot_and_trailing_slash(void **state)
{
        assert_normalized("/a//b/./c/", "/a/b/c");
        assert_normalized("//a", "/a");
        assert_normalized("/a/.", "/a");
        assert_normalized("/a/b", "/a/b");
}

static void test_normalize_keeps_the_root(void **state)
{
        assert_normalized("/", "/");
        assert_normalized("//", "/");
        assert_normalized("/./", "/");
}

static void test_normalize_keeps_dot_names_that_are_not_dot(void **state)
{
        assert_normalized("/a/.hidden/...", "/a/.hidden/...");
        assert_normalized("/a/..b", "/a/..b");
}

static void test_normalize_refuses_relative_paths(void **state)
{
        assert_not_normalized("relative");
        assert_not_normalized("./a");
        assert_not_normalized("");
        assert_not_normalized(NULL);
}

static void test_normalize_refuses_dotdot(void **state)
{
        assert_not_normalized("/a/../b");
        assert_not_normalized("/..");
        assert_not_normalized("/a/..");
}

static void test_below_covers_the_base_itself_and_children(void **state)
{
        assert_true(path_is_below("/usr", "/usr"));
        assert_true(path_is_below("/usr/lib", "/usr"));
        assert_true(path_is_below("/usr/lib/x", "/usr"));
}

static void test_below_does_not_cover_a_sibling_sharing_the_prefix(void **state)
{
        assert_false(path_is_below("/usrx", "/usr"));
        assert_false(path_is_below("/us", "/usr"));
        assert_false(path_is_below("/etc", "/usr"));
}

static void test_below_root_covers_every_absolute_path(void **state)
{
        assert_true(path_is_below("/", "/"));
        assert_true(path_is_below("/anything", "/"));
        assert_false(path_is_below("relative", "/"));
}

/* --- suggest_closest ---------------------------------------------------- */

static const char *const option_names[] = {
        "bind", "ro-bind", "tmpfs", "hide", "env", "unsetenv", "clearenv", "chdir", "hostname",
        "uid", "gid", "share-net", "seccomp", "fd", "no-cwd", "verbose", "help", "version",
};

static const char *suggest(const char *word)
{
        return suggest_closest(word, option_names, ARRAY_SIZE(option_names));
}

static void test_suggest_finds_a_one_letter_typo(void **state)
{
        assert_string_equal(suggest("bnd"), "bind");
        assert_string_equal(suggest("tmpf"), "tmpfs");
        assert_string_equal(suggest("ro-bnd"), "ro-bind");
        assert_string_equal(suggest("hostnme"), "hostname");
}

static void test_suggest_returns_an_exact_match(void **state)
{
        assert_string_equal(suggest("seccomp"), "seccomp");
}

static void test_suggest_returns_null_for_a_far_word(void **state)
{
        assert_null(suggest("xyzzy"));
        assert_null(suggest("completely-different"));
}

static void test_suggest_returns_null_for_no_candidates(void **state)
{
        assert_null(suggest_closest("bind", option_names, 0));
}

static void test_suggest_survives_a_very_long_word(void **state)
{
        char word[200];

        memset(word, 'b', sizeof(word) - 1);
        word[sizeof(word) - 1] = '\0';
        assert_null(suggest(word));
}

static void test_suggest_near_lists_the_closest_first(void **state)
{
        static const char *const names[] = { "firefox-esr", "vim", "firefox", "gimp" };
        const char *out[4];

        assert_int_equal(suggest_near("firefo", names, 4, out, 4), 2);
        assert_string_equal(out[0], "firefox");
        assert_string_equal(out[1], "firefox-esr");
        assert_int_equal(suggest_near("fire", names, 4, out, 1), 1);
        assert_int_equal(suggest_near("xyzzy", names, 4, out, 4), 0);
}

/* --- nook_escape -------------------------------------------------------- */

static void test_escape_shows_controls_and_bad_bytes(void **state)
{
        char out[128];

        nook_escape(out, sizeof(out), "a\nb\tc\x1b[2J\x7f\xff\xc2\x9b\xc3\xa9", 100);
        assert_string_equal(out, "a\\nb\\tc\\x1b[2J\\x7f\\xff\\xc2\\x9b\xc3\xa9");
}

static void test_escape_cuts_whole_characters_with_an_ellipsis(void **state)
{
        char out[32];

        /* é is two bytes: never split; … is three */
        assert_int_equal(nook_escape(out, sizeof(out), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6), 5);
        assert_string_equal(out, "\xc3\xa9\xe2\x80\xa6");
        nook_escape(out, sizeof(out), "abcdefgh\x1b", 10);
        assert_string_equal(out, "abcdefg\xe2\x80\xa6");
        nook_escape(out, sizeof(out), "abcdefgh", 8);
        assert_string_equal(out, "abcdefgh");
}

static void test_val_cuts_a_long_value(void **state)
{
        char big[1000];

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        const char *v = nook_val(big);
        assert_true(strlen(v) <= NOOK_VAL_MAX);
        assert_string_equal(v + strlen(v) - 3, "\xe2\x80\xa6");
}

/* --- spec_add_bind ------------------------------------------------------ */

static void test_bind_with_dst_keeps_both_paths(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data:/data", 0, &c->err), 0);
        assert_int_equal(c->spec.n_binds, 1);
        assert_string_equal(c->spec.binds[0].src, "/srv/data");
        assert_string_equal(c->spec.binds[0].dst, "/data");
        assert_int_equal(c->spec.binds[0].flags, 0);
}

static void test_bind_without_dst_uses_src_as_dst(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data", SPEC_BIND_RO, &c->err), 0);
        assert_int_equal(c->spec.n_binds, 1);
        assert_string_equal(c->spec.binds[0].src, "/srv/data");
        assert_string_equal(c->spec.binds[0].dst, "/srv/data");
        assert_int_equal(c->spec.binds[0].flags, SPEC_BIND_RO);
}

static void test_bind_normalizes_both_paths(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv//data/:/mnt/./d/", 0, &c->err), 0);
        assert_string_equal(c->spec.binds[0].src, "/srv/data");
        assert_string_equal(c->spec.binds[0].dst, "/mnt/d");
}

static void test_binds_keep_their_order(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/a:/x", 0, &c->err), 0);
        assert_int_equal(spec_add_bind(&c->spec, "/b:/y", SPEC_BIND_RO, &c->err), 0);
        assert_int_equal(c->spec.n_binds, 2);
        assert_string_equal(c->spec.binds[0].dst, "/x");
        assert_string_equal(c->spec.binds[1].dst, "/y");
        assert_int_equal(c->spec.binds[1].flags, SPEC_BIND_RO);
}

static void test_bind_relative_dst_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data:data", 0, &c->err), -EINVAL);
        assert_contains(c->err.msg, "'data'");
        assert_contains(c->err.msg, "not an absolute path");
        assert_int_equal(c->spec.n_binds, 0);
}

static void test_bind_empty_dst_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data:", 0, &c->err), -EINVAL);
        assert_contains(c->err.msg, "/srv/data:");
        assert_int_equal(c->spec.n_binds, 0);
}

static void test_bind_dst_root_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data:/", 0, &c->err), -EINVAL);
        assert_contains(c->err.msg, "'/'");
        assert_int_equal(spec_add_bind(&c->spec, "/srv/data://", 0, &c->err), -EINVAL);
        assert_int_equal(spec_add_bind(&c->spec, "/", 0, &c->err), -EINVAL);
        assert_int_equal(c->spec.n_binds, 0);
}

static void test_bind_dst_with_dotdot_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, "/srv/data:/a/../etc", 0, &c->err), -EINVAL);
        assert_contains(c->err.msg, "/a/../etc");
        assert_contains(c->err.msg, "..");
        assert_int_equal(c->spec.n_binds, 0);
}

static void test_bind_empty_src_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_bind(&c->spec, ":/data", 0, &c->err), -EINVAL);
        assert_contains(c->err.msg, "empty source");
        assert_int_equal(spec_add_bind(&c->spec, "", 0, &c->err), -EINVAL);
        assert_int_equal(c->spec.n_binds, 0);
}

/* Runs f with the current directory set to dir, then goes back. */
static void in_dir(const char *dir, void (*f)(struct ctx *), struct ctx *c)
{
        _cleanup_close_ int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(back >= 0);
        assert_int_equal(chdir(dir), 0);
        f(c);
        assert_int_equal(fchdir(back), 0);
}

static void bind_relative(struct ctx *c)
{
        assert_int_equal(spec_add_bind(&c->spec, "doc:/d", 0, &c->err), 0);
        assert_int_equal(spec_add_bind(&c->spec, "./doc/", 0, &c->err), 0);
        assert_int_equal(spec_add_bind(&c->spec, "x/../y:/e", 0, &c->err), 0);
}

static void test_bind_relative_src_is_taken_from_cwd(void **state)
{
        struct ctx *c = *state;

        in_dir("/usr/share", bind_relative, c);
        assert_int_equal(c->spec.n_binds, 3);
        assert_string_equal(c->spec.binds[0].src, "/usr/share/doc");
        assert_string_equal(c->spec.binds[0].dst, "/d");
        /* without DST the absolute source is the destination too */
        assert_string_equal(c->spec.binds[1].src, "/usr/share/doc");
        assert_string_equal(c->spec.binds[1].dst, "/usr/share/doc");
        /* ".." in a host path is the user's business: kept as given */
        assert_string_equal(c->spec.binds[2].src, "/usr/share/x/../y");
}

static void bind_relative_from_root(struct ctx *c)
{
        assert_int_equal(spec_add_bind(&c->spec, "srv:/s", 0, &c->err), 0);
}

static void test_bind_relative_src_from_root_has_one_slash(void **state)
{
        struct ctx *c = *state;

        in_dir("/", bind_relative_from_root, c);
        assert_string_equal(c->spec.binds[0].src, "/srv");
}

/* --- spec_add_tmpfs ----------------------------------------------------- */

static void test_tmpfs_without_size_uses_the_default(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch", &c->err), 0);
        assert_int_equal(c->spec.n_tmpfs, 1);
        assert_string_equal(c->spec.tmpfs[0].dst, "/scratch");
        assert_int_equal(c->spec.tmpfs[0].size, 0);
}

static void test_tmpfs_size_takes_units(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch/:size=64M", &c->err), 0);
        assert_string_equal(c->spec.tmpfs[0].dst, "/scratch");
        assert_int_equal(c->spec.tmpfs[0].size, UINT64_C(64) << 20);
}

static void test_tmpfs_size_of_2_to_63_is_allowed(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/big:size=8388608T", &c->err), 0);
        assert_true(c->spec.tmpfs[0].size == TWO_TO_63);
}

static void test_tmpfs_size_zero_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=0", &c->err), -EINVAL);
        assert_contains(c->err.msg, "size 0");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=0K", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_tmpfs, 0);
}

static void test_tmpfs_size_over_2_to_63_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=9223372036854775809", &c->err), -ERANGE);
        assert_contains(c->err.msg, "9223372036854775809");
        assert_contains(c->err.msg, "too large");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=8589934593G", &c->err), -ERANGE);
        assert_contains(c->err.msg, "8589934593G");
        assert_int_equal(c->spec.n_tmpfs, 0);
}

static void test_tmpfs_bad_size_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=1.5G", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'1.5G'");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_tmpfs, 0);
}

static void test_tmpfs_unknown_option_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:uid=5", &c->err), -EINVAL);
        assert_contains(c->err.msg, "unknown tmpfs option 'uid=5'");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=1M,noexec", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'noexec'");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:mode=0", &c->err), -EINVAL);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:mode=0800", &c->err), -EINVAL);
        assert_contains(c->err.msg, "0800");
        assert_int_equal(c->spec.n_tmpfs, 0);
}

static void test_tmpfs_mode_is_kept(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:mode=0700,size=1M", &c->err), 0);
        assert_int_equal(c->spec.n_tmpfs, 1);
        assert_int_equal(c->spec.tmpfs[0].mode, 0700);
        assert_int_equal(c->spec.tmpfs[0].size, 1 << 20);
}

static void test_tmpfs_dst_must_be_absolute_and_not_root(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "scratch", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'scratch'");
        assert_int_equal(spec_add_tmpfs(&c->spec, "/", &c->err), -EINVAL);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/a/../b", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_tmpfs, 0);
}

/* --- spec_add_hide ------------------------------------------------------ */

static void test_hide_keeps_a_normalized_absolute_path(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_hide(&c->spec, "/home/u//.ssh/", &c->err), 0);
        assert_int_equal(c->spec.n_hide, 1);
        assert_string_equal(c->spec.hide[0], "/home/u/.ssh");
}

static void test_hide_refuses_a_relative_path(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_hide(&c->spec, ".ssh", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'.ssh'");
        assert_int_equal(c->spec.n_hide, 0);
}

/* --- spec_add_env ------------------------------------------------------- */

static void test_env_set_keeps_the_assignment(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "LANG=C.UTF-8", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "EMPTY=", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "A=b=c", &c->err), 0);
        assert_int_equal(c->spec.n_env, 3);
        assert_int_equal(c->spec.env[0].op, SPEC_ENV_SET);
        assert_string_equal(c->spec.env[0].arg, "LANG=C.UTF-8");
        assert_string_equal(c->spec.env[1].arg, "EMPTY=");
        assert_string_equal(c->spec.env[2].arg, "A=b=c");
}

static void test_env_set_needs_an_equals_sign(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "LANG", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'LANG'");
        assert_contains(c->err.msg, "NAME=VALUE");
        assert_int_equal(c->spec.n_env, 0);
}

static void test_env_secret_names(void **state)
{
        static const char *const secret[] = {
                "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "GITHUB_TOKEN", "gh_token", "OPENAI_API_KEY",
                "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KRB5CCNAME", "PGPASSWORD", "DB_PASSWD",
                "CLIENT_SECRET", "BORG_PASSPHRASE", "CI_JOB_TOKEN_X", "NPM_CONFIG__AUTH",
                "DOCKER_AUTH_CONFIG", "GOOGLE_APPLICATION_CREDENTIALS", "SIGNING_KEY", "TOKEN",
        };
        static const char *const plain[] = {
                "HOME", "PATH", "TERM", "LANG", "DISPLAY", "XKB_DEFAULT_LAYOUT", "MONKEY", "KEYBOARD",
                "GNUPGHOME", "GIT_AUTHOR_NAME", "TOKENIZERS_PARALLELISM", "XDG_RUNTIME_DIR",
                "DBUS_SESSION_BUS_ADDRESS", "SSH_CONNECTION",
        };

        for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
                if (!spec_env_looks_secret(secret[i]))
                        fail_msg("%s should look like a secret", secret[i]);
        for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
                if (spec_env_looks_secret(plain[i]))
                        fail_msg("%s should not look like a secret", plain[i]);
}

static void test_env_resolve_drops_secrets_first_and_passes_named_ones(void **state)
{
        struct ctx *c = *state;
        char *env[] = { "PLAIN=1", "A_TOKEN=a", "B_TOKEN=b", "C_TOKEN=c", "D_TOKEN=d", NULL };

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_PASS, "A_TOKEN", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "B_TOKEN=mine", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_UNSET, "C_TOKEN", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_PASS, "ABSENT", &c->err), 0);
        assert_int_equal(spec_env_resolve(&c->spec, env, &c->err), 0);
        assert_int_equal(c->spec.n_env_dropped, 1);
        assert_string_equal(c->spec.env_dropped[0], "D_TOKEN");
        assert_int_equal(c->spec.n_env, 5);
        assert_int_equal(c->spec.env[0].op, SPEC_ENV_UNSET);
        assert_string_equal(c->spec.env[0].arg, "D_TOKEN");
        assert_int_equal(c->spec.env[1].op, SPEC_ENV_SET);
        assert_string_equal(c->spec.env[1].arg, "A_TOKEN=a");
        assert_string_equal(c->spec.env[2].arg, "B_TOKEN=mine");
        assert_int_equal(c->spec.env[4].op, SPEC_ENV_UNSET);
        assert_string_equal(c->spec.env[4].arg, "ABSENT");
}

static void test_env_resolve_leaves_an_image_alone(void **state)
{
        struct ctx *c = *state;
        char *env[] = { "A_TOKEN=a", NULL };

        c->spec.image = strdup("alpine");
        assert_int_equal(spec_env_resolve(&c->spec, env, &c->err), 0);
        assert_int_equal(c->spec.n_env_dropped, 0);
        assert_int_equal(c->spec.n_env, 0);
}

static void test_env_set_needs_a_name(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "=value", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'=value'");
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_env, 0);
}

static void test_env_unset_takes_a_bare_name(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_UNSET, "DISPLAY", &c->err), 0);
        assert_int_equal(c->spec.n_env, 1);
        assert_int_equal(c->spec.env[0].op, SPEC_ENV_UNSET);
        assert_string_equal(c->spec.env[0].arg, "DISPLAY");
}

static void test_env_unset_refuses_an_assignment_or_nothing(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_UNSET, "DISPLAY=:0", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'DISPLAY=:0' is not a variable name");
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_UNSET, "", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_env, 0);
}

static void test_env_set_and_unset_keep_one_order(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "A=1", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_UNSET, "A", &c->err), 0);
        assert_int_equal(spec_add_env(&c->spec, SPEC_ENV_SET, "A=2", &c->err), 0);
        assert_int_equal(c->spec.n_env, 3);
        assert_int_equal(c->spec.env[0].op, SPEC_ENV_SET);
        assert_int_equal(c->spec.env[1].op, SPEC_ENV_UNSET);
        assert_int_equal(c->spec.env[2].op, SPEC_ENV_SET);
        assert_string_equal(c->spec.env[2].arg, "A=2");
}

/* --- spec_set_id -------------------------------------------------------- */

static void test_uid_4294967294_is_the_largest_accepted(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_id(&c->spec, false, "4294967294", &c->err), 0);
        assert_true(c->spec.uid_set);
        assert_int_equal(c->spec.uid, 4294967294u);
        assert_false(c->spec.gid_set);
}

static void test_uid_4294967295_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_id(&c->spec, false, "4294967295", &c->err), -ERANGE);
        assert_contains(c->err.msg, "4294967295");
        assert_contains(c->err.msg, "--uid");
        assert_false(c->spec.uid_set);
}

static void test_uid_far_beyond_32_bits_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_id(&c->spec, false, "4294967296", &c->err), -ERANGE);
        assert_int_equal(spec_set_id(&c->spec, false, "99999999999999999999", &c->err), -ERANGE);
        assert_false(c->spec.uid_set);
}

static void test_uid_that_is_not_a_number_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_id(&c->spec, false, "abc", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'abc' is not a number");
        assert_int_equal(spec_set_id(&c->spec, false, "-1", &c->err), -EINVAL);
        assert_int_equal(spec_set_id(&c->spec, false, "", &c->err), -EINVAL);
        assert_false(c->spec.uid_set);
}

static void test_gid_is_set_apart_from_uid(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_id(&c->spec, true, "0", &c->err), 0);
        assert_true(c->spec.gid_set);
        assert_int_equal(c->spec.gid, 0);
        assert_false(c->spec.uid_set);
        assert_int_equal(spec_set_id(&c->spec, true, "4294967295", &c->err), -ERANGE);
        assert_contains(c->err.msg, "--gid");
}

/* --- spec_add_fd -------------------------------------------------------- */

static void test_fd_numbers_are_kept_in_order(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_fd(&c->spec, "3", &c->err), 0);
        assert_int_equal(spec_add_fd(&c->spec, "2147483647", &c->err), 0);
        assert_int_equal(c->spec.n_keep_fds, 2);
        assert_int_equal(c->spec.keep_fds[0], 3);
        assert_int_equal(c->spec.keep_fds[1], 2147483647);
}

static void test_fd_that_is_not_an_fd_number_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_fd(&c->spec, "x", &c->err), -EINVAL);
        assert_contains(c->err.msg, "'x'");
        assert_int_equal(spec_add_fd(&c->spec, "-1", &c->err), -EINVAL);
        assert_int_equal(spec_add_fd(&c->spec, "2147483648", &c->err), -EINVAL);
        assert_int_equal(spec_add_fd(&c->spec, "", &c->err), -EINVAL);
        assert_int_equal(c->spec.n_keep_fds, 0);
}

/* --- privileges: chroot for root in an image, capabilities refused ---- */

static bool allows(const struct nook_spec *s, const char *call)
{
        for (size_t i = 0; i < s->n_syscall_allow; i++)
                if (strcmp(s->syscall_allow[i], call) == 0)
                        return true;
        return false;
}

static void image_spec(struct nook_spec *s)
{
        assert_int_equal(strv_push(&s->layers, &s->n_layers, "/store/layers/a"), 0);
}

static void test_root_in_an_image_may_chroot(void **state)
{
        struct ctx *c = *state;

        image_spec(&c->spec);
        assert_true(spec_image_root_may_chroot(&c->spec));
        assert_int_equal(spec_allow_image_root_chroot(&c->spec, &c->err), 0);
        assert_true(allows(&c->spec, "chroot"));
        /* the image's User= may say root too */
        c->spec.run_as_set = true;
        c->spec.run_uid = 0;
        assert_true(spec_image_root_may_chroot(&c->spec));
}

static void test_a_host_sandbox_may_not_chroot(void **state)
{
        struct ctx *c = *state;

        assert_false(spec_image_root_may_chroot(&c->spec));
        assert_int_equal(spec_allow_image_root_chroot(&c->spec, &c->err), 0);
        assert_false(allows(&c->spec, "chroot"));
}

static void test_an_image_run_as_another_user_may_not_chroot(void **state)
{
        struct ctx *c = *state;

        image_spec(&c->spec);
        c->spec.run_as_set = true;
        c->spec.run_uid = 1000;
        assert_false(spec_image_root_may_chroot(&c->spec));
        c->spec.run_as_set = false;
        /* --uid, even --uid 0: the user chose the ids, not the image */
        assert_int_equal(spec_set_id(&c->spec, false, "0", &c->err), 0);
        assert_false(spec_image_root_may_chroot(&c->spec));
        assert_int_equal(spec_allow_image_root_chroot(&c->spec, &c->err), 0);
        assert_false(allows(&c->spec, "chroot"));
}

static void test_an_image_with_capabilities_given_may_not_chroot(void **state)
{
        struct ctx *c = *state;

        image_spec(&c->spec);
        assert_int_equal(spec_set_caps(&c->spec, "CAP_SYS_CHROOT", &c->err), 0);
        assert_false(spec_image_root_may_chroot(&c->spec));
}

static void test_caps_sys_admin_needs_the_seccomp_filter(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_caps(&c->spec, "CAP_SYS_ADMIN", &c->err), 0);
        assert_int_equal(spec_check_caps(&c->spec, false, &c->err), 0);
        c->spec.seccomp = SPEC_SECCOMP_NONE;
        assert_int_equal(spec_check_caps(&c->spec, false, &c->err), -EPERM);
        assert_contains(c->err.msg, "CAP_SYS_ADMIN with Seccomp=none");
        /* without the capability, Seccomp=none alone is the user's call */
        assert_int_equal(spec_set_caps(&c->spec, "CAP_CHOWN", &c->err), 0);
        assert_int_equal(spec_check_caps(&c->spec, false, &c->err), 0);
}

static void test_caps_net_admin_and_net_raw_are_refused_beside_egress_guards(void **state)
{
        struct ctx *c = *state;
        static const char *const caps[] = { "CAP_NET_ADMIN", "CAP_NET_RAW" };

        for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
                spec_free(&c->spec);
                spec_init(&c->spec);
                assert_int_equal(spec_set_caps(&c->spec, caps[i], &c->err), 0);
                /* no network of its own, no rules: nothing to guard */
                assert_int_equal(spec_check_caps(&c->spec, false, &c->err), 0);
                /* slirp guards the host's loopback */
                c->spec.slirp = true;
                assert_int_equal(spec_check_caps(&c->spec, false, &c->err), -EPERM);
                assert_contains(c->err.msg, caps[i]);
                /* unless it is let through, with no rules */
                c->spec.host_loopback = true;
                assert_int_equal(spec_check_caps(&c->spec, false, &c->err), 0);
                /* rules are guarded whatever the mode */
                c->spec.slirp = c->spec.host_loopback = false;
                c->spec.pasta = true;
                assert_int_equal(spec_check_caps(&c->spec, false, &c->err), -EPERM);
                c->spec.pasta = false;
                assert_int_equal(spec_add_net_rule(&c->spec, true, "10.0.0.0/8", &c->err), 0);
                assert_int_equal(spec_check_caps(&c->spec, false, &c->err), -EPERM);
                assert_contains(c->err.msg, caps[i]);
        }
}

static void test_caps_cannot_be_kept_below_a_nested_user_namespace(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_set_caps(&c->spec, "CAP_NET_BIND_SERVICE", &c->err), 0);
        assert_int_equal(spec_check_caps(&c->spec, false, &c->err), 0);
        assert_int_equal(spec_check_caps(&c->spec, true, &c->err), -EINVAL);
        assert_contains(c->err.msg, "Capabilities= cannot be kept in a host sandbox with Mode=slirp");
        /* Capabilities=none keeps nothing: nothing to refuse */
        assert_int_equal(spec_set_caps(&c->spec, "none", &c->err), 0);
        assert_int_equal(spec_check_caps(&c->spec, true, &c->err), 0);
}

/* --- run_spec_from_argv: the command ------------------------------------ */

static void test_run_takes_the_command_and_its_args(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "ls", "-l", "/tmp"), 0);
        ASSERT_COMMAND(c, "ls", "-l", "/tmp");
}

static void test_run_options_after_the_command_belong_to_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--share-net", "ls", "--bind", "/x", "-v"), 0);
        ASSERT_COMMAND(c, "ls", "--bind", "/x", "-v");
        assert_true(c->spec.share_net);
        assert_int_equal(c->spec.n_binds, 0);
        assert_int_equal(c->spec.verbose, 0);
}

static void test_run_double_dash_ends_the_options(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--no-cwd", "--", "--bind", "x"), 0);
        ASSERT_COMMAND(c, "--bind", "x");
        assert_true(c->spec.no_cwd);
        assert_int_equal(c->spec.n_binds, 0);
}

static void test_run_double_dash_after_the_command_is_kept(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--", "git", "--", "file"), 0);
        ASSERT_COMMAND(c, "git", "--", "file");
}

static void test_run_without_a_command_is_an_error(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(run_spec_from_argv(1, (char *[]){ "run", NULL }, NULL, &test_pe, &c->spec, &c->err), -EINVAL);
        assert_contains(c->err.msg, "no command given");
        assert_null(c->spec.argv);
}

static void test_run_with_only_options_is_an_error(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--share-net", "--"), -EINVAL);
        assert_contains(c->err.msg, "no command given");
}

/* --- run_spec_from_argv: options ---------------------------------------- */

static void test_run_collects_every_kind_of_option(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--bind", "/a:/b", "--ro-bind=/c", "--tmpfs", "/t:size=1M", "--hide", "/h",
                               "-e", "A=1", "--env=B=2", "--unsetenv", "C", "--clearenv", "--uid", "5",
                               "--gid", "6", "--share-net", "--fd", "4", "--no-cwd", "--chdir", "/w",
                               "--hostname", "box", "--seccomp", "none", "true"),
                         0);
        assert_int_equal(c->spec.n_binds, 2);
        assert_string_equal(c->spec.binds[0].dst, "/b");
        assert_int_equal(c->spec.binds[0].flags, 0);
        assert_string_equal(c->spec.binds[1].dst, "/c");
        assert_int_equal(c->spec.binds[1].flags, SPEC_BIND_RO);
        assert_int_equal(c->spec.n_tmpfs, 1);
        assert_int_equal(c->spec.tmpfs[0].size, UINT64_C(1) << 20);
        assert_int_equal(c->spec.n_hide, 1);
        assert_int_equal(c->spec.n_env, 3);
        assert_string_equal(c->spec.env[1].arg, "B=2");
        assert_int_equal(c->spec.env[2].op, SPEC_ENV_UNSET);
        assert_true(c->spec.clearenv);
        assert_true(c->spec.uid_set && c->spec.uid == 5);
        assert_true(c->spec.gid_set && c->spec.gid == 6);
        assert_true(c->spec.share_net);
        assert_int_equal(c->spec.n_keep_fds, 1);
        assert_int_equal(c->spec.keep_fds[0], 4);
        assert_true(c->spec.no_cwd);
        assert_string_equal(c->spec.chdir, "/w");
        assert_string_equal(c->spec.hostname, "box");
        assert_int_equal(c->spec.seccomp, SPEC_SECCOMP_NONE);
        ASSERT_COMMAND(c, "true");
}

static void test_run_defaults_are_empty(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "true"), 0);
        assert_int_equal(c->spec.n_binds + c->spec.n_tmpfs + c->spec.n_hide + c->spec.n_env, 0);
        assert_false(c->spec.share_net || c->spec.no_cwd || c->spec.clearenv);
        assert_false(c->spec.uid_set || c->spec.gid_set);
        assert_null(c->spec.chdir);
        assert_null(c->spec.hostname);
        assert_int_equal(c->spec.seccomp, SPEC_SECCOMP_DEFAULT);
        assert_int_equal(c->spec.verbose, 0);
}

static void test_run_unknown_option_suggests_the_closest(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--bnd", "x", "ls"), -EINVAL);
        assert_contains(c->err.msg, "'--bnd'");
        assert_contains(c->err.msg, "did you mean '--bind'");
}

static void test_run_unknown_option_with_value_suggests_the_closest(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--tmfs=/x", "ls"), -EINVAL);
        assert_contains(c->err.msg, "did you mean '--tmpfs'");
}

static void test_run_unknown_option_far_from_any_points_to_help(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--xyzzy", "ls"), -EINVAL);
        assert_contains(c->err.msg, "'--xyzzy'");
        assert_contains(c->err.msg, "nook run --help");
}

static void test_run_unknown_short_option_is_refused(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "-x", "ls"), -EINVAL);
        assert_contains(c->err.msg, "unknown option '-x'");
}

static void test_run_bind_at_the_end_needs_a_value(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--bind"), -EINVAL);
        assert_contains(c->err.msg, "--bind");
        assert_contains(c->err.msg, "needs a value");
}

static void test_run_short_env_at_the_end_needs_a_value(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "-e"), -EINVAL);
        assert_contains(c->err.msg, "'-e' needs a value");
}

static void test_run_spec_errors_are_passed_up(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--uid", "4294967295", "ls"), -ERANGE);
        assert_contains(c->err.msg, "4294967295");
        assert_int_equal(PARSE(c, "--bind", "/a:rel", "ls"), -EINVAL);
        assert_contains(c->err.msg, "'rel'");
}

static void test_run_hostname_is_checked(void **state)
{
        struct ctx *c = *state;
        char longest[65], too_long[66];

        memset(longest, 'a', 64);
        longest[64] = '\0';
        memset(too_long, 'a', 65);
        too_long[65] = '\0';

        assert_int_equal(PARSE(c, "--hostname", "build-1.example", "true"), 0);
        assert_string_equal(c->spec.hostname, "build-1.example");
        assert_int_equal(PARSE(c, "--hostname", longest, "true"), 0);

        static const char *const bad[] = { "", "-lead", ".lead", "under_score", "sp ace", "slash/" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (PARSE(c, "--hostname", (char *)bad[i], "true") != -EINVAL)
                        fail_msg("hostname '%s' was accepted", bad[i]);
                assert_contains(c->err.msg, "is not valid");
        }
        assert_int_equal(PARSE(c, "--hostname", too_long, "true"), -EINVAL);
        assert_contains(c->err.msg, too_long);
}

static void test_run_seccomp_takes_default_or_none(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--seccomp", "none", "true"), 0);
        assert_int_equal(c->spec.seccomp, SPEC_SECCOMP_NONE);
        assert_int_equal(PARSE(c, "--seccomp=default", "true"), 0);
        assert_int_equal(c->spec.seccomp, SPEC_SECCOMP_DEFAULT);
}

static void test_run_seccomp_bogus_is_refused_naming_it(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--seccomp", "bogus", "true"), -EINVAL);
        assert_contains(c->err.msg, "'bogus'");
        assert_contains(c->err.msg, "'default' or 'none'");
}

static void test_run_v_counts(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "-v", "-vv", "--verbose", "true"), 0);
        assert_int_equal(c->spec.verbose, 4);
}

static void test_run_chdir_must_be_absolute(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--chdir", "src", "true"), -EINVAL);
        assert_contains(c->err.msg, "'src'");
        assert_contains(c->err.msg, "absolute");
        assert_null(c->spec.chdir);
}

static void test_run_last_chdir_wins(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--chdir", "/a", "--chdir", "/b", "true"), 0);
        assert_string_equal(c->spec.chdir, "/b");
}

/* not -1, which is -EPERM */
static void test_run_help_is_a_result_of_its_own(void **state)
{
        struct ctx *c = *state;

        assert_true(RUN_HELP_PRINTED > 0);
        assert_int_equal(parse_quietly(c, (char *[]){ "run", "--help", NULL }), RUN_HELP_PRINTED);
        assert_int_equal(parse_quietly(c, (char *[]){ "run", "-h", "ls", NULL }), RUN_HELP_PRINTED);
        assert_null(c->spec.argv);
}

static void test_run_version_is_the_same_result(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(parse_quietly(c, (char *[]){ "run", "--version", NULL }), RUN_HELP_PRINTED);
}

static void test_run_can_be_parsed_twice(void **state)
{
        struct ctx *c = *state;
        struct nook_spec second;

        assert_int_equal(PARSE(c, "--bnd", "x", "ls"), -EINVAL);
        spec_init(&second);
        char *argv[] = { "run", "-v", "ls", NULL };
        assert_int_equal(run_spec_from_argv(3, argv, NULL, &test_pe, &second, &c->err), 0);
        assert_int_equal(second.verbose, 1);
        assert_string_equal(second.argv[0], "ls");
        spec_free(&second);
}

/* --- run_spec_from_argv: profiles, podman's habits ------------------------ */

static void test_run_profile_named_first_gives_its_command_and_keys(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "tool", "a", "b"), 0);
        ASSERT_COMMAND(c, "tool", "--flag", "a", "b");
        assert_string_equal(c->spec.hostname, "from-profile");
        assert_int_equal(c->spec.n_hide, 1);
        assert_string_equal(c->spec.hide[0], "/secret");
        assert_string_equal(c->spec.profile_name, "tool");
        /* the profile's file is kept read-only inside */
        assert_int_equal(c->spec.n_protect, 1);
        assert_contains(c->spec.protect[0], "/profiles/tool.profile");
}

static void test_run_profile_by_option_is_the_same(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--profile", "tool", "--", "x"), 0);
        ASSERT_COMMAND(c, "x");
        assert_string_equal(c->spec.hostname, "from-profile");
}

static void test_run_options_override_the_profile(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--hostname", "mine", "tool"), 0);
        assert_string_equal(c->spec.hostname, "mine");
        ASSERT_COMMAND(c, "tool", "--flag");
}

static void test_run_dashdash_after_a_profile_replaces_its_command(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "tool", "--", "other", "x"), 0);
        ASSERT_COMMAND(c, "other", "x");
        assert_string_equal(c->spec.hostname, "from-profile");
}

static void test_run_dashdash_first_makes_a_profile_name_the_command(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--", "tool", "a"), 0);
        ASSERT_COMMAND(c, "tool", "a");
        assert_null(c->spec.hostname);
}

static void test_run_profile_without_a_command_needs_one(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "nocmd"), -EINVAL);
        assert_contains(c->err.msg, "profile 'nocmd' has no Command=");
}

static void test_run_default_profile_is_used_unless_noprofile(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE_WITH(c, &test_pe_default, "true"), 0);
        assert_string_equal(c->spec.hostname, "from-default");
        assert_string_equal(c->spec.profile_name, "default");
        assert_int_equal(PARSE_WITH(c, &test_pe_default, "--noprofile", "true"), 0);
        assert_null(c->spec.hostname);
}

static void test_run_unknown_name_before_dashdash_suggests_a_profile(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "tol", "--", "ls"), -ENOENT);
        assert_contains(c->err.msg, "no profile or image is named 'tol'");
        assert_contains(c->err.msg, "did you mean 'tool'");
}

static void test_run_overlay_default_comes_from_the_environment(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(setenv("NOOK_OVERLAY", "fuse", 1), 0);
        int r = PARSE(c, "true");
        int overlay = c->spec.overlay;
        int r2 = PARSE(c, "--overlay", "kernel", "true");
        unsetenv("NOOK_OVERLAY");
        assert_int_equal(r, 0);
        assert_int_equal(overlay, 2);
        assert_int_equal(r2, 0);
        assert_int_equal(c->spec.overlay, 1);
}

static void test_run_rm_and_persist_contradict(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--rm", "true"), 0);
        assert_int_equal(PARSE(c, "--rm", "--persist", "true"), -EINVAL);
        assert_contains(c->err.msg, "--rm and --persist contradict each other");
}

static void test_run_persist_and_entrypoint_need_an_image(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--persist", "true"), -EINVAL);
        assert_contains(c->err.msg, "--persist keeps the writable layer of an image");
        assert_int_equal(PARSE(c, "--entrypoint", "sh", "true"), -EINVAL);
        assert_contains(c->err.msg, "--entrypoint replaces an image's Entrypoint");
}

static void test_run_user_of_a_host_sandbox_is_ids_or_host_names(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "--user", "5:6", "true"), 0);
        assert_true(c->spec.uid_set && c->spec.uid == 5);
        assert_true(c->spec.gid_set && c->spec.gid == 6);
        assert_int_equal(PARSE(c, "-u", "root", "true"), 0);
        assert_true(c->spec.uid_set && c->spec.uid == 0);
        assert_true(c->spec.gid_set && c->spec.gid == 0);
        assert_int_equal(PARSE(c, "--user", "5", "--uid", "5", "true"), -EINVAL);
        assert_contains(c->err.msg, "--user and --uid/--gid both");
        assert_int_equal(PARSE(c, "--user", "5:", "true"), -EINVAL);
        assert_contains(c->err.msg, "is not USER[:GROUP]");
        assert_int_equal(PARSE(c, "--user", "no-such-user-here", "true"), -ENOENT);
        assert_contains(c->err.msg, "no such user on this host");
}

static void test_run_direct_options_reach_the_spec(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(PARSE(c, "-d", "-t", "-i", "--fd", "3", "true"), 0);
        assert_true(c->spec.detach);
        assert_true(c->spec.tty);
        assert_int_equal(c->spec.n_keep_fds, 1);
        assert_int_equal(c->spec.keep_fds[0], 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_size_plain_number_is_bytes),
                T(test_suggest_near_lists_the_closest_first),
                T(test_escape_shows_controls_and_bad_bytes),
                T(test_escape_cuts_whole_characters_with_an_ellipsis),
                T(test_val_cuts_a_long_value),
                T(test_size_units_are_powers_of_1024),
                T(test_size_unit_letter_is_case_insensitive),
                T(test_size_takes_trailing_b_or_ib),
                T(test_size_ib_needs_a_unit),
                T(test_size_that_is_not_a_size_is_einval),
                T(test_size_null_is_einval),
                T(test_size_of_exactly_2_to_63_is_allowed),
                T(test_size_over_2_to_63_is_erange),
                T(test_u64_accepts_up_to_max),
                T(test_u64_above_max_is_erange),
                T(test_u64_not_a_number_is_einval),
                T(test_normalize_folds_double_slash_dot_and_trailing_slash),
                T(test_normalize_keeps_the_root),
                T(test_normalize_keeps_dot_names_that_are_not_dot),
                T(test_normalize_refuses_relative_paths),
                T(test_normalize_refuses_dotdot),
                T(test_below_covers_the_base_itself_and_children),
                T(test_below_does_not_cover_a_sibling_sharing_the_prefix),
                T(test_below_root_covers_every_absolute_path),
                T(test_suggest_finds_a_one_letter_typo),
                T(test_suggest_returns_an_exact_match),
                T(test_suggest_returns_null_for_a_far_word),
                T(test_suggest_returns_null_for_no_candidates),
                T(test_suggest_survives_a_very_long_word),
                T(test_bind_with_dst_keeps_both_paths),
                T(test_bind_without_dst_uses_src_as_dst),
                T(test_bind_normalizes_both_paths),
                T(test_binds_keep_their_order),
                T(test_bind_relative_dst_is_refused_naming_it),
                T(test_bind_empty_dst_is_refused),
                T(test_bind_dst_root_is_refused),
                T(test_bind_dst_with_dotdot_is_refused),
                T(test_bind_empty_src_is_refused),
                T(test_bind_relative_src_is_taken_from_cwd),
                T(test_bind_relative_src_from_root_has_one_slash),
                T(test_tmpfs_without_size_uses_the_default),
                T(test_tmpfs_size_takes_units),
                T(test_tmpfs_size_of_2_to_63_is_allowed),
                T(test_tmpfs_size_zero_is_refused),
                T(test_tmpfs_size_over_2_to_63_is_refused_naming_it),
                T(test_tmpfs_bad_size_is_refused_naming_it),
                T(test_tmpfs_unknown_option_is_refused_naming_it),
                T(test_tmpfs_mode_is_kept),
                T(test_tmpfs_dst_must_be_absolute_and_not_root),
                T(test_hide_keeps_a_normalized_absolute_path),
                T(test_hide_refuses_a_relative_path),
                T(test_env_set_keeps_the_assignment),
                T(test_env_set_needs_an_equals_sign),
                T(test_env_secret_names),
                T(test_env_resolve_drops_secrets_first_and_passes_named_ones),
                T(test_env_resolve_leaves_an_image_alone),
                T(test_env_set_needs_a_name),
                T(test_env_unset_takes_a_bare_name),
                T(test_env_unset_refuses_an_assignment_or_nothing),
                T(test_env_set_and_unset_keep_one_order),
                T(test_uid_4294967294_is_the_largest_accepted),
                T(test_uid_4294967295_is_refused_naming_it),
                T(test_uid_far_beyond_32_bits_is_refused),
                T(test_uid_that_is_not_a_number_is_refused),
                T(test_gid_is_set_apart_from_uid),
                T(test_fd_numbers_are_kept_in_order),
                T(test_fd_that_is_not_an_fd_number_is_refused),
                T(test_root_in_an_image_may_chroot),
                T(test_a_host_sandbox_may_not_chroot),
                T(test_an_image_run_as_another_user_may_not_chroot),
                T(test_an_image_with_capabilities_given_may_not_chroot),
                T(test_caps_sys_admin_needs_the_seccomp_filter),
                T(test_caps_net_admin_and_net_raw_are_refused_beside_egress_guards),
                T(test_caps_cannot_be_kept_below_a_nested_user_namespace),
                T(test_run_takes_the_command_and_its_args),
                T(test_run_options_after_the_command_belong_to_it),
                T(test_run_double_dash_ends_the_options),
                T(test_run_double_dash_after_the_command_is_kept),
                T(test_run_without_a_command_is_an_error),
                T(test_run_with_only_options_is_an_error),
                T(test_run_collects_every_kind_of_option),
                T(test_run_defaults_are_empty),
                T(test_run_unknown_option_suggests_the_closest),
                T(test_run_unknown_option_with_value_suggests_the_closest),
                T(test_run_unknown_option_far_from_any_points_to_help),
                T(test_run_unknown_short_option_is_refused),
                T(test_run_bind_at_the_end_needs_a_value),
                T(test_run_short_env_at_the_end_needs_a_value),
                T(test_run_spec_errors_are_passed_up),
                T(test_run_hostname_is_checked),
                T(test_run_seccomp_takes_default_or_none),
                T(test_run_seccomp_bogus_is_refused_naming_it),
                T(test_run_v_counts),
                T(test_run_chdir_must_be_absolute),
                T(test_run_last_chdir_wins),
                T(test_run_help_is_a_result_of_its_own),
                T(test_run_version_is_the_same_result),
                T(test_run_can_be_parsed_twice),
                T(test_run_profile_named_first_gives_its_command_and_keys),
                T(test_run_profile_by_option_is_the_same),
                T(test_run_options_override_the_profile),
                T(test_run_dashdash_after_a_profile_replaces_its_command),
                T(test_run_dashdash_first_makes_a_profile_name_the_command),
                T(test_run_profile_without_a_command_needs_one),
                T(test_run_default_profile_is_used_unless_noprofile),
                T(test_run_unknown_name_before_dashdash_suggests_a_profile),
                T(test_run_overlay_default_comes_from_the_environment),
                T(test_run_rm_and_persist_contradict),
                T(test_run_persist_and_entrypoint_need_an_image),
                T(test_run_user_of_a_host_sandbox_is_ids_or_host_names),
                T(test_run_direct_options_reach_the_spec),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
