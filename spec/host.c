#include "spec/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred/users.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

static const char *const top_dirs[] = { "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" };

static enum host_node node_kind(const char *path, char *target, size_t size)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return HOST_ABSENT;
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(path, target, size - 1);
                if (n < 0)
                        return HOST_ABSENT;
                target[n] = '\0';
                return HOST_SYMLINK;
        }
        return S_ISDIR(st.st_mode) ? HOST_DIR : HOST_FILE;
}

static int read_home(struct host_facts *h, struct nook_err *e)
{
        const char *home = getenv("HOME");
        struct user_entry pw;

        if (!home || !*home) {
                if (!users_by_uid(h->uid, &pw) || !pw.home[0])
                        return nook_errf(e, ENOENT, "cannot find your home directory: HOME is unset and uid %u has no passwd entry (set HOME)",
                                         (unsigned)h->uid);
                home = pw.home;
        }
        if (home[0] != '/')
                return nook_errf(e, EINVAL, "HOME '%s' is not an absolute path (set HOME to your home directory)", nook_val(home));
        h->home = path_normalize(home);
        if (!h->home)
                return nook_errf(e, EINVAL, "HOME '%s' is not usable: a '..' component is not allowed (set HOME to your home directory)",
                                 nook_val(home));
        if (strcmp(h->home, "/") == 0)
                return nook_errf(e, EINVAL, "HOME '/' cannot hold a private home (set HOME to your home directory)");
        return 0;
}

/* Its first 64 KiB, whole lines only: a line cut short could name
   another server ("nameserver 10.1.2.34" read as "10.1.2.3"). */
static char *read_small(const char *path)
{
        char buf[65536];
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        size_t got = fread(buf, 1, sizeof(buf) - 1, f);
        buf[got] = '\0';
        if (got == sizeof(buf) - 1 && fgetc(f) != EOF) {
                char *last = strrchr(buf, '\n');
                *(last ? last + 1 : buf) = '\0';
        }
        fclose(f);
        return strdup(buf);
}

int host_facts_read(struct host_facts *h, struct nook_err *e)
{
        char cwd[PATH_MAX];
        int r;

        memset(h, 0, sizeof(*h));
        h->uid = getuid();
        h->gid = getgid();
        r = read_home(h, e);
        if (r == 0)
                h->home_real = realpath(h->home, NULL);
        if (r < 0)
                return r;
        /* getcwd() fails or says "(unreachable)" when the directory is gone or
           outside our root: then there is nothing to bind. */
        if (getcwd(cwd, sizeof(cwd)) && cwd[0] == '/') {
                h->cwd = strdup(cwd);
                if (!h->cwd)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        const char *xdg = getenv("XDG_CONFIG_HOME");
        int n = xdg && xdg[0] == '/' ? asprintf(&h->nook_config, "%s/nook", xdg)
                                     : asprintf(&h->nook_config, "%s/.config/nook", h->home);
        if (n < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
                memcpy(h->hostname, "localhost", sizeof("localhost"));
        struct stat st;
        h->has_opt = stat("/opt", &st) == 0 && S_ISDIR(st.st_mode);
        for (size_t i = 0; i < ARRAY_SIZE(top_dirs); i++) {
                struct host_top *t = &h->top[h->n_top++];
                t->name = top_dirs[i];
                t->kind = node_kind(t->name, t->target, sizeof(t->target));
        }
        return 0;
}

void host_facts_read_dns(struct host_facts *h)
{
        if (h->dns_read)
                return;
        h->dns_read = true;
        /* bounded: it is only ever a few lines */
        h->resolv_conf = read_small("/etc/resolv.conf");
        h->resolved_upstream = read_small("/run/systemd/resolve/resolv.conf");
}

void host_facts_free(struct host_facts *h)
{
        free(h->home);
        free(h->home_real);
        free(h->cwd);
        free(h->nook_config);
        for (size_t i = 0; i < h->n_nook_run; i++)
                free(h->nook_run[i]);
        free(h->resolv_conf);
        free(h->resolved_upstream);
        memset(h, 0, sizeof(*h));
}
