/* probe: asks the sandbox one question and prints the answer on one line.

   The integration tests run it inside `nook run` (it is linked statically so
   that it needs nothing from the sandbox's /usr). Each subcommand prints a
   machine-friendly line on stdout and exits 0 when the question could be
   asked, whatever the answer; 2 on a usage error; 1 when the question itself
   could not be asked (e.g. /proc is missing), with a message on stderr.

   Syscalls are made raw, with arguments that are valid, or as close to valid
   as is harmless, so that the error seen is the seccomp filter's or the
   kernel's privilege check and not an argument check. Where a call would
   succeed for an unprivileged user without a filter, that form is used, so
   that a missing filter shows up as `ok`. Nothing here may do harm even when
   run as root on a host: reboot only toggles Ctrl-Alt-Del handling, the
   module, kexec, swap and accounting calls name things that do not exist. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Some constants are missing from older uapi headers; the values are ABI. */
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCL_GETFGCONSOLE
#define TIOCL_GETFGCONSOLE 12
#endif
#ifndef Q_GETINFO
#define Q_GETINFO 0x800005
#endif
#ifndef USRQUOTA
#define USRQUOTA 0
#endif
#ifndef QCMD
#define QCMD(cmd, type) (((cmd) << 8) | ((type) & 0x00ff))
#endif
#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x00000004
#endif

enum { EXIT_ASKED = 0, EXIT_CANNOT = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3 };

/* ---- naming errnos and signals ---------------------------------------- */

struct name_num { const char *name; int num; };

#define E(x) { #x, x }
static const struct name_num errnos[] = {
        E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
        E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
        E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
        E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
        E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
        E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
        E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENODATA),
        E(ENOSTR), E(ETIME), E(ENOLINK), E(EPROTO), E(EOVERFLOW), E(EBADFD),
        E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
        E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(EAFNOSUPPORT),
        E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
        E(ECONNREFUSED), E(ECONNRESET), E(ENOTCONN), E(ETIMEDOUT),
        E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT),
        E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED),
        E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
        E(ERFKILL), E(EHWPOISON),
};

#define S(x) { #x, x }
static const struct name_num signals[] = {
        S(SIGHUP), S(SIGINT), S(SIGQUIT), S(SIGILL), S(SIGTRAP), S(SIGABRT),
        S(SIGBUS), S(SIGFPE), S(SIGKILL), S(SIGUSR1), S(SIGSEGV), S(SIGUSR2),
        S(SIGPIPE), S(SIGALRM), S(SIGTERM), S(SIGSTKFLT), S(SIGCHLD),
        S(SIGCONT), S(SIGSTOP), S(SIGTSTP), S(SIGTTIN), S(SIGTTOU), S(SIGURG),
        S(SIGXCPU), S(SIGXFSZ), S(SIGVTALRM), S(SIGPROF), S(SIGWINCH),
        S(SIGIO), S(SIGPWR), S(SIGSYS),
};

/* The signals `waitsig` listens for: those nook's init forwards, and a few
   more so that a wrong one is reported by name instead of killing us. */
static const int waited_signals[] = {
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
        SIGALRM, SIGPIPE, SIGCONT,
};

static const char *errno_name(int e)
{
        static char buf[32];

        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (errnos[i].num == e)
                        return errnos[i].name;
        snprintf(buf, sizeof buf, "errno=%d", e);
        return buf;
}

static const char *signal_name(int sig)
{
        static char buf[32];

        for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
                if (signals[i].num == sig)
                        return signals[i].name;
        snprintf(buf, sizeof buf, "SIG%d", sig);
        return buf;
}

/* "9", "KILL" or "SIGKILL"; -1 when it is none of them. */
static int parse_signal(const char *s)
{
        char *end;
        long n = strtol(s, &end, 10);

        if (*s && !*end)
                return n > 0 && n < 65 ? (int)n : -1;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
                if (!strcmp(s, signals[i].name) || !strcmp(s, signals[i].name + 3))
                        return signals[i].num;
        return -1;
}

/* Prints "ok" for r >= 0, else the name of errno (taken at once). */
static int report(long r)
{
        if (r < 0)
                puts(errno_name(errno));
        else
                puts("ok");
        return EXIT_ASKED;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
        va_list ap;

        fputs("probe: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\n", stderr);
        return EXIT_USAGE;
}

static int cannot(const char *what)
{
        fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
        return EXIT_CANNOT;
}

/* ---- id, caps, fds ------------------------------------------------------ */

