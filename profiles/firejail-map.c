#include "profiles/firejail-map.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "profiles/firejail-emit.h"
#include "profiles/firejail-fs.h"

/* Directives whose effect nook has whatever the profile says, and those
   it cannot have rootless: a comment each, with the reason. */
static const struct {
        const char *word;
        bool unsupported;
        const char *why;
} simple[] = {
        { "nonewprivs", false, "nook's default: no_new_privs is always set" },
        { "caps", false, "nook's default: the command keeps no capability" },
        { "caps.drop", false, "nook's default: the command keeps no capability" },
        { "noroot", false, "nook's default: only the caller's own id is mapped" },
        { "seccomp.block-secondary", false, "nook's default: the seccomp filter refuses other architectures' calls" },
        { "seccomp.32", false, "nook's default: the seccomp filter refuses other architectures' calls" },
        { "restrict-namespaces", false, "nook's default: the seccomp filter refuses new namespaces" },
        { "ipc-namespace", false, "nook's default: an IPC namespace of its own" },
        { "nogroups", false, "nook's default: no supplementary group is mapped" },
        { "notv", false, "nook's default: the minimal /dev has no such device" },
        { "nou2f", false, "nook's default: the minimal /dev has no such device" },
        { "nodvd", false, "nook's default: the minimal /dev has no such device" },
        { "noinput", false, "nook's default: the minimal /dev has no such device" },
        { "noprinters", false, "nook's default: no printer device and no CUPS socket" },
        { "novideo", false, "nook's default: the minimal /dev has no video device" },
        { "shell", false, "nook's default: the command runs without a shell" },
        { "allow-debuggers", false, "nook's default: ptrace works inside the sandbox" },
        { "deterministic-shutdown", false, "nook's default: the sandbox ends with its command" },
        { "quiet", false, "firejail's own messages: nothing to translate" },
        { "nosound", false, "the audio block is not included" },
        { "no3d", false, "the gpu block is not included" },
        { "apparmor", true, "AppArmor profiles are loaded by root" },
        { "apparmor-replace", true, "AppArmor profiles are loaded by root" },
        { "tracelog", true, "nook keeps no log of denied accesses" },
        { "caps.keep", true, "the host's capabilities need root; Capabilities= acts inside the sandbox only" },
        { "seccomp.keep", true, "nook's filter has no allow-list form" },
        { "join-or-start", true, "nook enter joins a running sandbox by hand" },
        { "name", true, "nook names image sandboxes only" },
        { "timeout", true, "nook sets no time limit" },
        { "allusers", true, "nook shows no other user's home" },
        { "writable-var", true, "nook shows no /var" },
        { "writable-var-log", true, "nook shows no /var" },
        { "writable-etc", true, "nook keeps /etc read-only" },
        { "keep-dev-shm", true, "nook's /dev/shm is the sandbox's own" },
        { "keep-var-tmp", true, "nook's /var/tmp is the sandbox's own" },
        { "keep-fd", true, "nook passes only the standard streams and its terminal" },
        { "rlimit-sigpending", true, "nook has no such limit" },
        { "netfilter6", true, "firejail's firewall needs root; nook's is Allow= and Deny=" },
        { "dbus-user.see", true, "nook's D-Bus filter has Talk= and Own= only" },
        { "dbus-user.call", true, "nook's D-Bus filter has Talk= and Own= only" },
        { "dbus-user.broadcast", true, "nook's D-Bus filter has Talk= and Own= only" },
        { "dbus-system.talk", true, "nook gives no system bus" },
        { "dbus-system.own", true, "nook gives no system bus" },
        { "dbus-system.see", true, "nook gives no system bus" },
        { "dbus-system.call", true, "nook gives no system bus" },
        { "dbus-system.broadcast", true, "nook gives no system bus" },
};

static const char *const net_words[] = { "veth-name", "defaultgw", "ip", "ip6", "iprange", "mac", "mtu", "netmask",
                                          "netns", "interface", "hosts-file", "bandwidth" };

static const struct {
        const char *word;
        const char *key;
} rlimits[] = {
        { "rlimit-nofile", "NoFile" }, { "rlimit-nproc", "Processes" }, { "rlimit-fsize", "FileSize" },
        { "rlimit-as", "AddressSpace" }, { "rlimit-cpu", "CPUTime" },
};

