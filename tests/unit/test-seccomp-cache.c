/* The cache of compiled seccomp filters (sandbox/seccomp-cache.c): a file
   is loaded only when it is the user's, 0600, whole and unchanged, and
   what it gives is the program a fresh compile gives. Anything else is a
   miss: compiled afresh and replaced. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/seccomp-cache.h"

struct fixture {
        char dir[64];
        int fd;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/nook-test-scache.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->fd = seccomp_cache_open(f->dir, geteuid());
        assert_true(f->fd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        DIR *d = opendir(f->dir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        unlinkat(f->fd, de->d_name, 0);
        if (d)
                closedir(d);
        close(f->fd);
        rmdir(f->dir);
        free(f);
        return 0;
}

/* The one cache file in the directory. */
static void cache_file(const struct fixture *f, char *name, size_t size)
{
        DIR *d = opendir(f->dir);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "seccomp-", 8) == 0) {
                        assert_true(strlen(de->d_name) < size);
                        memcpy(name, de->d_name, strlen(de->d_name) + 1);
                        n++;
                }
        closedir(d);
        assert_int_equal(n, 1);
}

static void assert_same(const struct seccomp_prog *a, const struct seccomp_prog *b)
{
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->insns, b->insns, a->len * sizeof(*a->insns));
}

/* Builds through the cache as uid and compares with a fresh compile;
   returns whether it was a hit. */
static bool build_and_compare(const struct fixture *f, uid_t uid, const struct seccomp_opts *o)
{
        struct seccomp_prog fresh = { 0 }, got = { 0 };
        struct nook_err e = { 0 };
        bool hit = true;

        assert_int_equal(seccomp_build(o, &fresh, &e), 0);
        assert_int_equal(seccomp_cache_build_at(f->fd, uid, o, &got, &hit, &e), 0);
        assert_same(&fresh, &got);
        seccomp_prog_free(&fresh);
        seccomp_prog_free(&got);
        return hit;
}

static void test_a_miss_writes_a_0600_file_and_a_hit_loads_the_same_program(void **state)
{
        struct fixture *f = *state;
        struct stat st;
        char name[128];

        assert_false(build_and_compare(f, geteuid(), NULL));
        cache_file(f, name, sizeof(name));
        assert_int_equal(fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_uid, geteuid());
        assert_true(build_and_compare(f, geteuid(), NULL));
}

static void test_other_rules_get_a_file_of_their_own(void **state)
{
        struct fixture *f = *state;
        static const char *const deny[] = { "getpid", NULL };
        struct seccomp_opts o = { .deny = deny, .mdwe = true };

        assert_false(build_and_compare(f, geteuid(), NULL));
        assert_false(build_and_compare(f, geteuid(), &o));
        assert_true(build_and_compare(f, geteuid(), &o));
        assert_true(build_and_compare(f, geteuid(), NULL));
}

/* An mtime no fresh file has: a file still carrying it was not replaced
   (an inode number may be reused at once). */
static void mark_old(int dirfd, const char *name)
{
        const struct timespec old[2] = { { 1, 0 }, { 1, 0 } };

        assert_int_equal(utimensat(dirfd, name, old, AT_SYMLINK_NOFOLLOW), 0);
}

/* Damages the one cache file with how(), then: the next build is a miss
   that gives the fresh program and replaces the file, and the one after
   is a hit again. */
static void assert_damage_ignored(struct fixture *f, void (*how)(int dirfd, const char *name))
{
        char name[128];
        struct stat before, after;

        assert_false(build_and_compare(f, geteuid(), NULL));
        cache_file(f, name, sizeof(name));
        how(f->fd, name);
        mark_old(f->fd, name);
        assert_int_equal(fstatat(f->fd, name, &before, AT_SYMLINK_NOFOLLOW), 0);
        assert_false(build_and_compare(f, geteuid(), NULL));
        assert_int_equal(fstatat(f->fd, name, &after, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(after.st_mode));
        assert_int_not_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);      /* replaced */
        assert_int_equal(after.st_mode & 07777, 0600);
        assert_true(build_and_compare(f, geteuid(), NULL));
}