static int cmd_id(void)
{
        gid_t groups[NGROUPS_MAX];
        int n = getgroups(NGROUPS_MAX, groups);

        if (n < 0)
                return cannot("getgroups");
        printf("uid=%u gid=%u euid=%u egid=%u groups=", (unsigned)getuid(),
               (unsigned)getgid(), (unsigned)geteuid(), (unsigned)getegid());
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", (unsigned)groups[i]);
        putchar('\n');
        return EXIT_ASKED;
}

static int cmd_caps(void)
{
        static const char *const keys[] = {
                "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
        };
        char values[ARRAY_SIZE(keys)][64] = { { 0 } };
        char line[512];
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return cannot("/proc/self/status");
        while (fgets(line, sizeof line, f)) {
                char *colon = strchr(line, ':');

                if (!colon)
                        continue;
                *colon = '\0';
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                        if (!strcmp(line, keys[i]))
                                sscanf(colon + 1, " %63s", values[i]);
        }
        fclose(f);
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                printf("%s=%s ", keys[i], values[i][0] ? values[i] : "<none>");
        printf("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        return EXIT_ASKED;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

static int cmd_fds(void)
{
        int fds[4096];
        size_t n = 0;
        struct dirent *de;
        DIR *d = opendir("/proc/self/fd");

        if (!d)
                return cannot("/proc/self/fd");
        while ((de = readdir(d)) && n < ARRAY_SIZE(fds)) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = atoi(de->d_name);
                if (fd != dirfd(d))
                        fds[n++] = fd;
        }
        closedir(d);
        qsort(fds, n, sizeof fds[0], cmp_int);
        for (size_t i = 0; i < n; i++)
                printf("%s%d", i ? " " : "", fds[i]);
        putchar('\n');
        return EXIT_ASKED;
}

/* ---- syscalls ----------------------------------------------------------- */

static const struct name_num ns_flags[] = {
        { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "ns", CLONE_NEWNS },
        { "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID }, { "ipc", CLONE_NEWIPC },
        { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
        S(CLONE_NEWUSER), S(CLONE_NEWNS), S(CLONE_NEWNET), S(CLONE_NEWPID),
        S(CLONE_NEWIPC), S(CLONE_NEWUTS), S(CLONE_NEWCGROUP), S(CLONE_NEWTIME),
};

static int parse_ns_flag(const char *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++)
                if (!strcmp(s, ns_flags[i].name))
                        return ns_flags[i].num;
        return -1;
}

/* A fork-like raw clone: no new stack, the child leaves at once. The status
   of the child is not the question; whether the kernel let it exist is. */
static long raw_clone(unsigned long flags)
{
        long pid = syscall(SYS_clone, flags | SIGCHLD, 0UL, NULL, NULL, 0UL);

        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        return pid;
}

static long do_clone3(void)
{
        struct clone_args args;
        long pid;

        memset(&args, 0, sizeof args);
        args.exit_signal = SIGCHLD;
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        return pid;
}

static long do_setns(void)
{
        /* Joining a namespace we are already in: a filter says EPERM, the
           kernel without one says EPERM (no CAP_SYS_ADMIN) or EINVAL. */
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        long r;

        if (fd < 0)
                return -1;
        r = syscall(SYS_setns, fd, CLONE_NEWNET);
        int saved = errno;
        close(fd);
        errno = saved;
        return r;
}

static long do_bpf(void)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof attr);
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

static long do_perf_event_open(void)
{
        /* Counting our own task clock is allowed to users up to
           perf_event_paranoid 2, so without a filter this is usually ok. */
        struct perf_event_attr attr;

        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_TASK_CLOCK;
        attr.disabled = 1;
        attr.exclude_kernel = 1;
        attr.exclude_hv = 1;
        return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
}

static long do_open_by_handle_at(void)
{
        struct { struct file_handle fh; unsigned char bytes[MAX_HANDLE_SZ]; } h;

        memset(&h, 0, sizeof h);
        h.fh.handle_bytes = 8;
        return syscall(SYS_open_by_handle_at, AT_FDCWD, &h.fh, O_RDONLY);
}

static long do_mount_setattr(void)
{
        /* An empty change is a no-op the kernel allows anyone. */
        uint64_t attr[4] = { 0, 0, 0, 0 };   /* struct mount_attr */

        return syscall(SYS_mount_setattr, AT_FDCWD, "/", 0U, attr, sizeof attr);
}

static long do_io_uring_setup(void)
{
        struct io_uring_params p;

        memset(&p, 0, sizeof p);
        return syscall(SYS_io_uring_setup, 1U, &p);
}

static long do_quotactl(void)
{
        /* Q_GETINFO needs no privilege; /dev/null is not a block device, so
           the kernel alone answers ENOTBLK. */
        char buf[64];

        return syscall(SYS_quotactl, QCMD(Q_GETINFO, USRQUOTA), "/dev/null", 0, buf);
}

static long do_mknod_char(void)
{
        return syscall(SYS_mknodat, AT_FDCWD, "/tmp/x", S_IFCHR | 0600, makedev(1, 3));
}

static long do_setgroups(void)
{
        /* Setting the groups we already have: only the permission is asked. */
        gid_t g = getgid();

        return syscall(SYS_setgroups, 1, &g);
}

#if defined(__x86_64__)
/* getpid through the i386 ABI. Returns the pid or -errno; on a kernel
   without IA32 emulation the process gets a signal instead. */
static long i386_getpid(void)
{
        long ret = 20; /* __NR_getpid on i386 */

        __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "cc", "r8", "r9", "r10", "r11");
        return ret;
}

