/* `nook oci` containers' state: ROOT/ID/state.json. The reader may be root
   acting on a user's directory, so every path is opened relative to a
   directory fd, without following a symlink, and checked to be the
   owner's; a pid is trusted only through a pidfd whose process has the
   recorded start time and the owner's uid. */
#include "state/oci-state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"
#include "state/rundir.h"
#include "state/runstate.h"

#define STATE_FILE "state.json"
#define STATE_MAX (64u << 10)

static int open_nofollow(int dfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (unsigned)(flags | O_CLOEXEC | O_NOFOLLOW),
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (dfd == AT_FDCWD ? 0 : RESOLVE_BENEATH),
        };

        return (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

void oci_record_free(struct oci_record *r)
{
        free(r->id);
        free(r->bundle);
        free(r->created);
        memset(r, 0, sizeof(*r));
}

bool ocistate_id_ok(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > 200 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-+", *p)))
                        return false;
        return true;
}

static int check_dir(int fd, const char *what, uid_t owner, struct nook_err *e)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nook_errf(e, errno, "%s: %m", what);
        if (!S_ISDIR(st.st_mode) || st.st_uid != owner || (st.st_mode & 022))
                return nook_errf(e, EPERM, "%s is not a directory of uid %u that only it can write", what, (unsigned)owner);
        return 0;
}

