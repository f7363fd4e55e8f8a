#include "cli/run-audit.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/learn-report.h"
#include "cli/run-observe.h"
#include "lib/strutil.h"
#include "netns/egress.h"
#include "spec/narrow.h"

/* A path as a profile line names it: ${HOME}/... below the home. */
static void put_path(FILE *f, const char *path, const char *home)
{
        if (path_is_below(path, home) && strcmp(path, home) != 0) {
                fputs("${HOME}", f);
                path += strlen(home);
        }
        learn_put_text(f, path);
}

/* The Hide= of s that covers path: the longest. */
static const char *hidden_by(const struct nook_spec *s, const char *path)
{
        const char *best = NULL;

        for (size_t i = 0; i < s->n_hide; i++)
                if (path_is_below(path, s->hide[i]) && (!best || strlen(s->hide[i]) > strlen(best)))
                        best = s->hide[i];
        return best;
}

static void audit_hidden(FILE *f, const struct obs_path *p, const char *by, const char *home)
{
        bool change = p->access & (OBS_WRITE | OBS_CREATE | OBS_MKDIR | OBS_REMOVE);

        fputs("  ", f);
        learn_put_text(f, p->path);
        fprintf(f, ": %s, hidden by the profile (%lu time%s, first by ", p->access & OBS_EXEC ? "run" : change ? "changed" : "read",
                p->count, p->count == 1 ? "" : "s");
        learn_put_text(f, p->prog);
        fputs(")\n    [Filesystem] Hide=", f);
        put_path(f, by, home);
        fputs(": without it (in the profile, or the one its Include= names)\n", f);
}

static void audit_path(FILE *f, const struct obs_path *p, const struct nook_spec *s, const char *home)
{
        const char *by = p->access & OBS_HIDDEN ? hidden_by(s, p->path) : NULL;

        if (by) {
                audit_hidden(f, p, by, home);
                return;
        }
        bool change = p->access & (OBS_WRITE | OBS_CREATE | OBS_MKDIR | OBS_REMOVE);
        bool device = (p->access & OBS_ABSENT) && learn_is_device(p->path);
        const char *asked = p->access & OBS_EXEC ? "run" : change ? "changed" : "read";

        fputs("  ", f);
        learn_put_text(f, p->path);
        fprintf(f, ": %s, %s (%lu time%s, first by ", asked,
                p->access & OBS_ROFS ? "read-only in the sandbox" : "not in the sandbox", p->count,
                p->count == 1 ? "" : "s");
        learn_put_text(f, p->prog);
        fprintf(f, ")\n    [Filesystem] %s=", device ? "Device" : change ? "Bind" : "BindReadOnly");
        put_path(f, p->path, home);
        fputc('\n', f);
}

static bool is_loopback(const struct obs_net *n)
{
        return (n->family == AF_INET && str_has_prefix(n->addr, "127.")) || (n->family == AF_INET6 && strcmp(n->addr, "::1") == 0);
}

/* A destination the network the spec gives refuses: none at all, or the
   egress rules (slirp, pasta). The sandbox's own loopback is no refusal,
   except with no network, where the host's may have been meant. */
static bool audit_net(FILE *f, const struct obs_net *n, const struct nook_spec *s)
{
        const struct net_config nc = spec_net_config(s);
        bool none = !s->share_net && !s->slirp && !s->pasta, gateway = strcmp(n->addr, "10.0.2.2") == 0;
        const char *v6l = n->family == AF_INET6 ? "[" : "", *v6r = n->family == AF_INET6 ? "]" : "";

        if (n->family == AF_UNIX || n->port == 0 || s->share_net || n->bound)
                return false;
        if (!none && (is_loopback(n) || egress_allows(&nc, n->addr, n->port)))
                return false;
        fprintf(f, "  %s%s%s:%u: connected to, %s (%lu time%s, first by ", v6l, n->addr, v6r, n->port,
                none ? "no network in the sandbox" : "refused by the egress rules", n->count, n->count == 1 ? "" : "s");
        learn_put_text(f, n->prog);
        fputs(")\n    [Network] ", f);
        if (none && is_loopback(n))
                fprintf(f, "Mode=slirp, AllowHostLoopback=yes, Allow=10.0.2.2:%u (if the host's loopback was meant)\n",
                        n->port);
        else if (gateway && !s->host_loopback)
                fprintf(f, "AllowHostLoopback=yes%s, Allow=10.0.2.2:%u\n", none ? ", Mode=slirp" : "", n->port);
        else
                fprintf(f, "%sAllow=%s%s%s:%u\n", none ? "Mode=slirp, " : "", v6l, n->addr, v6r, n->port);
        return true;
}