static void note_fatal_signal(int sig)
{
        /* Async-signal-safe: only write(2) and _exit(2). */
        const char *name = sig == SIGSEGV ? "SIGSEGV\n" : sig == SIGSYS ? "SIGSYS\n" : "SIGILL\n";

        if (write(STDOUT_FILENO, name, strlen(name)) < 0)
                _exit(EXIT_CANNOT);
        _exit(EXIT_ASKED);
}
#endif

static int cmd_i386_getpid(void)
{
#if defined(__x86_64__)
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = note_fatal_signal;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGSYS, &sa, NULL);
        sigaction(SIGILL, &sa, NULL);
        fflush(stdout);
        long r = i386_getpid();
        if (r == getpid())
                puts("ok");
        else if (r < 0 && r > -4096)
                puts(errno_name((int)-r));
        else
                printf("unexpected=%ld\n", r);
        return EXIT_ASKED;
#else
        puts("unsupported");
        return EXIT_ASKED;
#endif
}

static int cmd_personality(int argc, char **argv)
{
        char *end;
        unsigned long v;

        if (argc != 1)
                return usage("syscall personality VALUE (hex)");
        errno = 0;
        v = strtoul(argv[0], &end, 16);
        if (errno || *end || end == argv[0])
                return usage("bad personality value '%s'", argv[0]);
        return report(syscall(SYS_personality, v));
}