static void flip_last_byte(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDWR);
        struct stat st;
        unsigned char c;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(pread(fd, &c, 1, st.st_size - 1), 1);
        c ^= 0x01;
        assert_int_equal(pwrite(fd, &c, 1, st.st_size - 1), 1);
        close(fd);
}

static void cut_one_insn(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDWR);
        struct stat st;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(ftruncate(fd, st.st_size - 8), 0);
        close(fd);
}

static void cut_to_three_bytes(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDWR);

        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 3), 0);
        close(fd);
}

static void group_writable(int dirfd, const char *name)
{
        assert_int_equal(fchmodat(dirfd, name, 0620, 0), 0);
}

static void world_readable(int dirfd, const char *name)
{
        assert_int_equal(fchmodat(dirfd, name, 0644, 0), 0);
}

/* a link to a good file elsewhere is not followed */
static void symlink_elsewhere(int dirfd, const char *name)
{
        char other[160];

        snprintf(other, sizeof(other), "%s.elsewhere", name);
        assert_int_equal(renameat(dirfd, name, dirfd, other), 0);
        assert_int_equal(symlinkat(other, dirfd, name), 0);
}

static void test_a_file_with_a_flipped_byte_is_ignored_and_replaced(void **state)
{
        assert_damage_ignored(*state, flip_last_byte);
}

static void test_a_file_short_of_one_instruction_is_ignored_and_replaced(void **state)
{
        assert_damage_ignored(*state, cut_one_insn);
}

static void test_a_truncated_file_is_ignored_and_replaced(void **state)
{
        assert_damage_ignored(*state, cut_to_three_bytes);
}

static void test_a_group_writable_file_is_ignored_and_replaced(void **state)
{
        assert_damage_ignored(*state, group_writable);
}

static void test_a_file_of_another_mode_than_0600_is_ignored_and_replaced(void **state)
{
        assert_damage_ignored(*state, world_readable);
}

static void test_a_symbolic_link_is_not_followed_and_replaced(void **state)
{
        assert_damage_ignored(*state, symlink_elsewhere);
}

/* The file is the caller's; asked as another uid, it is foreign. */
static void test_a_file_of_another_owner_is_never_loaded(void **state)
{
        struct fixture *f = *state;
        char name[128];
        struct stat before, after;

        assert_false(build_and_compare(f, geteuid(), NULL));
        cache_file(f, name, sizeof(name));
        mark_old(f->fd, name);
        assert_int_equal(fstatat(f->fd, name, &before, 0), 0);
        assert_false(build_and_compare(f, geteuid() + 1, NULL));
        assert_false(build_and_compare(f, geteuid() + 1, NULL));
        assert_int_equal(fstatat(f->fd, name, &after, 0), 0);
        assert_int_not_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);      /* replaced */
}

static void test_a_directory_others_may_write_is_not_used(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(chmod(f->dir, 0770), 0);
        assert_int_equal(seccomp_cache_open(f->dir, geteuid()), -1);
        assert_int_equal(chmod(f->dir, 0707), 0);
        assert_int_equal(seccomp_cache_open(f->dir, geteuid()), -1);
        assert_int_equal(chmod(f->dir, 0700), 0);
        int fd = seccomp_cache_open(f->dir, geteuid());
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(seccomp_cache_open(f->dir, geteuid() + 1), -1);
}

static void test_a_directory_reached_by_a_symbolic_link_is_not_used(void **state)
{
        struct fixture *f = *state;
        char link[96];

        snprintf(link, sizeof(link), "%s.link", f->dir);
        assert_int_equal(symlink(f->dir, link), 0);
        assert_int_equal(seccomp_cache_open(link, geteuid()), -1);
        unlink(link);
}

