/* nook.conf: which file wins, what the environment overrides, where each
   value came from, and the diagnostics of a bad file (file:line, every
   problem at once). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiles/conf.h"

static char dir[] = "/tmp/nook-test-conf.XXXXXX";
static char site[128], user[128];

static const char *const env_names[] = { "NOOK_STORE", "NOOK_SHARED_STORES", "NOOK_OVERLAY", "NOOK_NETWORK",
                                         "NOOK_MAP", "NOOK_FAKE_IDS", "NOOK_RUNTIME_DIR" };

static int setup(void **state)
{
        for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
                unsetenv(env_names[i]);
        unlink(site);
        unlink(user);
        return 0;
}

static void test_nothing_set_leaves_the_defaults(void **state)
{
        struct nook_conf c;
        struct diag d;

        diag_init(&d);
        assert_int_equal(conf_load(&c, site, user, NULL, &d), 0);
        for (int k = 0; k < CONF_COUNT; k++) {
                assert_null(conf_get(&c, k));
                assert_non_null(conf_key_default(k));
        }
        assert_int_equal(c.n_shared, 0);
        conf_free(&c);
        diag_free(&d);
}

static void test_the_user_file_wins_over_the_site_file_and_says_where(void **state)
{
        struct nook_conf c;
        struct diag d;
        char where[200];

        write_file(site, "[Store]\nPath=/srv/site-store\nShared=/srv/nook/images\n[Defaults]\nOverlay=fuse\nMap=single\n");
        write_file(user, "# mine\n[Defaults]\nOverlay=kernel\n[Store]\nShared=/group/images\n");
        diag_init(&d);
        assert_int_equal(conf_load(&c, site, user, NULL, &d), 0);
        assert_string_equal(conf_get(&c, CONF_STORE_PATH), "/srv/site-store");
        assert_string_equal(conf_get(&c, CONF_OVERLAY), "kernel");
        assert_string_equal(conf_get(&c, CONF_MAP), "single");
        snprintf(where, sizeof(where), "%s:3", user);
        assert_string_equal(c.v[CONF_OVERLAY].origin, where);
        snprintf(where, sizeof(where), "%s:6", site);
        assert_string_equal(c.v[CONF_MAP].origin, where);
        /* Shared= adds: the site's first, then the user's */
        assert_int_equal(c.n_shared, 2);
        assert_string_equal(c.shared[0].value, "/srv/nook/images");
        assert_string_equal(c.shared[1].value, "/group/images");
        conf_free(&c);
        diag_free(&d);
}

static void test_the_environment_wins_over_the_files(void **state)
{
        struct nook_conf c;
        struct diag d;

        write_file(user, "[Store]\nPath=/a\nShared=/b\n[Defaults]\nNetwork=slirp\n");
        setenv("NOOK_STORE", "/scratch/me/store", 1);
        setenv("NOOK_NETWORK", "pasta", 1);
        setenv("NOOK_SHARED_STORES", "/x:/y", 1);
        diag_init(&d);
        assert_int_equal(conf_load(&c, site, user, NULL, &d), 0);
        assert_string_equal(conf_get(&c, CONF_STORE_PATH), "/scratch/me/store");
        assert_string_equal(c.v[CONF_STORE_PATH].origin, "environment NOOK_STORE");
        assert_string_equal(conf_get(&c, CONF_NETWORK), "pasta");
        assert_int_equal(c.n_shared, 2);
        assert_string_equal(c.shared[0].value, "/x");
        assert_string_equal(c.shared[1].value, "/y");
        conf_free(&c);
        diag_free(&d);
}

static void test_every_problem_is_reported_with_file_and_line(void **state)
{
        struct nook_conf c;
        struct diag d;
        char want[200];

        write_file(user, "[Store]\nPaht=/a\n[Defaults]\nOverlay=fusion\nNetwork=slirp\n[Nope]\nX=1\n[Run]\nRuntimeDir=relative\n");
        diag_init(&d);
        assert_int_equal(conf_load(&c, NULL, user, NULL, &d), -EINVAL);
        assert_int_equal(d.n, 4);
        snprintf(want, sizeof(want), "%s:2: unknown key Paht= in [Store] (did you mean Path=?)", user);
        assert_string_equal(d.msgs[0], want);
        snprintf(want, sizeof(want), "%s:4: Overlay=fusion is not one of auto, kernel, fuse", user);
        assert_string_equal(d.msgs[1], want);
        assert_non_null(strstr(d.msgs[2], ":7: unknown section [Nope]"));
        assert_non_null(strstr(d.msgs[3], ":9: RuntimeDir=relative is not an absolute path"));
        /* what was good still landed */
        assert_string_equal(conf_get(&c, CONF_NETWORK), "slirp");
        conf_free(&c);
        diag_free(&d);
}

static void test_a_bad_environment_value_names_the_variable(void **state)
{
        struct nook_conf c;
        struct diag d;

        setenv("NOOK_MAP", "double", 1);
        diag_init(&d);
        assert_int_equal(conf_load(&c, NULL, NULL, NULL, &d), -EINVAL);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "NOOK_MAP: Map=double is not one of auto, single, range"));
        conf_free(&c);
        diag_free(&d);
}

static void test_a_directory_or_huge_file_is_refused(void **state)
{
        struct nook_conf c;
        struct diag d;

        diag_init(&d);
        assert_int_equal(conf_load(&c, dir, NULL, NULL, &d), -EINVAL);
        assert_non_null(strstr(d.msgs[0], "not a regular file"));
        conf_free(&c);
        diag_free(&d);
        FILE *f = fopen(user, "w");
        assert_non_null(f);
        for (int i = 0; i < 40000; i++)
                fputs("# padding\n", f);
        fclose(f);
        diag_init(&d);
        assert_int_equal(conf_load(&c, NULL, user, NULL, &d), -EINVAL);
        assert_non_null(strstr(d.msgs[0], "not a configuration file"));
        conf_free(&c);
        diag_free(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_nothing_set_leaves_the_defaults, setup),
                cmocka_unit_test_setup(test_the_user_file_wins_over_the_site_file_and_says_where, setup),
                cmocka_unit_test_setup(test_the_environment_wins_over_the_files, setup),
                cmocka_unit_test_setup(test_every_problem_is_reported_with_file_and_line, setup),
                cmocka_unit_test_setup(test_a_bad_environment_value_names_the_variable, setup),
                cmocka_unit_test_setup(test_a_directory_or_huge_file_is_refused, setup),
        };
        if (!mkdtemp(dir))
                return 1;
        snprintf(site, sizeof(site), "%s/site.conf", dir);
        snprintf(user, sizeof(user), "%s/user.conf", dir);
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        unlink(site);
        unlink(user);
        rmdir(dir);
        return r;
}