static int cmd_syscall(int argc, char **argv)
{
        const char *n;
        long r;

        if (argc < 1)
                return usage("syscall NAME [ARGS]");
        n = argv[0];
        argc--, argv++;

        if (!strcmp(n, "personality"))
                return cmd_personality(argc, argv);
        if (!strcmp(n, "i386-getpid"))
                return cmd_i386_getpid();
        if (!strcmp(n, "unshare-ns") || !strcmp(n, "clone-ns")) {
                int flag = argc == 1 ? parse_ns_flag(argv[0]) : -1;
                if (flag < 0)
                        return usage("syscall %s user|mnt|net|pid|ipc|uts|cgroup|time", n);
                return report(!strcmp(n, "unshare-ns") ? syscall(SYS_unshare, flag)
                                                       : raw_clone((unsigned long)flag));
        }
        if (argc != 0)
                return usage("syscall %s takes no argument", n);

        if (!strcmp(n, "unshare"))
                r = syscall(SYS_unshare, CLONE_NEWUSER);
        else if (!strcmp(n, "setns"))
                r = do_setns();
        else if (!strcmp(n, "mount"))
                r = syscall(SYS_mount, "none", "/tmp", "tmpfs", 0UL, NULL);
        else if (!strcmp(n, "umount2"))
                r = syscall(SYS_umount2, "/proc", 0);
        else if (!strcmp(n, "pivot_root"))
                r = syscall(SYS_pivot_root, "/", "/");
        else if (!strcmp(n, "chroot"))
                r = syscall(SYS_chroot, "/");
        else if (!strcmp(n, "clone-newuser"))
                r = raw_clone(CLONE_NEWUSER);
        else if (!strcmp(n, "clone-newns"))
                r = raw_clone(CLONE_NEWNS);
        else if (!strcmp(n, "clone-newnet"))
                r = raw_clone(CLONE_NEWNET);
        else if (!strcmp(n, "clone-plain"))
                r = raw_clone(0);
        else if (!strcmp(n, "clone3"))
                r = do_clone3();
        else if (!strcmp(n, "open_tree"))
                r = syscall(SYS_open_tree, AT_FDCWD, "/", (unsigned)OPEN_TREE_CLOEXEC);
        else if (!strcmp(n, "move_mount"))
                r = syscall(SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/tmp", 0U);
        else if (!strcmp(n, "fsopen"))
                r = syscall(SYS_fsopen, "tmpfs", (unsigned)FSOPEN_CLOEXEC);
        else if (!strcmp(n, "fsconfig"))
                r = syscall(SYS_fsconfig, -1, (unsigned)FSCONFIG_SET_STRING, "source", "none", 0);
        else if (!strcmp(n, "fsmount"))
                r = syscall(SYS_fsmount, -1, 0U, 0U);
        else if (!strcmp(n, "fspick"))
                r = syscall(SYS_fspick, AT_FDCWD, "/tmp", 0U);
        else if (!strcmp(n, "mount_setattr"))
                r = do_mount_setattr();
        else if (!strcmp(n, "add_key"))
                r = syscall(SYS_add_key, "user", "nook-probe", "x", (size_t)1,
                            KEY_SPEC_PROCESS_KEYRING);
        else if (!strcmp(n, "keyctl"))
                r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1);
        else if (!strcmp(n, "request_key"))
                r = syscall(SYS_request_key, "user", "nook-probe-absent", NULL,
                            KEY_SPEC_PROCESS_KEYRING);
        else if (!strcmp(n, "kexec_load"))
                /* Too many segments: EPERM before, EINVAL after the capability check. */
                r = syscall(SYS_kexec_load, 0UL, 0xffffUL, NULL, 0UL);
        else if (!strcmp(n, "kexec_file_load"))
                /* Unknown flags: EINVAL after the capability check. */
                r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0xffffffffUL);
        else if (!strcmp(n, "init_module"))
                r = syscall(SYS_init_module, NULL, 0UL, "");
        else if (!strcmp(n, "finit_module"))
                r = syscall(SYS_finit_module, -1, "", 0);
        else if (!strcmp(n, "delete_module"))
                r = syscall(SYS_delete_module, "nook_probe_absent", O_NONBLOCK);
        else if (!strcmp(n, "bpf"))
                r = do_bpf();
        else if (!strcmp(n, "perf_event_open"))
                r = do_perf_event_open();
        else if (!strcmp(n, "userfaultfd"))
                r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
        else if (!strcmp(n, "open_by_handle_at"))
                r = do_open_by_handle_at();
        else if (!strcmp(n, "syslog"))
                r = syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
        else if (!strcmp(n, "acct"))
                r = syscall(SYS_acct, "/nonexistent/nook-probe");
        else if (!strcmp(n, "quotactl"))
                r = do_quotactl();
        else if (!strcmp(n, "swapon"))
                r = syscall(SYS_swapon, "/nonexistent/nook-probe", 0);
        else if (!strcmp(n, "swapoff"))
                r = syscall(SYS_swapoff, "/nonexistent/nook-probe");
        else if (!strcmp(n, "reboot"))
                /* CAD_OFF only makes Ctrl-Alt-Del send SIGINT to init. */
                r = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                            LINUX_REBOOT_CMD_CAD_OFF, NULL);
        else if (!strcmp(n, "io_uring_setup"))
                r = do_io_uring_setup();
        else if (!strcmp(n, "io_uring_enter"))
                r = syscall(SYS_io_uring_enter, -1, 0U, 0U, 0U, NULL, 0UL);
        else if (!strcmp(n, "io_uring_register"))
                r = syscall(SYS_io_uring_register, -1, 0U, NULL, 0U);
        else if (!strcmp(n, "x32-getpid"))
                r = syscall(0x40000000L | 39L);
        else if (!strcmp(n, "mknod-char"))
                r = do_mknod_char();
        else if (!strcmp(n, "setgroups"))
                r = do_setgroups();
        else if (!strcmp(n, "setuid0"))
                r = syscall(SYS_setuid, 0);
        else if (!strcmp(n, "getpid"))
                r = syscall(SYS_getpid);
        else
                return usage("unknown syscall '%s'", n);
        return report(r);
}

/* ---- ioctl -------------------------------------------------------------- */