static bool map_simple(struct fj_emit *m, const char *word)
{
        for (size_t i = 0; i < ARRAY_SIZE(simple); i++)
                if (strcmp(word, simple[i].word) == 0) {
                        simple[i].unsupported ? fj_unsupported(m, "%s", simple[i].why) : fj_note(m, "%s", simple[i].why);
                        return true;
                }
        for (size_t i = 0; i < ARRAY_SIZE(net_words); i++)
                if (strcmp(word, net_words[i]) == 0) {
                        fj_unsupported(m, "a host interface needs root; nook's network is Mode=slirp");
                        return true;
                }
        return false;
}

/* seccomp NAME,!NAME,...: the default filter, plus (or minus) these */
static void map_seccomp(struct fj_emit *m, const char *arg, bool drop)
{
        _cleanup_free_ char *copy = strdup(arg);
        char *save = NULL;

        if (!copy)
                return fj_oom(m->c);
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                bool allow = !drop && w[0] == '!';
                const char *name = allow ? w + 1 : w;
                if (strchr(name, ':'))
                        name = strchr(name, ':') + 1;   /* firejail's NAME:ERRNO */
                if (name[0] == '@' || seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
                        fj_unsupported(m, "'%s' is no system call nook knows (firejail's @groups are not nook's)", name);
                else
                        fj_key(m, FJ_SEC, allow ? "SyscallAllow" : "SyscallDeny", name);
        }
}

static void map_protocol(struct fj_emit *m, const char *arg)
{
        static const char *const known[] = { "unix", "inet", "inet6", "netlink", "packet", "bluetooth" };
        _cleanup_free_ char *copy = strdup(arg);
        struct buf out = { 0 };
        char *save = NULL;

        if (!copy)
                return fj_oom(m->c);
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                bool ok = false;
                for (size_t i = 0; i < ARRAY_SIZE(known); i++)
                        ok |= strcmp(w, known[i]) == 0;
                if (ok && buf_appendf(&out, "%s%s", out.len ? "," : "", w) < 0)
                        fj_oom(m->c);
                else if (!ok)
                        fj_unsupported(m, "'%s' is no socket family of firejail's", w);
        }
        fj_key(m, FJ_SEC, "SocketFamilies", out.len ? out.p : "none");
        buf_free(&out);
}

static void map_dbus(struct fj_emit *m, const char *word, const char *arg)
{
        if (strcmp(word, "dbus-user") == 0) {
                if (strcmp(arg, "none") == 0)
                        fj_key(m, FJ_DESK, "DBus", "none");
                else if (strcmp(arg, "filter") == 0 && m->c->f.dbus_none)
                        fj_note(m, "no key: 'dbus-user none' in the profile wins, as in firejail");
                else if (strcmp(arg, "filter") == 0)
                        fj_key(m, FJ_DESK, "DBus", "filtered");
                else
                        fj_unsupported(m, "'%s' is not none or filter", arg);
        } else if (strcmp(word, "dbus-system") == 0) {
                if (strcmp(arg, "none") == 0)
                        fj_note(m, "nook's default: no system bus");
                else
                        fj_unsupported(m, "nook gives no system bus");
        } else if (!m->c->f.dbus_filter) {
                fj_note(m, "no key: the bus is not filtered (no 'dbus-user filter', or 'dbus-user none' wins)");
        } else {
                _cleanup_free_ char *v = fj_esc(arg);
                if (!v)
                        return fj_oom(m->c);
                fj_key(m, FJ_DESK, strcmp(word, "dbus-user.own") == 0 ? "Own" : "Talk", v);
        }
}

static void map_net(struct fj_emit *m, const char *word, const char *arg)
{
        _cleanup_free_ char *v = fj_esc(arg);

        if (!v)
                return fj_oom(m->c);
        if (strcmp(word, "net") == 0 && strcmp(arg, "none") == 0)
                fj_key(m, FJ_NET, "Mode", "none");
        else if (strcmp(word, "net") == 0)
                fj_unsupported(m, "a host interface needs root: nook gives Mode=slirp");
        else if (strcmp(word, "netfilter") == 0)
                fj_unsupported(m, "firejail's firewall file needs root; nook's is Allow= and Deny=");
        else if (m->c->f.net_none)
                fj_note(m, "no key: the profile says 'net none'");
        else
                fj_key(m, FJ_NET, "DNS", v);
}

