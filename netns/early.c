#include "netns/early.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "netns/loopback.h"

/* The namespace is the thread's alone (unshare in a thread changes that
   thread); /proc/thread-self names it, found through the host's /proc that
   pid 1 opened before it pivoted. */
static int make_netns(struct netns_early *n, struct nook_err *e)
{
        if (unshare(CLONE_NEWNET) < 0)
                return nook_errf(e, errno, "cannot create the sandbox's network namespace: %m");
        int rc = loopback_up(e);
        if (rc < 0)
                return rc;
        if (n->proc < 0)
                return 0;
        n->ns = openat(n->proc, "thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (n->ns < 0)
                return nook_errf(e, errno, "cannot open the sandbox's network namespace: %m");
        return 0;
}

static void *early_thread(void *arg)
{
        struct netns_early *n = arg;

        n->rc = make_netns(n, &n->e);
        return NULL;
}

void netns_early_start(struct netns_early *n)
{
        pthread_attr_t attr;

        n->started = false;
        n->ns = -1;
        n->rc = 0;
        n->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (n->proc < 0 || pthread_attr_init(&attr) != 0)
                return;
        /* it calls little: a small stack is mapped and freed sooner */
        pthread_attr_setstacksize(&attr, 64 * 1024);
        n->started = pthread_create(&n->thread, &attr, early_thread, n) == 0;
        pthread_attr_destroy(&attr);
}

int netns_early_join(struct netns_early *n, struct nook_err *e)
{
        int rc;

        if (!n->started) {
                /* no thread: pid 1 makes the namespace itself, as it would
                   have at clone */
                closep(&n->proc);
                n->proc = -1;
                rc = make_netns(n, e);
                return rc;
        }
        pthread_join(n->thread, NULL);
        closep(&n->proc);
        n->proc = -1;
        if (n->rc < 0) {
                *e = n->e;
                return n->rc;
        }
        rc = setns(n->ns, CLONE_NEWNET) < 0 ? nook_errf(e, errno, "cannot enter the sandbox's network namespace: %m")
                                             : 0;
        closep(&n->ns);
        n->ns = -1;
        return rc;
}