/* TIOCSTI only works on one's controlling terminal, so a child makes a fresh
   session, opens a new pty's slave as its controlling terminal and asks
   there: without a filter the kernel says ok (or EIO where
   dev.tty.legacy_tiocsti is 0), never EPERM. The answer does not depend on
   whatever terminal the test runs on, and nothing is pushed into it. */
static int ioctl_on_own_pty(unsigned long request, void *arg)
{
        int pipefd[2];
        int err = 0;
        pid_t pid;

        if (pipe(pipefd) < 0)
                return errno;
        pid = fork();
        if (pid < 0)
                return errno;
        if (pid == 0) {
                int e = 0, m, s;
                char *name;

                close(pipefd[0]);
                if (setsid() < 0 || (m = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
                    grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)) ||
                    (s = open(name, O_RDWR)) < 0)
                        e = -errno; /* negative: the set-up failed, not the ioctl */
                else if (syscall(SYS_ioctl, s, request, arg) < 0)
                        e = errno;
                if (write(pipefd[1], &e, sizeof e) != sizeof e)
                        _exit(1);
                _exit(0);
        }
        close(pipefd[1]);
        if (read(pipefd[0], &err, sizeof err) != sizeof err)
                err = INT_MIN;
        close(pipefd[0]);
        waitpid(pid, NULL, 0);
        return err;
}

static int cmd_ioctl(int argc, char **argv)
{
        char c = '\0';
        int subcode = TIOCL_GETFGCONSOLE; /* only reads which VT is in front */
        unsigned long req;
        void *arg;
        int err;

        if (argc != 1)
                return usage("ioctl tiocsti|tiocsti-high|tioclinux");
        if (!strcmp(argv[0], "tiocsti"))
                req = TIOCSTI, arg = &c;
        else if (!strcmp(argv[0], "tiocsti-high"))
                /* The kernel reads cmd as 32 bits; a filter must too. */
                req = (unsigned long)TIOCSTI | (1UL << 32), arg = &c;
        else if (!strcmp(argv[0], "tioclinux"))
                req = TIOCLINUX, arg = &subcode;
        else
                return usage("unknown ioctl '%s'", argv[0]);

        err = ioctl_on_own_pty(req, arg);
        if (err == INT_MIN) {
                fprintf(stderr, "probe: the pty child died\n");
                return EXIT_CANNOT;
        }
        if (err < 0) {
                errno = -err;
                return cannot("cannot open a pty as controlling terminal");
        }
        puts(err ? errno_name(err) : "ok");
        return EXIT_ASKED;
}

/* ---- files -------------------------------------------------------------- */

static int cmd_open(int argc, char **argv)
{
        int flags = O_RDONLY;
        int fd;

        if (argc < 1 || argc > 2)
                return usage("open PATH [r|w|rw|trunc]");
        if (argc == 2) {
                if (!strcmp(argv[1], "w"))
                        flags = O_WRONLY;
                else if (!strcmp(argv[1], "rw"))
                        flags = O_RDWR;
                else if (!strcmp(argv[1], "trunc"))
                        /* O_TRUNC asks the mount for write access before the
                           file's permissions are checked: EROFS tells a
                           read-only mount apart from a file we may not write. */
                        flags = O_WRONLY | O_TRUNC;
                else if (strcmp(argv[1], "r"))
                        return usage("open mode must be r, w, rw or trunc, not '%s'", argv[1]);
        }
        fd = open(argv[0], flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0)
                close(fd);
        return report(fd);
}

static int cmd_write(int argc, char **argv)
{
        int fd;

        if (argc != 1)
                return usage("write PATH");
        fd = open(argv[0], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return report(-1);
        ssize_t n = write(fd, "x", 1);
        int saved = errno;
        int c = close(fd);
        if (n < 0) {
                errno = saved;
                return report(-1);
        }
        return report(c);
}

static int cmd_read(int argc, char **argv)
{
        static char buf[65536];
        size_t total = 0;
        int fd;

        if (argc != 1)
                return usage("read PATH");
        fd = open(argv[0], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return report(-1);
        while (total < (1u << 20)) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int saved = errno;
                        close(fd);
                        errno = saved;
                        return report(-1);
                }
                if (n == 0)
                        break;
                total += (size_t)n;
        }
        close(fd);
        printf("%zu\n", total);
        return EXIT_ASKED;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_ls(int argc, char **argv)
{
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;

        if (argc != 1)
                return usage("ls DIR");
        d = opendir(argv[0]);
        if (!d)
                return report(-1);
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 64;
                        char **nn = realloc(names, cap * sizeof *names);
                        if (!nn)
                                return cannot("realloc");
                        names = nn;
                }
                if (!(names[n++] = strdup(de->d_name)))
                        return cannot("strdup");
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
                printf("%s%s", i ? " " : "", names[i]);
                free(names[i]);
        }
        putchar('\n');
        free(names);
        return EXIT_ASKED;
}