static bool map_run(struct fj_emit *m, const char *word, const char *arg)
{
        _cleanup_free_ char *v = fj_esc(arg);

        if (!v) {
                fj_oom(m->c);
                return true;
        }
        if (strcmp(word, "env") == 0 && strchr(arg, '='))
                fj_key(m, FJ_RUN, "Environment", v);
        else if (strcmp(word, "rmenv") == 0)
                fj_key(m, FJ_RUN, "UnsetEnvironment", v);
        else if (strcmp(word, "hostname") == 0)
                fj_key(m, FJ_RUN, "Hostname", v);
        else if (strcmp(word, "x11") == 0)
                strcmp(arg, "none") == 0 ? fj_key(m, FJ_DESK, "Display", "none")
                                         : fj_unsupported(m, "nook starts no X server of its own");
        else if (strcmp(word, "protocol") == 0)
                map_protocol(m, arg);
        else if (strcmp(word, "seccomp") == 0 || strcmp(word, "seccomp.drop") == 0)
                map_seccomp(m, arg, strcmp(word, "seccomp.drop") == 0);
        else if (str_has_prefix(word, "dbus-"))
                map_dbus(m, word, arg);
        else if (strcmp(word, "net") == 0 || strcmp(word, "dns") == 0 || strcmp(word, "netfilter") == 0)
                map_net(m, word, arg);
        else
                return false;
        return true;
}

static void map_directive(struct fj_emit *m)
{
        char word[64];
        const char *arg = fj_split(m->it->text, word);

        for (size_t i = 0; arg && i < ARRAY_SIZE(rlimits); i++)
                if (strcmp(word, rlimits[i].word) == 0) {
                        _cleanup_free_ char *v = strdup(arg);
                        size_t n = v ? strlen(v) : 0;
                        if (n && strchr("kmgt", v[n - 1]))
                                v[n - 1] -= 'a' - 'A';
                        return v ? fj_key(m, FJ_LIM, rlimits[i].key, v) : fj_oom(m->c);
                }
        if (fj_fs(m, word, arg) || map_simple(m, word))
                return;
        if (!arg && strcmp(word, "seccomp") == 0)
                return fj_note(m, "nook's default: its seccomp filter (Seccomp=default)");
        if (!arg && strcmp(word, "netfilter") == 0)
                return fj_note(m, "nook's default: Mode=slirp takes no connection from outside");
        if (!arg && strcmp(word, "machine-id") == 0)
                return fj_key(m, FJ_FS, "MachineId", "random");
        if (!arg && strcmp(word, "memory-deny-write-execute") == 0)
                return fj_key(m, FJ_SEC, "MemoryDenyWriteExecute", "yes");
        if (arg && map_run(m, word, arg))
                return;
        fj_unsupported(m, "not a directive nook knows");
}

/* In reading order, as firejail reads them: a later 'net' wins;
   'dbus-user none' wins over 'filter' wherever it is (firejail filters
   only a bus it has not blocked). */
static void facts(struct fj_ctx *c, size_t file)
{
        const struct fj_file *f = &c->t->files[file];

        for (size_t j = 0; j < f->n_items; j++) {
                const struct fj_item *it = &f->items[j];
                if (it->kind == FJ_INCLUDE)
                        facts(c, it->child);
                if (it->kind != FJ_DIRECTIVE)
                        continue;
                char word[64];
                const char *arg = fj_split(it->text, word);
                fj_fs_facts(c, word, arg);
                if (!arg)
                        c->f.nosound |= strcmp(word, "nosound") == 0, c->f.no3d |= strcmp(word, "no3d") == 0;
                else if (strcmp(word, "net") == 0)
                        c->f.net_none = strcmp(arg, "none") == 0;
                else if (strcmp(word, "x11") == 0)
                        c->f.x11_none |= strcmp(arg, "none") == 0;
                else if (strcmp(word, "dbus-user") == 0)
                        c->f.dbus_none |= strcmp(arg, "none") == 0, c->f.dbus_filter |= strcmp(arg, "filter") == 0;
        }
}