/* A call the filter refused, and the profile line that lets it through
   (the default list refuses what it refuses for a reason:
   nook.profile(5)). */
/* Why each kind of rule refuses, and the line that lifts it (with the
   call's name after it when named; REFUSED_FAMILY's is written with the
   family). */
static const struct {
        const char *why, *lift;
        bool named;
} refusal_kinds[] = {
        [REFUSED_WHOLE] = { "a system call the filter refuses", "[Security] SyscallAllow=", true },
        [REFUSED_DENIED] = { "a system call the filter refuses", "[Security] SyscallDeny= without ", true },
        [REFUSED_CLONE_NS] = { "asked for a new namespace, which the filter refuses", "[Security] SyscallAllow=", true },
        [REFUSED_TTY_IOCTL] = { "TIOCSTI or TIOCLINUX (typing into a terminal), which the filter refuses",
                                "[Security] SyscallAllow=", true },
        [REFUSED_PERSONALITY] = { "a personality flag, which the filter refuses", "[Security] SyscallAllow=", true },
        [REFUSED_SOCKET_KIND] = { "a socket other than TCP, unix or netlink, which Mode=host with Allow= refuses",
                                  "[Network] Mode=slirp (its Allow= rules limit every kind of socket)", false },
        [REFUSED_FAMILY] = { NULL, NULL, false },
        [REFUSED_MDWE] = { "memory both writable and executable, which MemoryDenyWriteExecute= refuses",
                           "[Security] MemoryDenyWriteExecute=no", false },
};

static void audit_call(FILE *f, const struct obs_refused *c)
{
        const char *family = c->kind == REFUSED_FAMILY ? spec_socket_family_name(c->family) : NULL;

        fprintf(f, "  %s(): ", c->name);
        if (c->kind != REFUSED_FAMILY)
                fputs(refusal_kinds[c->kind].why, f);
        else if (family)
                fprintf(f, "a socket of family %s, which SocketFamilies= leaves out", family);
        else
                fprintf(f, "a socket of family %d, which SocketFamilies= leaves out", c->family);
        fprintf(f, ", failed with %s (%lu time%s, first by ", strerrorname_np(c->err) ? strerrorname_np(c->err) : "an error",
                c->count, c->count == 1 ? "" : "s");
        learn_put_text(f, c->prog);
        fputs(")\n    ", f);
        if (c->kind == REFUSED_FAMILY && family)
                fprintf(f, "[Security] SocketFamilies= with %s\n", family);
        else if (c->kind == REFUSED_FAMILY)
                fputs("[Security] SocketFamilies= (no name nook knows for this family: nook.profile(5))\n", f);
        else
                fprintf(f, "%s%s\n", refusal_kinds[c->kind].lift, refusal_kinds[c->kind].named ? c->name : "");
}

void run_audit_write(FILE *f, const struct observed *o, const struct nook_spec *s, const char *home)
{
        size_t n = 0;

        fprintf(f, "nook: audit: %lu calls observed; what the sandbox refused or did not show, with the profile "
                "line that would allow it:\n", o->notifications);
        learn_put_over(f, o, "nook: audit: ");
        for (size_t i = 0; i < o->n_paths; i++, n++)
                audit_path(f, &o->paths[i], s, home);
        for (size_t i = 0; i < o->n_nets; i++)
                n += audit_net(f, &o->nets[i], s);
        for (size_t i = 0; i < o->n_refused; i++, n++)
                audit_call(f, &o->refused[i]);
        if (n == 0)
                fputs("  nothing\n", f);
        fflush(f);
}

int run_audited(struct run_setup *rs, const struct detached *bg, int *status, struct nook_err *e)
{
        struct observed seen = { 0 };
        int r = run_observed(rs, bg, true, &seen, status, e);

        if (r == 0)
                run_audit_write(stderr, &seen, &rs->spec, rs->host.home);
        observed_free(&seen);
        return r;
}
