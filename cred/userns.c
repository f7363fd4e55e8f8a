#include "cred/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cred/idmap.h"
#include "cred/users.h"
#include "lib/strutil.h"

int userns_map_choose(struct userns_map *m, enum userns_mode mode, struct nook_err *e)
{
        char name[64];
        const char *user;
        struct user_entry pw;

        memset(m, 0, sizeof(*m));
        m->uid = getuid();
        m->gid = getgid();
        if (mode == USERNS_SINGLE)
                return 0;
        if (users_by_uid(m->uid, &pw)) {
                user = pw.name;
        } else {
                if (STR_FMT(name, "%u", (unsigned)m->uid) < 0)
                        return nook_errf(e, ENAMETOOLONG, "cannot map ids: %m");
                user = name;
        }
        int r = subid_lookup(user, m->uid, m->gid, &m->sub, e);
        if (r < 0)
                return r;
        if (!m->sub.found && mode == USERNS_RANGE)
                return nook_errf(e, ENOENT, "cannot map ids: no /etc/subuid and /etc/subgid range for %s (ask an admin to run 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s', or use --map=single)",
                                 user, user);
        m->range = m->sub.found;
        return 0;
}

int userns_map_write(pid_t child, const struct userns_map *m, struct nook_err *e)
{
        if (m->range)
                return idmap_write_range(child, m->uid, m->gid, &m->sub, e);
        return idmap_write_single(child, 0, m->uid, 0, m->gid, e);
}

struct reply {
        int rc;
        struct nook_err err;
        char out[USERNS_OUT_MAX];
};

int userns_run(const struct userns_map *m, int (*fn)(void *arg, char *out, struct nook_err *e), void *arg,
               char *out, struct nook_err *e)
{
        int go[2], back[2];
        struct reply rep = { 0 };

        if (pipe2(go, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot create a pipe: %m");
        if (pipe2(back, O_CLOEXEC) < 0) {
                close(go[0]);
                close(go[1]);
                return nook_errf(e, errno, "cannot create a pipe: %m");
        }
        fflush(NULL);
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                int err = errno;
                close(go[0]); close(go[1]); close(back[0]); close(back[1]);
                return nook_errf(e, err, "cannot create a user namespace: %m");
        }
        if (pid == 0) {
                char c;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(go[1]);
                close(back[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(125);
                /* become root of the namespace: the owner of what we create */
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
                        rep.rc = nook_errf(&rep.err, errno, "cannot become root in the user namespace: %m");
                } else {
                        rep.rc = fn(arg, rep.out, &rep.err);
                }
                ssize_t n = write(back[1], &rep, sizeof(rep));
                _exit(n == (ssize_t)sizeof(rep) && rep.rc == 0 ? 0 : 1);
        }
        close(go[0]);
        close(back[1]);
        int r = userns_map_write(pid, m, e);
        if (r == 0 && write(go[1], "g", 1) != 1)
                r = nook_errf(e, errno, "cannot start the helper: %m");
        close(go[1]);
        if (r < 0)
                kill(pid, SIGKILL);
        ssize_t n = read(back[0], &rep, sizeof(rep));
        close(back[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (n != (ssize_t)sizeof(rep))
                return nook_errf(e, EIO, "the unpacking helper died (%s %d)", WIFSIGNALED(st) ? "signal" : "status",
                                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        if (rep.rc < 0)
                *e = rep.err;
        if (out) {
                rep.out[USERNS_OUT_MAX - 1] = '\0';
                memcpy(out, rep.out, USERNS_OUT_MAX);
        }
        return rep.rc;
}