static void test_no_directory_compiles_without_a_cache(void **state)
{
        struct seccomp_prog fresh = { 0 }, got = { 0 };
        struct nook_err e = { 0 };
        bool hit = true;

        (void)state;
        assert_int_equal(seccomp_build(NULL, &fresh, &e), 0);
        assert_int_equal(seccomp_cache_build_at(-1, geteuid(), NULL, &got, &hit, &e), 0);
        assert_false(hit);
        assert_same(&fresh, &got);
        seccomp_prog_free(&fresh);
        seccomp_prog_free(&got);
}

static void test_an_unknown_name_is_still_an_error(void **state)
{
        struct fixture *f = *state;
        static const char *const deny[] = { "no_such_call", NULL };
        struct seccomp_opts o = { .deny = deny };
        struct seccomp_prog got = { 0 };
        struct nook_err e = { 0 };
        bool hit;

        assert_true(seccomp_cache_build_at(f->fd, geteuid(), &o, &got, &hit, &e) < 0);
        assert_true(seccomp_cache_build_at(f->fd, geteuid(), &o, &got, &hit, &e) < 0);
        assert_null(got.insns);
}

/* 70 files of other binaries or rule sets, the file i written at time
   1000 + i, and one file of the user's own beside them. */
static void fill_with_old_files(const struct fixture *f)
{
        char name[64];

        for (int i = 0; i < 70; i++) {
                snprintf(name, sizeof(name), "seccomp-%016x.bpf", i);
                int fd = openat(f->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                close(fd);
                const struct timespec t[2] = { { 1000 + i, 0 }, { 1000 + i, 0 } };
                assert_int_equal(utimensat(f->fd, name, t, 0), 0);
        }
        int fd = openat(f->fd, "notes.txt", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
}

static bool exists(const struct fixture *f, int i)
{
        char name[64];

        snprintf(name, sizeof(name), "seccomp-%016x.bpf", i);
        return faccessat(f->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int count_cache_files(const struct fixture *f)
{
        DIR *d = opendir(f->dir);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += strncmp(de->d_name, "seccomp-", 8) == 0;
        closedir(d);
        return n;
}

static void test_a_miss_keeps_the_cache_to_its_newest_files(void **state)
{
        struct fixture *f = *state;

        fill_with_old_files(f);
        assert_false(build_and_compare(f, geteuid(), NULL));
        assert_int_equal(count_cache_files(f), SECCOMP_CACHE_KEEP);
        /* 70 old and the new one: the 7 written longest ago are gone */
        for (int i = 0; i < 7; i++)
                assert_false(exists(f, i));
        for (int i = 7; i < 70; i++)
                assert_true(exists(f, i));
        assert_int_equal(faccessat(f->fd, "notes.txt", F_OK, 0), 0);
        /* what was just written stays, and is a hit */
        assert_true(build_and_compare(f, geteuid(), NULL));
}

static void test_a_hit_removes_nothing(void **state)
{
        struct fixture *f = *state;

        assert_false(build_and_compare(f, geteuid(), NULL));
        fill_with_old_files(f);
        assert_true(build_and_compare(f, geteuid(), NULL));
        assert_int_equal(count_cache_files(f), 71);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_a_miss_writes_a_0600_file_and_a_hit_loads_the_same_program),
                T(test_other_rules_get_a_file_of_their_own),
                T(test_a_file_with_a_flipped_byte_is_ignored_and_replaced),
                T(test_a_file_short_of_one_instruction_is_ignored_and_replaced),
                T(test_a_truncated_file_is_ignored_and_replaced),
                T(test_a_group_writable_file_is_ignored_and_replaced),
                T(test_a_file_of_another_mode_than_0600_is_ignored_and_replaced),
                T(test_a_symbolic_link_is_not_followed_and_replaced),
                T(test_a_file_of_another_owner_is_never_loaded),
                T(test_a_directory_others_may_write_is_not_used),
                T(test_a_directory_reached_by_a_symbolic_link_is_not_used),
                T(test_no_directory_compiles_without_a_cache),
                T(test_an_unknown_name_is_still_an_error),
                T(test_a_miss_keeps_the_cache_to_its_newest_files),
                T(test_a_hit_removes_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