static const char *type_name(mode_t m)
{
        switch (m & S_IFMT) {
        case S_IFREG: return "file";
        case S_IFDIR: return "dir";
        case S_IFLNK: return "link";
        case S_IFCHR: return "chr";
        case S_IFBLK: return "blk";
        case S_IFIFO: return "fifo";
        case S_IFSOCK: return "sock";
        default: return "unknown";
        }
}

static int cmd_stat(int argc, char **argv)
{
        struct stat st;

        if (argc != 1)
                return usage("stat PATH");
        if (stat(argv[0], &st) < 0)
                return report(-1);
        printf("mode=%04o uid=%u gid=%u type=%s size=%lld\n", (unsigned)(st.st_mode & 07777),
               (unsigned)st.st_uid, (unsigned)st.st_gid, type_name(st.st_mode),
               (long long)st.st_size);
        return EXIT_ASKED;
}

/* xattr PATH: the names of PATH's extended attributes, one a line;
   xattr PATH NAME: that one's value. */
static int cmd_xattr(int argc, char **argv)
{
        char buf[4096];

        if (argc != 1 && argc != 2)
                return usage("xattr PATH [NAME]");
        ssize_t n = argc == 1 ? llistxattr(argv[0], buf, sizeof(buf)) : lgetxattr(argv[0], argv[1], buf, sizeof(buf));
        if (n < 0)
                return report(-1);
        if (argc == 2) {
                printf("%.*s\n", (int)n, buf);
                return EXIT_ASKED;
        }
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
                printf("%s\n", buf + i);
        return EXIT_ASKED;
}

/* Undoes the octal escapes (\040 for a space, ...) of /proc/self/mountinfo. */
static void unescape(char *s)
{
        char *out = s;

        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 4;
                } else {
                        *out++ = *s++;
                }
        }
        *out = '\0';
}

static bool path_under(const char *path, const char *mnt)
{
        size_t l = strlen(mnt);

        if (!strcmp(mnt, "/"))
                return true;
        return !strncmp(path, mnt, l) && (path[l] == '\0' || path[l] == '/');
}

/* The per-mount options of the mount PATH is on: found by mount id where
   statx knows it (exact even under stacked mounts), else by the longest
   mount point that is a prefix of the resolved path, the last one listed
   winning (it is on top). */
static int cmd_mountinfo(int argc, char **argv)
{
        char line[8192], best_opts[1024] = "", best_mnt[PATH_MAX] = "";
        char resolved[PATH_MAX];
        unsigned long long want_id = 0;
        bool by_id = false;
        struct statx stx;
        FILE *f;

        if (argc != 1)
                return usage("mountinfo PATH");
        if (!realpath(argv[0], resolved))
                return report(-1);
        if (statx(AT_FDCWD, resolved, 0, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID)) {
                want_id = stx.stx_mnt_id;
                by_id = true;
        }
        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return cannot("/proc/self/mountinfo");
        while (fgets(line, sizeof line, f)) {
                unsigned long long id;
                char mnt[PATH_MAX], opts[1024];

                if (sscanf(line, "%llu %*u %*s %*s %4095s %1023s", &id, mnt, opts) != 3)
                        continue;
                unescape(mnt);
                if (by_id ? id == want_id
                          : path_under(resolved, mnt) && strlen(mnt) >= strlen(best_mnt)) {
                        snprintf(best_mnt, sizeof best_mnt, "%s", mnt);
                        snprintf(best_opts, sizeof best_opts, "%s", opts);
                }
        }
        fclose(f);
        if (!best_opts[0]) {
                fprintf(stderr, "probe: no mount found for %s\n", resolved);
                return EXIT_CANNOT;
        }
        puts(best_opts);
        return EXIT_ASKED;
}