static void facts_free(struct fj_facts *f)
{
        strv_free(f->etc);
        strv_free(f->bin);
        strv_free(f->ro);
        strv_free(f->rw);
        strv_free(f->wl);
        strv_free(f->bl);
}

static void emit_free(struct fj_emit *m)
{
        buf_free(&m->head);
        buf_free(&m->notes);
        for (size_t i = 0; i < FJ_NSECTIONS; i++)
                buf_free(&m->sec[i]);
}

/* The nook text of a file's translation. */
static char *assemble(const struct fj_emit *m, const char *header)
{
        struct buf b = { 0 };
        int r = buf_appendf(&b, "%s[Profile]\n%s%s", header, buf_str(&m->head), buf_str(&m->notes));

        for (size_t i = 0; r == 0 && i < FJ_NSECTIONS; i++)
                if (m->sec[i].len)
                        r = buf_appendf(&b, "\n[%s]\n%s", fj_section_name(i), m->sec[i].p);
        if (r < 0) {
                buf_free(&b);
                return NULL;
        }
        return b.p;
}

static bool has_keys(const struct fj_emit *m)
{
        for (size_t i = 0; i < FJ_NSECTIONS; i++)
                if (m->sec[i].len)
                        return true;
        return m->head.len > 0;
}

static void translate(struct fj_ctx *c, size_t file, struct fj_emit *m);

/* An included file: its own nook include file, written once; or, when
   nothing of it becomes a key, a comment. */
static void include(struct fj_ctx *c, struct fj_emit *m, size_t child)
{
        struct fj_emit sub = { .c = c, .file = child };
        const char *path = c->t->files[child].path;
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        translate(c, child, &sub);
        if (!has_keys(&sub)) {
                fj_note(m, "no Include= (nothing in it becomes a key)");
                return emit_free(&sub);
        }
        _cleanup_free_ char *header = str_dupf("# %s of firejail, converted by nook profile import firejail:\n"
                                               "# included by the profiles that include it.\n", path);
        _cleanup_free_ char *text = header ? assemble(&sub, header) : NULL;
        _cleanup_free_ char *stem = strndup(base, strcspn(base, "."));
        _cleanup_free_ char *name = str_dupf("firejail-%s%s.profile", stem ? stem : "",
                                             strstr(base, ".local") ? "-local" : "");
        _cleanup_free_ char *placed = NULL;
        emit_free(&sub);
        if (!text || !stem || !name)
                return fj_oom(c);
        if (!c->err && c->o->place(c->o->place_ctx, name, text, &placed, c->e) < 0) {
                c->err = -EIO;
                return;
        }
        _cleanup_free_ char *inc = placed ? str_dupf("Include=./%s  # %s\n", placed, m->it->written) : NULL;
        if (placed && (!inc || buf_appendf(&m->head, "%s", inc) < 0))
                fj_oom(c);
}

static void translate(struct fj_ctx *c, size_t file, struct fj_emit *m)
{
        const struct fj_file *f = &c->t->files[file];

        for (size_t i = 0; i < f->n_items && !c->err; i++) {
                m->it = &f->items[i];
                if (m->it->kind == FJ_NOTE)
                        fj_note(m, "%s", m->it->note);
                else if (m->it->kind == FJ_INCLUDE)
                        include(c, m, m->it->child);
                else
                        map_directive(m);
        }
}

/* The blocks of nook's library that stand for firejail's defaults: the
   display, sound and GPU unless the profile takes them away, and the
   network unless it says 'net none'. */
