/* plan_build() turns a spec and a few host facts into mount steps. It is
   pure, so each test makes up a host, builds a plan and reads the steps:
   which kinds, what source and destination, which flags and modes, in what
   order. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/err.h"
#include "spec/host.h"
#include "sandbox/plan.h"
#include "spec/spec.h"
#include "lib/strutil.h"

/* --- made-up hosts ------------------------------------------------------ */

struct ctx {
        struct nook_spec spec;
        struct host_facts host;
        struct plan plan;
        struct nook_err err;
        char home[64];
        char cwd[64];
        char *line;             /* the last describe(), to free */
};

static void set_top(struct host_facts *h, size_t i, const char *name, enum host_node kind,
                    const char *target)
{
        h->top[i].name = name;
        h->top[i].kind = kind;
        assert_int_equal(STR_FMT(h->top[i].target, "%s", target ? target : ""), 0);
}

/* A Debian 12 amd64 laptop: merged /usr, no /opt, working in a project
   below home. */
static int setup(void **state)
{
        struct ctx *c = calloc(1, sizeof(*c));

        if (!c)
                return -1;
        spec_init(&c->spec);
        assert_int_equal(STR_FMT(c->home, "/home/u"), 0);
        assert_int_equal(STR_FMT(c->cwd, "/home/u/proj"), 0);
        c->host.uid = 1000;
        c->host.gid = 1000;
        c->host.home = c->home;
        c->host.cwd = c->cwd;
        c->host.has_opt = false;
        set_top(&c->host, 0, "/bin", HOST_SYMLINK, "usr/bin");
        set_top(&c->host, 1, "/sbin", HOST_SYMLINK, "usr/sbin");
        set_top(&c->host, 2, "/lib", HOST_SYMLINK, "usr/lib");
        set_top(&c->host, 3, "/lib64", HOST_SYMLINK, "usr/lib64");
        set_top(&c->host, 4, "/lib32", HOST_ABSENT, NULL);
        set_top(&c->host, 5, "/libx32", HOST_ABSENT, NULL);
        c->host.n_top = 6;
        *state = c;
        return 0;
}