/* Whether PATH is itself the root of a mount (something is mounted on it). */
static int cmd_mountpoint(int argc, char **argv)
{
        struct statx stx, parent;
        char dir[PATH_MAX], *slash;

        if (argc != 1)
                return usage("mountpoint PATH");
        if (statx(AT_FDCWD, argv[0], AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, &stx) < 0)
                return report(-1);
        if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) {
                puts(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT ? "yes" : "no");
                return EXIT_ASKED;
        }
        /* Older kernels: compare with the parent directory's mount. */
        if (!realpath(argv[0], dir))
                return report(-1);
        slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        if (!strcmp(argv[0], "/") || statx(AT_FDCWD, dir, 0, STATX_MNT_ID, &parent) < 0 ||
            !(stx.stx_mask & parent.stx_mask & STATX_MNT_ID)) {
                fprintf(stderr, "probe: cannot tell the mount of %s\n", argv[0]);
                return EXIT_CANNOT;
        }
        puts(stx.stx_mnt_id != parent.stx_mnt_id ? "yes" : "no");
        return EXIT_ASKED;
}

/* ---- processes and signals ---------------------------------------------- */

static int cmd_kill(int argc, char **argv)
{
        char *end;
        long pid;
        int sig;

        if (argc != 2)
                return usage("kill PID SIG");
        pid = strtol(argv[0], &end, 10);
        if (*end || end == argv[0])
                return usage("bad pid '%s'", argv[0]);
        sig = !strcmp(argv[1], "0") ? 0 : parse_signal(argv[1]);
        if (sig < 0)
                return usage("bad signal '%s'", argv[1]);
        return report(kill((pid_t)pid, sig));
}

static void on_signal(int sig)
{
        (void)sig;
}

static int cmd_waitsig(void)
{
        struct timespec timeout = { .tv_sec = 30, .tv_nsec = 0 };
        struct sigaction sa;
        sigset_t set;
        int sig;

        /* Block first, then say ready: a signal sent right after "ready" is
           queued, not lost. A handler replaces any inherited SIG_IGN (a
           background job of a non-interactive shell ignores SIGINT). */
        sigemptyset(&set);
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        for (size_t i = 0; i < ARRAY_SIZE(waited_signals); i++) {
                sigaction(waited_signals[i], &sa, NULL);
                sigaddset(&set, waited_signals[i]);
        }
        sigprocmask(SIG_BLOCK, &set, NULL);
        puts("ready");
        fflush(stdout);
        do
                sig = sigtimedwait(&set, NULL, &timeout);
        while (sig < 0 && errno == EINTR);
        if (sig < 0) {
                puts("timeout");
                return EXIT_TIMEOUT;
        }
        puts(signal_name(sig));
        return EXIT_ASKED;
}

static int cmd_exit(int argc, char **argv)
{
        char *end;
        long n;

        if (argc != 1)
                return usage("exit N");
        n = strtol(argv[0], &end, 10);
        if (*end || end == argv[0] || n < 0 || n > 255)
                return usage("bad exit status '%s'", argv[0]);
        return (int)n;
}

static int cmd_selfkill(int argc, char **argv)
{
        sigset_t set;
        int sig;

        if (argc != 1)
                return usage("selfkill SIG");
        sig = parse_signal(argv[0]);
        if (sig <= 0)
                return usage("bad signal '%s'", argv[0]);
        signal(sig, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        fflush(stdout);
        kill(getpid(), sig);
        /* Still here: the signal is ignored by default or we are a pid 1. */
        sleep(1);
        printf("alive\n");
        return 4;
}

/* ---- the rest ----------------------------------------------------------- */

static int cmd_ifaces(void)
{
        struct if_nameindex *ifs = if_nameindex();
        int sock;

        if (!ifs)
                return cannot("if_nameindex");
        sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return cannot("socket");
        for (struct if_nameindex *i = ifs; i->if_index; i++) {
                struct ifreq ifr;
                const char *state = "?";

                memset(&ifr, 0, sizeof ifr);
                snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", i->if_name);
                if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0)
                        state = ifr.ifr_flags & IFF_UP ? "UP" : "DOWN";
                printf("%s%s:%s", i == ifs ? "" : " ", i->if_name, state);
        }
        putchar('\n');
        close(sock);
        if_freenameindex(ifs);
        return EXIT_ASKED;
}

static int cmd_hostname(void)
{
        struct utsname u;

        if (uname(&u) < 0)
                return cannot("uname");
        puts(u.nodename);
        return EXIT_ASKED;
}

static int cmd_cwd(void)
{
        char buf[PATH_MAX];

        if (!getcwd(buf, sizeof buf))
                return report(-1);
        puts(buf);
        return EXIT_ASKED;
}