static int open_default_root(bool create, struct nook_err *e)
{
        _cleanup_close_ int base = rundir_open_base(e);

        if (base < 0)
                return base;
        if (create && mkdirat(base, "oci", 0700) < 0 && errno != EEXIST)
                return nook_errf(e, errno, "cannot create the containers' directory: %m");
        int fd = openat(base, "oci", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nook_errf(e, errno, "the containers' directory: %m");
        return fd;
}

int ocistate_open_root(const char *root, bool create, struct nook_err *e)
{
        uid_t me = geteuid();
        _cleanup_close_ int fd = -1;

        if (!root)
                fd = open_default_root(create, e);
        else {
                if (create && mkdir(root, 0700) < 0 && errno != EEXIST)
                        return nook_errf(e, errno, "cannot create %s: %m", nook_val(root));
                /* the caller's own links are the caller's business; root
                   follows none on the way to a user's directory */
                _cleanup_free_ char *real = me != 0 ? realpath(root, NULL) : NULL;
                fd = open_nofollow(AT_FDCWD, real ? real : root, O_RDONLY | O_DIRECTORY);
                struct stat lst;
                if (fd < 0 && (errno == ELOOP || (errno == ENOTDIR && lstat(root, &lst) == 0 && S_ISLNK(lst.st_mode))))
                        return nook_errf(e, ELOOP, "%s: a symbolic link on the way (root follows none)", nook_val(root));
                if (fd < 0)
                        return nook_errf(e, errno, "%s: %m", nook_val(root));
        }
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return nook_errf(e, errno, "%s: %m", root ? nook_val(root) : "the containers' directory");
        int r = check_dir(fd, root ? nook_val(root) : "the containers' directory", me == 0 ? st.st_uid : me, e);
        return r < 0 ? r : steal_fd(&fd);
}

static uid_t dir_owner(int fd)
{
        struct stat st;

        return fstat(fd, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static int write_record(int dfd, const char *id, const char *bundle, struct nook_err *e)
{
        char created[64];
        unsigned long long start = 0;

        format_rfc3339((int64_t)time(NULL), created, sizeof(created));
        if (runstate_proc_stat(getpid(), NULL, &start) < 0)
                return nook_errf(e, EIO, "cannot read this process's start time");
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "ociVersion", "1.0.2", "id", id, "bundle", bundle, "pid",
                              (json_int_t)getpid(), "start", (json_int_t)start, "created", created);
        _cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
                return nook_errf(e, ENOMEM, "out of memory");
        _cleanup_close_ int fd = openat(dfd, STATE_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        size_t len = strlen(text);
        if (fd < 0 || write(fd, text, len) != (ssize_t)len)
                return nook_errf(e, errno ? errno : EIO, "cannot write the state of container %s: %m", id);
        return 0;
}

int ocistate_create(int rootfd, const char *id, const char *bundle, struct nook_err *e)
{
        if (!ocistate_id_ok(id))
                return nook_errf(e, EINVAL, "container id '%s' is not valid (letters, digits, '.', '_', '-', '+')", nook_val(id));
        if (mkdirat(rootfd, id, 0700) < 0) {
                if (errno == EEXIST)
                        return nook_errf(e, EEXIST, "container %s exists (nook oci delete %s)", id, id);
                return nook_errf(e, errno, "cannot record container %s: %m", id);
        }
        _cleanup_close_ int dfd = open_nofollow(rootfd, id, O_RDONLY | O_DIRECTORY);
        int r = dfd < 0 ? nook_errf(e, errno, "container %s: %m", id) : write_record(dfd, id, bundle, e);
        if (r < 0)
                rundir_remove_at(rootfd, id);
        return r;
}

static int parse_record(const char *text, size_t len, const char *id, struct oci_record *r, struct nook_err *e)
{
        json_error_t je;
        json_t *o = json_loadb(text, len, 0, &je);
        const char *b = json_string_value(json_object_get(o, "bundle"));
        const char *c = json_string_value(json_object_get(o, "created"));
        json_int_t pid = json_integer_value(json_object_get(o, "pid"));
        json_int_t start = json_integer_value(json_object_get(o, "start"));

        if (b && c && pid > 0 && pid < (1 << 30) && start > 0) {
                r->id = strdup(id);
                r->bundle = strdup(b);
                r->created = strdup(c);
                r->pid = (pid_t)pid;
                r->start = (unsigned long long)start;
        }
        json_decref(o);
        if (!r->id || !r->bundle || !r->created)
                return nook_errf(e, EINVAL, "the state of container %s is not valid", id);
        return 0;
}

int ocistate_read(int rootfd, const char *id, struct oci_record *r, struct nook_err *e)
{
        uid_t owner = dir_owner(rootfd);
        struct stat st;
        size_t len = 0;

        memset(r, 0, sizeof(*r));
        if (!ocistate_id_ok(id))
                return nook_errf(e, EINVAL, "container id '%s' is not valid", nook_val(id));
        _cleanup_close_ int dfd = open_nofollow(rootfd, id, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return nook_errf(e, errno, errno == ENOENT ? "container %s does not exist" : "container %s: %m", id);
        int rc = check_dir(dfd, id, owner, e);
        if (rc < 0)
                return rc;
        _cleanup_close_ int fd = open_nofollow(dfd, STATE_FILE, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != owner)
                return nook_errf(e, EINVAL, "the state of container %s is missing or not its owner's", id);
        _cleanup_free_ char *text = read_all(fd, STATE_MAX, &len);
        if (!text)
                return nook_errf(e, ENOMEM, "out of memory");
        rc = parse_record(text, len, id, r, e);
        r->owner = owner;
        return rc;
}

/* The real uid of a process, from /proc/PID/status. */
static int proc_uid(pid_t pid, uid_t *uid)
{
        char path[64], line[256];
        unsigned u;

        if (STR_FMT(path, "/proc/%d/status", (int)pid) < 0)
                return -ESRCH;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Uid: %u", &u) == 1) {
                        *uid = (uid_t)u;
                        return 0;
                }
        return -ESRCH;
}

/* True when pid (held by a pidfd, so not yet reused) is the recorded
   nook: same start time, the owner's. */
static bool is_recorded(const struct oci_record *r)
{
        unsigned long long start = 0;
        uid_t uid = (uid_t)-1;

        return runstate_proc_stat(r->pid, NULL, &start) == 0 && start == r->start && proc_uid(r->pid, &uid) == 0 &&
               uid == r->owner;
}

const char *ocistate_status(const struct oci_record *r)
{
        _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, r->pid, 0);

        return pfd >= 0 && is_recorded(r) ? "running" : "stopped";
}

int ocistate_signal(const struct oci_record *r, int sig, struct nook_err *e)
{
        _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, r->pid, 0);

        if (pfd < 0 || !is_recorded(r))
                return nook_errf(e, ESRCH, "container %s is not running", r->id);
        if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
                return nook_errf(e, errno, "cannot signal container %s: %m", r->id);
        return 0;
}

int ocistate_remove(int rootfd, const char *id, struct nook_err *e)
{
        if (!ocistate_id_ok(id))
                return nook_errf(e, EINVAL, "container id '%s' is not valid", nook_val(id));
        _cleanup_close_ int dfd = open_nofollow(rootfd, id, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return nook_errf(e, errno, errno == ENOENT ? "container %s does not exist" : "container %s: %m", id);
        if (unlinkat(dfd, STATE_FILE, 0) < 0 && errno != ENOENT)
                return nook_errf(e, errno, "cannot remove the state of container %s: %m", id);
        /* by name in the root: a link put in its place is not a directory */
        if (unlinkat(rootfd, id, AT_REMOVEDIR) < 0)
                return nook_errf(e, errno, "cannot remove container %s: %m", id);
        return 0;
}