static int teardown(void **state)
{
        struct ctx *c = *state;

        plan_free(&c->plan);
        spec_free(&c->spec);
        free(c->line);
        /* host.home and host.cwd point into c: nothing to free */
        free(c);
        return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* A host from before the /usr merge: /bin, /sbin, /lib, /lib64 are real
   directories. */
static void make_unmerged(struct ctx *c)
{
        set_top(&c->host, 0, "/bin", HOST_DIR, NULL);
        set_top(&c->host, 1, "/sbin", HOST_DIR, NULL);
        set_top(&c->host, 2, "/lib", HOST_DIR, NULL);
        set_top(&c->host, 3, "/lib64", HOST_DIR, NULL);
}

static void set_cwd(struct ctx *c, const char *cwd)
{
        if (!cwd) {
                c->host.cwd = NULL;
                return;
        }
        assert_int_equal(STR_FMT(c->cwd, "%s", cwd), 0);
        c->host.cwd = c->cwd;
}

static void build(struct ctx *c)
{
        plan_free(&c->plan);
        int r = plan_build(&c->spec, &c->host, &c->plan, &c->err);
        if (r != 0)
                fail_msg("plan_build = %d: %s", r, c->err.msg);
}

/* --- reading the plan --------------------------------------------------- */

static const char *describe(struct ctx *c, size_t i)
{
        assert_true(i < c->plan.n);
        free(c->line);
        c->line = step_describe(&c->plan.steps[i]);
        assert_non_null(c->line);
        return c->line;
}

/* Index of the first step of this kind at dst, or -1. */
static ssize_t find(const struct ctx *c, enum step_kind kind, const char *dst)
{
        for (size_t i = 0; i < c->plan.n; i++)
                if (c->plan.steps[i].kind == kind && strcmp(c->plan.steps[i].dst, dst) == 0)
                        return (ssize_t)i;
        return -1;
}

static size_t count_at(const struct ctx *c, const char *dst)
{
        size_t n = 0;

        for (size_t i = 0; i < c->plan.n; i++)
                n += strcmp(c->plan.steps[i].dst, dst) == 0;
        return n;
}

static size_t must_find(struct ctx *c, enum step_kind kind, const char *dst)
{
        ssize_t i = find(c, kind, dst);

        if (i < 0)
                fail_msg("no %s step at %s", step_kind_name(kind), dst);
        return (size_t)i;
}

static void assert_step(struct ctx *c, size_t i, enum step_kind kind, const char *src, const char *dst,
                        unsigned flags)
{
        const struct step *s;

        if (i >= c->plan.n)
                fail_msg("step %zu missing (plan has %zu)", i, c->plan.n);
        s = &c->plan.steps[i];
        if (s->kind != kind || strcmp(s->dst, dst) != 0 || s->flags != flags ||
            (src ? !s->src || strcmp(s->src, src) != 0 : s->src != NULL))
                fail_msg("step %zu is \"%s\" (kind %s, flags %#x), want %s %s -> %s flags %#x", i,
                         describe(c, i), step_kind_name(s->kind), s->flags, step_kind_name(kind),
                         src ? src : "(none)", dst, flags);
}

static void assert_tmpfs(struct ctx *c, size_t i, const char *dst, mode_t mode, uint64_t size)
{
        assert_step(c, i, STEP_TMPFS, NULL, dst, 0);
        if (c->plan.steps[i].mode != mode)
                fail_msg("tmpfs %s has mode %04o, want %04o", dst, (unsigned)c->plan.steps[i].mode,
                         (unsigned)mode);
        assert_true(c->plan.steps[i].size == size);
}

static void assert_chdir(const struct ctx *c, const char *const *want, size_t n, bool strict)
{
        assert_int_equal(c->plan.n_chdir, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(c->plan.chdir[i], want[i]);
        assert_int_equal(c->plan.chdir_strict, strict);
}

static void add_bind(struct ctx *c, const char *arg, unsigned flags)
{
        assert_int_equal(spec_add_bind(&c->spec, arg, flags, &c->err), 0);
}

/* --- the whole default plan --------------------------------------------- */

static const char *const default_plan[] = {
        "bind-ro /usr -> /usr",
        "symlink /bin -> usr/bin",
        "symlink /sbin -> usr/sbin",
        "symlink /lib -> usr/lib",
        "symlink /lib64 -> usr/lib64",
        "bind-ro /etc -> /etc",
        "tmpfs /dev mode=0755",
        "bind-dev /dev/null -> /dev/null",
        "bind-dev /dev/zero -> /dev/zero",
        "bind-dev /dev/full -> /dev/full",
        "bind-dev /dev/random -> /dev/random",
        "bind-dev /dev/urandom -> /dev/urandom",
        "bind-dev /dev/tty -> /dev/tty",
        "devpts /dev/pts",
        "symlink /dev/ptmx -> pts/ptmx",
        "tmpfs /dev/shm mode=1777",
        "symlink /dev/fd -> /proc/self/fd",
        "symlink /dev/stdin -> /proc/self/fd/0",
        "symlink /dev/stdout -> /proc/self/fd/1",
        "symlink /dev/stderr -> /proc/self/fd/2",
        "proc /proc",
        "remount-ro /proc/sys (if present)",
        "remount-ro /proc/sysrq-trigger (if present)",
        "remount-ro /proc/irq (if present)",
        "remount-ro /proc/bus (if present)",
        "mask /proc/kcore with /dev/null (if present)",
        "mask /proc/keys with /dev/null (if present)",
        "mask /proc/timer_list with /dev/null (if present)",
        "tmpfs /tmp mode=1777",
        "tmpfs /run mode=0755",
        "tmpfs /var/tmp mode=1777",
        "tmpfs /home/u mode=0700",
        "bind /home/u/proj -> /home/u/proj",
        "seal-ro /dev",
        "seal-ro /",
};

static void test_default_plan_on_a_merged_usr_host_reads_as_expected(void **state)
{
        struct ctx *c = *state;

        build(c);
        for (size_t i = 0; i < c->plan.n && i < ARRAY_SIZE(default_plan); i++)
                assert_string_equal(describe(c, i), default_plan[i]);
        assert_int_equal(c->plan.n, ARRAY_SIZE(default_plan));
}

static void test_every_destination_is_absolute(void **state)
{
        struct ctx *c = *state;

        add_bind(c, "/srv:/data", 0);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch", &c->err), 0);
        assert_int_equal(spec_add_hide(&c->spec, "/etc/shadow", &c->err), 0);
        build(c);
        for (size_t i = 0; i < c->plan.n; i++)
                if (c->plan.steps[i].dst[0] != '/')
                        fail_msg("step %zu \"%s\" has a relative destination", i, describe(c, i));
}

/* --- the system part ---------------------------------------------------- */

static void test_first_step_binds_usr_read_only(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_step(c, 0, STEP_BIND, "/usr", "/usr", STEP_RO);
}

static void test_merged_usr_links_are_recreated_with_the_host_targets(void **state)
{
        struct ctx *c = *state;

        /* the target is copied as the host has it, relative or absolute */
        set_top(&c->host, 1, "/sbin", HOST_SYMLINK, "/usr/sbin");
        set_top(&c->host, 3, "/lib64", HOST_SYMLINK, "usr/lib/x86_64-linux-gnu/../..//lib64");
        build(c);
        assert_step(c, 1, STEP_SYMLINK, "usr/bin", "/bin", 0);
        assert_step(c, 2, STEP_SYMLINK, "/usr/sbin", "/sbin", 0);
        assert_step(c, 3, STEP_SYMLINK, "usr/lib", "/lib", 0);
        assert_step(c, 4, STEP_SYMLINK, "usr/lib/x86_64-linux-gnu/../..//lib64", "/lib64", 0);
}

static void test_merged_usr_top_dirs_are_not_bound(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_int_equal(find(c, STEP_BIND, "/bin"), -1);
        assert_int_equal(find(c, STEP_BIND, "/lib"), -1);
        assert_int_equal(count_at(c, "/bin"), 1);
}

static void test_absent_top_dirs_get_no_step(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_int_equal(count_at(c, "/lib32"), 0);
        assert_int_equal(count_at(c, "/libx32"), 0);
}

static void test_unmerged_host_binds_top_dirs_read_only_if_present(void **state)
{
        struct ctx *c = *state;

        make_unmerged(c);
        build(c);
        assert_step(c, 0, STEP_BIND, "/usr", "/usr", STEP_RO);
        assert_step(c, 1, STEP_BIND, "/bin", "/bin", STEP_RO | STEP_TRY);
        assert_step(c, 2, STEP_BIND, "/sbin", "/sbin", STEP_RO | STEP_TRY);
        assert_step(c, 3, STEP_BIND, "/lib", "/lib", STEP_RO | STEP_TRY);
        assert_step(c, 4, STEP_BIND, "/lib64", "/lib64", STEP_RO | STEP_TRY);
        assert_step(c, 5, STEP_BIND, "/etc", "/etc", STEP_RO);
        assert_int_equal(find(c, STEP_SYMLINK, "/bin"), -1);
        assert_string_equal(describe(c, 1), "bind-ro /bin -> /bin (if present)");
}

static void test_a_top_dir_that_is_a_file_gets_no_step(void **state)
{
        struct ctx *c = *state;

        set_top(&c->host, 4, "/lib32", HOST_FILE, NULL);
        build(c);
        assert_int_equal(count_at(c, "/lib32"), 0);
}

static void test_etc_is_bound_read_only_after_the_top_dirs(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_step(c, 5, STEP_BIND, "/etc", "/etc", STEP_RO);
}

static void test_opt_is_bound_read_only_when_the_host_has_it(void **state)
{
        struct ctx *c = *state;

        c->host.has_opt = true;
        build(c);
        assert_step(c, 6, STEP_BIND, "/opt", "/opt", STEP_RO | STEP_TRY);
}

static void test_opt_is_left_out_when_the_host_has_none(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_int_equal(count_at(c, "/opt"), 0);
}

/* --- /dev --------------------------------------------------------------- */

static void test_dev_is_a_tmpfs_before_anything_below_it(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t dev = must_find(c, STEP_TMPFS, "/dev");
        assert_tmpfs(c, dev, "/dev", 0755, 0);
        for (size_t i = 0; i < dev; i++)
                if (path_is_below(c->plan.steps[i].dst, "/dev"))
                        fail_msg("step %zu \"%s\" comes before the /dev tmpfs", i, describe(c, i));
}

static void test_device_binds_follow_the_dev_tmpfs_in_order(void **state)
{
        struct ctx *c = *state;
        static const char *const nodes[] = { "/dev/null", "/dev/zero", "/dev/full",
                                             "/dev/random", "/dev/urandom", "/dev/tty" };

        build(c);
        size_t dev = must_find(c, STEP_TMPFS, "/dev");
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
                assert_step(c, dev + 1 + i, STEP_BIND, nodes[i], nodes[i], STEP_DEV);
}

static void test_only_the_six_device_binds_keep_devices_usable(void **state)
{
        struct ctx *c = *state;
        size_t n_dev = 0;

        add_bind(c, "/dev/sda:/dev/sda", 0);
        build(c);
        for (size_t i = 0; i < c->plan.n; i++) {
                const struct step *s = &c->plan.steps[i];
                if (!(s->flags & STEP_DEV))
                        continue;
                n_dev++;
                assert_int_equal(s->kind, STEP_BIND);
                assert_true(path_is_below(s->dst, "/dev"));
        }
        assert_int_equal(n_dev, 6);
        /* a user's bind of a device does not get STEP_DEV */
        ssize_t sda = find(c, STEP_BIND, "/dev/sda");
        assert_true(sda >= 0);
        assert_int_equal(c->plan.steps[sda].flags & STEP_DEV, 0);
}

static void test_devpts_follows_the_devices_and_ptmx_points_into_it(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t pts = must_find(c, STEP_DEVPTS, "/dev/pts");
        assert_step(c, pts, STEP_DEVPTS, NULL, "/dev/pts", 0);
        assert_true(pts > (size_t)find(c, STEP_BIND, "/dev/tty"));
        assert_step(c, pts + 1, STEP_SYMLINK, "pts/ptmx", "/dev/ptmx", 0);
}

static void test_dev_shm_is_a_sticky_world_writable_tmpfs(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_tmpfs(c, must_find(c, STEP_TMPFS, "/dev/shm"), "/dev/shm", 01777, 0);
}

static void test_dev_fd_links_point_into_proc_self(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t fd = must_find(c, STEP_SYMLINK, "/dev/fd");
        assert_step(c, fd, STEP_SYMLINK, "/proc/self/fd", "/dev/fd", 0);
        assert_step(c, fd + 1, STEP_SYMLINK, "/proc/self/fd/0", "/dev/stdin", 0);
        assert_step(c, fd + 2, STEP_SYMLINK, "/proc/self/fd/1", "/dev/stdout", 0);
        assert_step(c, fd + 3, STEP_SYMLINK, "/proc/self/fd/2", "/dev/stderr", 0);
}

/* --- /proc -------------------------------------------------------------- */

static void test_proc_then_kernel_knobs_read_only_if_present(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t proc = must_find(c, STEP_PROC, "/proc");
        assert_step(c, proc, STEP_PROC, NULL, "/proc", 0);
        assert_step(c, proc + 1, STEP_REMOUNT_RO, NULL, "/proc/sys", STEP_TRY);
        assert_step(c, proc + 2, STEP_REMOUNT_RO, NULL, "/proc/sysrq-trigger", STEP_TRY);
        assert_step(c, proc + 3, STEP_REMOUNT_RO, NULL, "/proc/irq", STEP_TRY);
        assert_step(c, proc + 4, STEP_REMOUNT_RO, NULL, "/proc/bus", STEP_TRY);
}

static void test_leaky_proc_files_read_as_empty(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t kcore = must_find(c, STEP_MASK, "/proc/kcore");
        assert_true(kcore > (size_t)find(c, STEP_PROC, "/proc"));
        assert_step(c, kcore, STEP_MASK, NULL, "/proc/kcore", STEP_TRY | STEP_NULL);
        assert_step(c, kcore + 1, STEP_MASK, NULL, "/proc/keys", STEP_TRY | STEP_NULL);
        assert_step(c, kcore + 2, STEP_MASK, NULL, "/proc/timer_list", STEP_TRY | STEP_NULL);
}

/* --- private directories ------------------------------------------------ */

static void test_tmp_run_and_var_tmp_are_private_with_their_modes(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t tmp = must_find(c, STEP_TMPFS, "/tmp");
        assert_true(tmp > (size_t)find(c, STEP_MASK, "/proc/timer_list"));
        assert_tmpfs(c, tmp, "/tmp", 01777, 0);
        assert_tmpfs(c, tmp + 1, "/run", 0755, 0);
        assert_tmpfs(c, tmp + 2, "/var/tmp", 01777, 0);
}

static void test_home_is_a_private_tmpfs_at_the_host_home(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(STR_FMT(c->home, "/srv/people/alice"), 0);
        set_cwd(c, "/srv/people/alice/src");
        build(c);
        size_t home = must_find(c, STEP_TMPFS, "/srv/people/alice");
        assert_tmpfs(c, home, "/srv/people/alice", 0700, 0);
        assert_int_equal(home, (size_t)must_find(c, STEP_TMPFS, "/var/tmp") + 1);
        assert_int_equal(find(c, STEP_TMPFS, "/home/u"), -1);
}

/* --- the current directory ---------------------------------------------- */

static void test_cwd_is_bound_read_write_at_the_same_path_after_home(void **state)
{
        struct ctx *c = *state;

        build(c);
        size_t cwd = must_find(c, STEP_BIND, "/home/u/proj");
        /* exact: getcwd's real path, which the plan's checks judged */
        assert_step(c, cwd, STEP_BIND, "/home/u/proj", "/home/u/proj", STEP_EXACT);
        /* after the home tmpfs, or that tmpfs would cover it */
        assert_int_equal(cwd, (size_t)must_find(c, STEP_TMPFS, "/home/u") + 1);
}

static void test_cwd_outside_home_is_bound_too(void **state)
{
        struct ctx *c = *state;

        set_cwd(c, "/srv/build");
        build(c);
        assert_true(find(c, STEP_BIND, "/srv/build") >= 0);
}

static void test_no_cwd_option_leaves_the_cwd_unbound(void **state)
{
        struct ctx *c = *state;

        c->spec.no_cwd = true;
        build(c);
        assert_int_equal(count_at(c, "/home/u/proj"), 0);
}

static void test_cwd_in_a_system_path_or_root_is_not_bound(void **state)
{
        struct ctx *c = *state;
        static const char *const cwds[] = {
                "/", "/usr", "/usr/share", "/etc", "/etc/apt", "/opt/tool", "/proc/1", "/proc",
                "/sys/kernel", "/dev", "/dev/shm", "/bin", "/sbin", "/lib/modules", "/lib64",
                "/lib32", "/libx32",
        };

        for (size_t i = 0; i < ARRAY_SIZE(cwds); i++) {
                set_cwd(c, cwds[i]);
                build(c);
                for (size_t j = 0; j < c->plan.n; j++) {
                        const struct step *s = &c->plan.steps[j];
                        if (s->kind == STEP_BIND && s->flags == 0)
                                fail_msg("cwd %s: read-write bind \"%s\"", cwds[i], describe(c, j));
                }
                assert_int_equal(c->plan.n, ARRAY_SIZE(default_plan) - 1);
        }
}

static void test_cwd_beside_a_system_path_is_bound(void **state)
{
        struct ctx *c = *state;
        static const char *const cwds[] = { "/usrx", "/etcetera", "/developer", "/process", "/binaries" };

        for (size_t i = 0; i < ARRAY_SIZE(cwds); i++) {
                set_cwd(c, cwds[i]);
                build(c);
                if (find(c, STEP_BIND, cwds[i]) < 0)
                        fail_msg("cwd %s was not bound", cwds[i]);
        }
}

static void test_unreachable_cwd_is_not_bound(void **state)
{
        struct ctx *c = *state;

        set_cwd(c, NULL);
        build(c);
        assert_int_equal(c->plan.n, ARRAY_SIZE(default_plan) - 1);
        assert_int_equal(count_at(c, "/home/u/proj"), 0);
}

/* --- what the user asked for -------------------------------------------- */

static void test_user_binds_follow_the_cwd_bind_in_order_with_flags(void **state)
{
        struct ctx *c = *state;

        add_bind(c, "/srv/a:/a", 0);
        add_bind(c, "/srv/b:/b", SPEC_BIND_RO);
        add_bind(c, "/srv/c:/c", SPEC_BIND_TRY);
        add_bind(c, "/srv/d:/d", SPEC_BIND_RO | SPEC_BIND_TRY);
        build(c);
        /* mounts are stacked parents first: /a (depth 1) precedes the
           deeper cwd bind, and equal depths keep the order given */
        size_t cwd = must_find(c, STEP_BIND, "/a") - 1;
        assert_true(cwd + 1 < (size_t)find(c, STEP_BIND, "/home/u/proj"));
        assert_step(c, cwd + 1, STEP_BIND, "/srv/a", "/a", 0);
        assert_step(c, cwd + 2, STEP_BIND, "/srv/b", "/b", STEP_RO);
        assert_step(c, cwd + 3, STEP_BIND, "/srv/c", "/c", STEP_TRY);
        assert_step(c, cwd + 4, STEP_BIND, "/srv/d", "/d", STEP_RO | STEP_TRY);
        assert_string_equal(describe(c, cwd + 2), "bind-ro /srv/b -> /b");
        assert_string_equal(describe(c, cwd + 4), "bind-ro /srv/d -> /d (if present)");
}

static void test_user_binds_follow_the_home_tmpfs_without_a_cwd_bind(void **state)
{
        struct ctx *c = *state;

        c->spec.no_cwd = true;
        add_bind(c, "/srv/a:/home/u/a", 0);
        build(c);
        size_t home = must_find(c, STEP_TMPFS, "/home/u");
        assert_step(c, home + 1, STEP_BIND, "/srv/a", "/home/u/a", 0);
}

static void test_user_tmpfs_carries_its_size(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_tmpfs(&c->spec, "/scratch:size=64M", &c->err), 0);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/cache", &c->err), 0);
        build(c);
        size_t s = must_find(c, STEP_TMPFS, "/scratch");
        assert_tmpfs(c, s, "/scratch", 0755, UINT64_C(64) << 20);
        assert_tmpfs(c, s + 1, "/cache", 0755, 0);
        assert_string_equal(describe(c, s), "tmpfs /scratch mode=0755 size=67108864");
        assert_string_equal(describe(c, s + 1), "tmpfs /cache mode=0755");
}

static void test_a_parent_mount_is_stacked_before_its_children(void **state)
{
        struct ctx *c = *state;

        add_bind(c, "/srv/src:/work/src", 0);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/work", &c->err), 0);
        build(c);
        assert_true(must_find(c, STEP_TMPFS, "/work") < must_find(c, STEP_BIND, "/work/src"));
}

/* Started from the home directory, or from above it, the sandbox would
   see all of it (~/.ssh) read-write: not bound, and the plan says so. */
static void test_a_cwd_of_home_or_above_it_is_not_bound(void **state)
{
        struct ctx *c = *state;
        static const char *const cwds[] = { "/home/u", "/home", "/srv/real", "/srv" };
        static const char *const want[] = { "/home/u", "/home/u", "/" };

        c->host.home_real = "/srv/real/u";
        for (size_t i = 0; i < ARRAY_SIZE(cwds); i++) {
                set_cwd(c, cwds[i]);
                build(c);
                if (find(c, STEP_BIND, cwds[i]) >= 0)
                        fail_msg("cwd %s was bound", cwds[i]);
                assert_true(c->plan.cwd_is_home);
        }
        /* the home tmpfs is still there, and the command starts in it */
        set_cwd(c, "/home/u");
        build(c);
        must_find(c, STEP_TMPFS, "/home/u");
        assert_chdir(c, want, 3, false);
        /* below it, or beside it, the cwd is bound as ever */
        set_cwd(c, "/home/u/proj");
        build(c);
        must_find(c, STEP_BIND, "/home/u/proj");
        assert_false(c->plan.cwd_is_home);
        set_cwd(c, "/home/uu");
        build(c);
        must_find(c, STEP_BIND, "/home/uu");
        c->host.home_real = NULL;
}

static void test_hides_are_masks_without_dev_null(void **state)
{
        struct ctx *c = *state;

        assert_int_equal(spec_add_hide(&c->spec, "/home/u/proj/.env", &c->err), 0);
        assert_int_equal(spec_add_hide(&c->spec, "/etc/shadow", &c->err), 0);
        build(c);
        size_t h = must_find(c, STEP_MASK, "/home/u/proj/.env");
        assert_true(h > (size_t)find(c, STEP_BIND, "/home/u/proj"));
        assert_step(c, h, STEP_MASK, NULL, "/home/u/proj/.env", 0);
        assert_step(c, h + 1, STEP_MASK, NULL, "/etc/shadow", 0);
        assert_string_equal(describe(c, h), "mask /home/u/proj/.env");
}

static void test_a_hide_given_first_still_follows_the_binds_it_lies_in(void **state)
{
        struct ctx *c = *state;

        /* a bind applied after the mask would uncover what was hidden */
        assert_int_equal(spec_add_hide(&c->spec, "/x/secret", &c->err), 0);
        add_bind(c, "/srv/x:/x", 0);
        build(c);
        assert_true(must_find(c, STEP_MASK, "/x/secret") > must_find(c, STEP_BIND, "/x"));
}

/* --- sealing ------------------------------------------------------------ */

static void test_the_last_two_steps_seal_dev_then_root(void **state)
{
        struct ctx *c = *state;

        add_bind(c, "/srv/a:/a", SPEC_BIND_RO);
        assert_int_equal(spec_add_tmpfs(&c->spec, "/t", &c->err), 0);
        assert_int_equal(spec_add_hide(&c->spec, "/h", &c->err), 0);
        build(c);
        assert_true(c->plan.n >= 2);
        assert_step(c, c->plan.n - 2, STEP_SEAL_RO, NULL, "/dev", 0);
        assert_step(c, c->plan.n - 1, STEP_SEAL_RO, NULL, "/", 0);
        assert_string_equal(describe(c, c->plan.n - 1), "seal-ro /");
}

static void test_nothing_else_is_sealed(void **state)
{
        struct ctx *c = *state;
        size_t n = 0;

        build(c);
        for (size_t i = 0; i < c->plan.n; i++)
                n += c->plan.steps[i].kind == STEP_SEAL_RO;
        assert_int_equal(n, 2);
}

/* --- where the command starts ------------------------------------------- */

static void test_chdir_option_is_the_only_candidate_and_strict(void **state)
{
        struct ctx *c = *state;
        static const char *const want[] = { "/work" };

        c->spec.chdir = strdup("/work");
        assert_non_null(c->spec.chdir);
        build(c);
        assert_chdir(c, want, 1, true);
}

static void test_chdir_candidates_are_cwd_then_home_then_root(void **state)
{
        struct ctx *c = *state;
        static const char *const want[] = { "/home/u/proj", "/home/u", "/" };

        build(c);
        assert_chdir(c, want, 3, false);
}

static void test_chdir_candidates_keep_an_unbound_cwd(void **state)
{
        struct ctx *c = *state;
        static const char *const want[] = { "/usr/share", "/home/u", "/" };

        /* not bound, but it exists inside as part of /usr */
        set_cwd(c, "/usr/share");
        build(c);
        assert_chdir(c, want, 3, false);
}

static void test_chdir_candidates_without_a_cwd_are_home_then_root(void **state)
{
        struct ctx *c = *state;
        static const char *const want[] = { "/home/u", "/" };

        set_cwd(c, NULL);
        build(c);
        assert_chdir(c, want, 2, false);
}

/* --- describing steps --------------------------------------------------- */

static void test_step_describe_names_each_kind(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_string_equal(describe(c, must_find(c, STEP_BIND, "/dev/null")), "bind-dev /dev/null -> /dev/null");
        assert_string_equal(describe(c, must_find(c, STEP_DEVPTS, "/dev/pts")), "devpts /dev/pts");
        assert_string_equal(describe(c, must_find(c, STEP_PROC, "/proc")), "proc /proc");
        assert_string_equal(describe(c, must_find(c, STEP_TMPFS, "/home/u")), "tmpfs /home/u mode=0700");
        assert_string_equal(step_kind_name(STEP_REMOUNT_RO), "remount-ro");
        assert_string_equal(step_kind_name(STEP_SEAL_RO), "seal-ro");
        assert_string_equal(step_kind_name(STEP_MASK), "mask");
}

/* -v prints every step whole: a path near PATH_MAX on both sides is
   described to its end, never cut at a buffer's size. */
static void test_step_describe_never_cuts_a_long_path(void **state)
{
        struct ctx *c = *state;
        char src[4000], dst[4000], want[8100];

        memset(src, 'a', sizeof(src) - 1);
        src[0] = '/';
        src[sizeof(src) - 1] = '\0';
        memset(dst, 'b', sizeof(dst) - 1);
        dst[0] = '/';
        dst[sizeof(dst) - 1] = '\0';
        struct step s = { .kind = STEP_BIND, .src = src, .dst = dst, .flags = STEP_RO | STEP_TRY };
        assert_int_equal(STR_FMT(want, "bind-ro %s -> %s (if present)", src, dst), 0);
        free(c->line);
        c->line = step_describe(&s);
        assert_non_null(c->line);
        assert_string_equal(c->line, want);
}

/* --- building twice ----------------------------------------------------- */

static void test_building_twice_gives_the_same_plan(void **state)
{
        struct ctx *c = *state;
        struct plan first;

        add_bind(c, "/srv/a:/a", SPEC_BIND_RO);
        assert_int_equal(plan_build(&c->spec, &c->host, &first, &c->err), 0);
        build(c);
        assert_int_equal(first.n, c->plan.n);
        for (size_t i = 0; i < first.n; i++) {
                _cleanup_free_ char *a = step_describe(&first.steps[i]);
                assert_non_null(a);
                assert_string_equal(a, describe(c, i));
                assert_int_equal(first.steps[i].flags, c->plan.steps[i].flags);
        }
        plan_free(&first);
        assert_int_equal(first.n, 0);
        assert_null(first.steps);
}

/* A protected path below a read-write bind: read-only, and each directory
   between the bind and it pinned, shallowest first, before it. */
static void test_protected_paths_are_read_only_with_their_parents_pinned(void **state)
{
        struct ctx *c = *state;
        char *config = "/home/u/.config/nook";

        c->host.nook_config = config;
        c->spec.home = SPEC_HOME_HOST;
        build(c);
        ssize_t pin = find(c, STEP_PIN, "/home/u/.config");
        ssize_t ro = find(c, STEP_REMOUNT_RO, "/home/u/.config/nook");
        assert_true(pin >= 0);
        assert_true(ro > pin);
        assert_true(c->plan.steps[pin].flags & STEP_TRY);
        assert_int_equal(find(c, STEP_PIN, "/home/u"), -1);    /* the bind's root is a mount already */
        /* nothing protected below a read-write bind: nothing pinned */
        c->spec.home = SPEC_HOME_TMPFS;
        set_cwd(c, "/srv/work");
        build(c);
        for (size_t i = 0; i < c->plan.n; i++)
                assert_int_not_equal(c->plan.steps[i].kind, STEP_PIN);
        c->host.nook_config = NULL;
}

/* A bind of / protects under its own destination; a bind of something
   inside a protected path is read-only as a whole. */
static void test_protection_under_a_bind_of_root_and_of_an_inside_path(void **state)
{
        struct ctx *c = *state;
        char *config = "/home/u/.config/nook";
        struct nook_err e = { 0 };

        c->host.nook_config = config;
        assert_int_equal(spec_add_bind(&c->spec, "/:/host", 0, &e), 0);
        assert_int_equal(spec_add_bind(&c->spec, "/home/u/.config/nook/profiles:/p", 0, &e), 0);
        build(c);
        assert_true(find(c, STEP_REMOUNT_RO, "/host/home/u/.config/nook") >= 0);
        assert_true(find(c, STEP_PIN, "/host/home/u/.config") >= 0);
        assert_true(find(c, STEP_PIN, "/host/home") >= 0);
        assert_true(find(c, STEP_REMOUNT_RO, "/p") >= 0);
        c->host.nook_config = NULL;
}

/* The run directories (other sandboxes' sockets and states) are covered
   wherever any bind shows them, read-only or not; a bind of something
   inside them is covered as a whole, but for what nook made there for this
   sandbox itself. */
static void test_run_directories_are_hidden_under_any_bind_but_the_sandboxs_own(void **state)
{
        struct ctx *c = *state;

        c->host.nook_run[0] = "/run/user/1000/nook";
        c->host.nook_run[1] = "/tmp/nook-1000";
        c->host.n_nook_run = 2;
        set_cwd(c, "/tmp");
        add_bind(c, "/run/user/1000:/rt:ro", 0);
        add_bind(c, "/run/user/1000/nook/7/slirp.sock:/peek", SPEC_BIND_RO);
        assert_int_equal(spec_push_bind(&c->spec, "/run/user/1000/nook/42/bus", "/run/user/1000/bus",
                                        SPEC_BIND_RO | SPEC_BIND_NOOKS, &c->err), 0);
        build(c);
        size_t rt = must_find(c, STEP_MASK, "/rt/nook");
        assert_step(c, rt, STEP_MASK, NULL, "/rt/nook", STEP_TRY);
        assert_true(rt > (size_t)must_find(c, STEP_BIND, "/rt"));
        assert_step(c, must_find(c, STEP_MASK, "/tmp/nook-1000"), STEP_MASK, NULL, "/tmp/nook-1000", STEP_TRY);
        assert_step(c, must_find(c, STEP_MASK, "/peek"), STEP_MASK, NULL, "/peek", STEP_TRY);
        /* its own D-Bus proxy socket is bound, not covered */
        assert_step(c, must_find(c, STEP_BIND, "/run/user/1000/bus"), STEP_BIND, "/run/user/1000/nook/42/bus",
                    "/run/user/1000/bus", STEP_RO | STEP_OWN);
        assert_int_equal(find(c, STEP_MASK, "/run/user/1000/bus"), -1);
        /* a read-only view has no parent to pin; only /proc's knobs are
           made read-only */
        for (size_t i = 0; i < c->plan.n; i++) {
                assert_int_not_equal(c->plan.steps[i].kind, STEP_PIN);
                if (c->plan.steps[i].kind == STEP_REMOUNT_RO)
                        assert_true(path_is_below(c->plan.steps[i].dst, "/proc"));
        }
        c->host.n_nook_run = 0;
}

/* Below a read-write bind, the parents between it and a run directory are
   pinned, so that none can be moved aside. */
static void test_run_directories_below_a_read_write_bind_have_their_parents_pinned(void **state)
{
        struct ctx *c = *state;

        c->host.nook_run[0] = "/run/user/1000/nook";
        c->host.n_nook_run = 1;
        add_bind(c, "/run:/r", 0);
        build(c);
        ssize_t user = find(c, STEP_PIN, "/r/user"), uid = find(c, STEP_PIN, "/r/user/1000");
        ssize_t mask = find(c, STEP_MASK, "/r/user/1000/nook");
        assert_true(user >= 0 && uid > user && mask > uid);
        c->host.n_nook_run = 0;
}

/* --- pid 1's namespaces and the image root ------------------------------ */

static void make_image(struct ctx *c)
{
        assert_int_equal(strv_push(&c->spec.layers, &c->spec.n_layers, "/store/layers/base"), 0);
}

static void test_a_host_sandbox_keeps_the_hosts_name_unless_one_is_set(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_null(c->plan.hostname);
}

static void test_a_hostname_is_set_only_when_asked_for(void **state)
{
        struct ctx *c = *state;

        c->spec.hostname = strdup("box");
        build(c);
        assert_string_equal(c->plan.hostname, "box");
}

static void test_an_image_sandbox_is_named_nook_as_its_etc_hostname_says(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        build(c);
        assert_string_equal(c->plan.hostname, "nook");
        assert_string_equal(c->plan.steps[must_find(c, STEP_FILE, "/etc/hostname")].src, "nook\n");
}

static void test_an_image_sandbox_takes_the_hostname_it_is_given(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        c->spec.hostname = strdup("web");
        build(c);
        assert_string_equal(c->plan.hostname, "web");
}

static void test_a_network_namespace_of_its_own_gets_loopback_up(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_true(c->plan.loopback);
        c->spec.slirp = true;
        build(c);
        assert_true(c->plan.loopback);
}

static void test_a_host_sandbox_with_mode_host_gets_no_loopback_step(void **state)
{
        struct ctx *c = *state;

        c->spec.share_net = true;
        build(c);
        assert_false(c->plan.loopback);
}

static void test_egress_rules_are_loaded_only_when_there_are_some(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_null(c->plan.egress);
        c->spec.egress = strdup("table inet nook { }\n");
        build(c);
        assert_string_equal(c->plan.egress, "table inet nook { }\n");
}

static void test_a_host_sandbox_has_no_overlay(void **state)
{
        struct ctx *c = *state;

        build(c);
        assert_false(c->plan.overlay_kernel);
        assert_false(c->plan.overlay_fuse);
}

static void test_overlay_auto_tries_the_kernel_and_falls_back_to_fuse(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        c->spec.overlay = 0;
        build(c);
        assert_true(c->plan.overlay_kernel);
        assert_true(c->plan.overlay_fuse);
}

static void test_overlay_kernel_never_falls_back_to_fuse(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        c->spec.overlay = 1;
        build(c);
        assert_true(c->plan.overlay_kernel);
        assert_false(c->plan.overlay_fuse);
}

static void test_overlay_fuse_does_not_try_the_kernel(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        c->spec.overlay = 2;
        build(c);
        assert_false(c->plan.overlay_kernel);
        assert_true(c->plan.overlay_fuse);
}

/* nook-squashfs shows every file as root's with one id: kernel overlayfs can
   copy them up, so it is tried first as with a range */
static void test_a_squashfs_image_with_one_id_tries_the_kernel_first(void **state)
{
        struct ctx *c = *state;

        make_image(c);
        c->spec.squashfs = true;
        c->spec.single_id = true;
        c->spec.overlay = 0;
        build(c);
        assert_true(c->plan.overlay_kernel);
        assert_true(c->plan.overlay_fuse);
}
int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_default_plan_on_a_merged_usr_host_reads_as_expected),
                T(test_a_host_sandbox_keeps_the_hosts_name_unless_one_is_set),
                T(test_a_hostname_is_set_only_when_asked_for),
                T(test_an_image_sandbox_is_named_nook_as_its_etc_hostname_says),
                T(test_an_image_sandbox_takes_the_hostname_it_is_given),
                T(test_a_network_namespace_of_its_own_gets_loopback_up),
                T(test_a_host_sandbox_with_mode_host_gets_no_loopback_step),
                T(test_egress_rules_are_loaded_only_when_there_are_some),
                T(test_a_host_sandbox_has_no_overlay),
                T(test_overlay_auto_tries_the_kernel_and_falls_back_to_fuse),
                T(test_overlay_kernel_never_falls_back_to_fuse),
                T(test_overlay_fuse_does_not_try_the_kernel),
                T(test_a_squashfs_image_with_one_id_tries_the_kernel_first),
                T(test_every_destination_is_absolute),
                T(test_first_step_binds_usr_read_only),
                T(test_merged_usr_links_are_recreated_with_the_host_targets),
                T(test_merged_usr_top_dirs_are_not_bound),
                T(test_absent_top_dirs_get_no_step),
                T(test_unmerged_host_binds_top_dirs_read_only_if_present),
                T(test_a_top_dir_that_is_a_file_gets_no_step),
                T(test_etc_is_bound_read_only_after_the_top_dirs),
                T(test_opt_is_bound_read_only_when_the_host_has_it),
                T(test_opt_is_left_out_when_the_host_has_none),
                T(test_dev_is_a_tmpfs_before_anything_below_it),
                T(test_device_binds_follow_the_dev_tmpfs_in_order),
                T(test_only_the_six_device_binds_keep_devices_usable),
                T(test_devpts_follows_the_devices_and_ptmx_points_into_it),
                T(test_dev_shm_is_a_sticky_world_writable_tmpfs),
                T(test_dev_fd_links_point_into_proc_self),
                T(test_proc_then_kernel_knobs_read_only_if_present),
                T(test_leaky_proc_files_read_as_empty),
                T(test_tmp_run_and_var_tmp_are_private_with_their_modes),
                T(test_home_is_a_private_tmpfs_at_the_host_home),
                T(test_cwd_is_bound_read_write_at_the_same_path_after_home),
                T(test_cwd_outside_home_is_bound_too),
                T(test_no_cwd_option_leaves_the_cwd_unbound),
                T(test_cwd_in_a_system_path_or_root_is_not_bound),
                T(test_cwd_beside_a_system_path_is_bound),
                T(test_unreachable_cwd_is_not_bound),
                T(test_user_binds_follow_the_cwd_bind_in_order_with_flags),
                T(test_user_binds_follow_the_home_tmpfs_without_a_cwd_bind),
                T(test_user_tmpfs_carries_its_size),
                T(test_a_parent_mount_is_stacked_before_its_children),
                T(test_a_cwd_of_home_or_above_it_is_not_bound),
                T(test_hides_are_masks_without_dev_null),
                T(test_a_hide_given_first_still_follows_the_binds_it_lies_in),
                T(test_the_last_two_steps_seal_dev_then_root),
                T(test_nothing_else_is_sealed),
                T(test_chdir_option_is_the_only_candidate_and_strict),
                T(test_chdir_candidates_are_cwd_then_home_then_root),
                T(test_chdir_candidates_keep_an_unbound_cwd),
                T(test_chdir_candidates_without_a_cwd_are_home_then_root),
                T(test_step_describe_names_each_kind),
                T(test_step_describe_never_cuts_a_long_path),
                T(test_building_twice_gives_the_same_plan),
                T(test_protected_paths_are_read_only_with_their_parents_pinned),
                T(test_protection_under_a_bind_of_root_and_of_an_inside_path),
                T(test_run_directories_are_hidden_under_any_bind_but_the_sandboxs_own),
                T(test_run_directories_below_a_read_write_bind_have_their_parents_pinned),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