static int cmd_env(int argc, char **argv)
{
        const char *v;

        if (argc != 1)
                return usage("env NAME");
        v = getenv(argv[0]);
        puts(v ? v : "<unset>");
        return EXIT_ASKED;
}

/* socket FAMILY TYPE PROTOCOL...: one line a triple, "ok" or the errno
   name; numbers, decimal or 0x hex (SOCK_DGRAM|SOCK_CLOEXEC is 0x80002).
   A raw system call: no libc fallback hides what the filter said. */
static int cmd_socket(int argc, char **argv)
{
        if (argc == 0 || argc % 3)
                return usage("socket FAMILY TYPE PROTOCOL [FAMILY TYPE PROTOCOL...]");
        for (int i = 0; i < argc; i += 3) {
                long v[3];
                for (int k = 0; k < 3; k++) {
                        char *end;
                        errno = 0;
                        v[k] = strtol(argv[i + k], &end, 0);
                        if (errno || *end || end == argv[i + k])
                                return usage("socket: bad number '%s'", argv[i + k]);
                }
                long fd = syscall(SYS_socket, v[0], v[1], v[2]);
                report(fd);
                if (fd >= 0)
                        close((int)fd);
        }
        return EXIT_ASKED;
}

static const char usage_text[] =
        "usage: probe COMMAND [ARG...]\n"
        "  id | caps | fds | ifaces | hostname | cwd | waitsig [TAG]\n"
        "  syscall NAME [ARG]     ok or the errno name (personality HEX, unshare-ns NS, ...)\n"
        "  ioctl tiocsti|tiocsti-high|tioclinux\n"
        "  socket FAMILY TYPE PROTOCOL...  ok or the errno name, a line each\n"
        "  open PATH [r|w|rw|trunc] | write PATH | read PATH | ls DIR | stat PATH\n"
        "  xattr PATH [NAME]\n"
        "  mountinfo PATH | mountpoint PATH | env NAME | kill PID SIG | exit N | selfkill SIG\n";

int main(int argc, char **argv)
{
        const char *cmd;

        if (argc < 2) {
                fputs(usage_text, stderr);
                return EXIT_USAGE;
        }
        cmd = argv[1];
        argc -= 2;
        argv += 2;

#define NOARGS(f) (argc ? usage("%s takes no argument", cmd) : f())
        if (!strcmp(cmd, "id")) return NOARGS(cmd_id);
        if (!strcmp(cmd, "caps")) return NOARGS(cmd_caps);
        if (!strcmp(cmd, "fds")) return NOARGS(cmd_fds);
        if (!strcmp(cmd, "ifaces")) return NOARGS(cmd_ifaces);
        if (!strcmp(cmd, "hostname")) return NOARGS(cmd_hostname);
        if (!strcmp(cmd, "cwd")) return NOARGS(cmd_cwd);
        /* waitsig takes an optional TAG, ignored, that names the process in
           `ps` so that a test can find what it started. */
        if (!strcmp(cmd, "waitsig")) return argc <= 1 ? cmd_waitsig() : usage("waitsig [TAG]");
        if (!strcmp(cmd, "syscall")) return cmd_syscall(argc, argv);
        if (!strcmp(cmd, "ioctl")) return cmd_ioctl(argc, argv);
        if (!strcmp(cmd, "socket")) return cmd_socket(argc, argv);
        if (!strcmp(cmd, "open")) return cmd_open(argc, argv);
        if (!strcmp(cmd, "write")) return cmd_write(argc, argv);
        if (!strcmp(cmd, "read")) return cmd_read(argc, argv);
        if (!strcmp(cmd, "ls")) return cmd_ls(argc, argv);
        if (!strcmp(cmd, "stat")) return cmd_stat(argc, argv);
        if (!strcmp(cmd, "xattr")) return cmd_xattr(argc, argv);
        if (!strcmp(cmd, "mountinfo")) return cmd_mountinfo(argc, argv);
        if (!strcmp(cmd, "mountpoint")) return cmd_mountpoint(argc, argv);
        if (!strcmp(cmd, "env")) return cmd_env(argc, argv);
        if (!strcmp(cmd, "kill")) return cmd_kill(argc, argv);
        if (!strcmp(cmd, "exit")) return cmd_exit(argc, argv);
        if (!strcmp(cmd, "selfkill")) return cmd_selfkill(argc, argv);
#undef NOARGS
        fputs(usage_text, stderr);
        return usage("unknown command '%s'", cmd);
}