static int top_head(struct fj_ctx *c, struct buf *b, const char *name)
{
        const struct fj_facts *f = &c->f;
        const char *desc = c->t->files[0].description;
        _cleanup_free_ char *d = fj_esc(desc ? desc : "");
        int r = d ? 0 : -ENOMEM;

        if (r == 0 && desc)
                r = buf_appendf(b, "Description=%s (firejail's %s profile)\n", d, name);
        else if (r == 0)
                r = buf_appendf(b, "Description=firejail's %s profile\n", name);
        if (r == 0)
                r = buf_appendf(b, "Include=base  # an empty home (firejail's private), no core dumps\n");
        if (r == 0 && !f->net_none)
                r = buf_appendf(b, "Include=network-client  # firejail's default: the network\n");
        if (r == 0 && !f->x11_none)
                r = buf_appendf(b, "Include=gui  # firejail's default: the display (no 'x11 none')\n");
        if (r == 0 && !f->nosound)
                r = buf_appendf(b, "Include=audio  # firejail's default: sound (no 'nosound')\n");
        if (r == 0 && !f->no3d)
                r = buf_appendf(b, "Include=gpu  # firejail's default: the GPU (no 'no3d')\n");
        return r;
}

static int top_fs(struct fj_ctx *c, struct buf *b)
{
        int r = 0;

        if (c->f.usr_share_wl)
                r = buf_appendf(b, "Tmpfs=/usr/share  # whitelist /usr/share/...: only the entries whitelisted show\n");
        if (r == 0 && c->f.opt_wl)
                r = buf_appendf(b, "Tmpfs=/opt  # whitelist /opt/..., private-opt: only the entries named show\n");
        return r;
}

/* firejail's profile NAME is for the program NAME: the command, when the
   host has it (words after the profile's name are its arguments). */
static int top_run(struct buf *b, const char *name)
{
        static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/games" };

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                _cleanup_free_ char *p = str_dupf("%s/%s", dirs[i], name);
                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0 && !strpbrk(name, " '\"$#"))
                        return buf_appendf(b, "Command=%s  # the program firejail's profile is named for\n", name);
        }
        return 0;
}

static int top(struct fj_ctx *c, const char *name, struct fj_emit *m, struct fj_output *out)
{
        struct fj_emit top = { .c = c };
        _cleanup_free_ char *header = str_dupf(
                "# firejail's %s, converted by nook profile import firejail.\n"
                "# firejail starts from the whole host and hides; nook starts from little\n"
                "# and binds (doc/from-firejail.md). Each key carries the firejail line it\n"
                "# came from. Hide= lines name what this host had when it was converted:\n"
                "# convert again after installing software. firejail's default session\n"
                "# bus is whole; nook's is none, or DBus=filtered with Talk= names.\n",
                c->t->files[0].path);
        int r = header ? top_head(c, &top.head, name) : -ENOMEM;

        if (r == 0 && buf_appendf(&top.head, "%s", buf_str(&m->head)) < 0)
                r = -ENOMEM;
        if (r == 0 && buf_appendf(&top.notes, "%s", buf_str(&m->notes)) < 0)
                r = -ENOMEM;
        if (r == 0)
                r = top_fs(c, &top.sec[FJ_FS]);
        if (r == 0)
                r = top_run(&top.sec[FJ_RUN], name);
        for (size_t i = 0; r == 0 && i < FJ_NSECTIONS; i++)
                if (buf_appendf(&top.sec[i], "%s", buf_str(&m->sec[i])) < 0)
                        r = -ENOMEM;
        if (r == 0 && !(out->text = assemble(&top, header)))
                r = -ENOMEM;
        emit_free(&top);
        return r < 0 ? nook_errf(c->e, ENOMEM, "out of memory") : 0;
}

int fj_map(const struct fj_tree *t, const char *name, const struct fj_map_opts *o, struct fj_output *out,
           struct nook_err *e)
{
        struct fj_ctx c = { .t = t, .o = o, .out = out, .e = e };
        struct fj_emit m = { .c = &c, .file = 0 };

        memset(out, 0, sizeof(*out));
        if (fj_expand_noblack(&c) < 0)
                fj_oom(&c);
        facts(&c, 0);
        fj_fs_facts_done(&c);
        c.f.dbus_filter &= !c.f.dbus_none;
        if (!c.err)
                translate(&c, 0, &m);
        int r = c.err ? c.err : top(&c, name, &m, out);
        emit_free(&m);
        facts_free(&c.f);
        fj_free_noblack(&c);
        return r;
}

void fj_output_free(struct fj_output *out)
{
        free(out->text);
        strv_free(out->unsupported);
        memset(out, 0, sizeof(*out));
}
