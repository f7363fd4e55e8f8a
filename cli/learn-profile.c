#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cli/learn-profile.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/learn-report.h"
#include "spec/narrow.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

/* One bind the profile will hold. */
struct target {
        char *path;
        bool rw, dir;
        unsigned long count;
        unsigned access;        /* OBS_* of what it stands for */
        char prog[16];
        bool dropped;
};

struct targets {
        struct target *t;
        size_t n, cap;
};

static void targets_free(struct targets *ts)
{
        for (size_t i = 0; i < ts->n; i++)
                free(ts->t[i].path);
        free(ts->t);
}

/* Adds path (copied), or merges into the one already there. */
static int target_add(struct targets *ts, const char *path, bool rw, bool dir, const struct obs_path *from)
{
        for (size_t i = 0; i < ts->n; i++) {
                struct target *t = &ts->t[i];
                if (strcmp(t->path, path) == 0) {
                        t->rw |= rw;
                        t->count += from->count;
                        t->access |= from->access;
                        return 0;
                }
        }
        if (ts->n == ts->cap) {
                size_t cap = ts->cap ? ts->cap * 2 : 64;
                struct target *n = reallocarray(ts->t, cap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                ts->t = n;
                ts->cap = cap;
        }
        char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        ts->t[ts->n] = (struct target){ .path = copy, .rw = rw, .dir = dir, .count = from->count, .access = from->access };
        memcpy(ts->t[ts->n].prog, from->prog, sizeof(from->prog));
        ts->n++;
        return 0;
}

static bool is_dir(const char *path, bool *exists)
{
        struct stat st;

        *exists = lstat(path, &st) == 0;
        return *exists && S_ISDIR(st.st_mode);
}

/* What one observed home path asks of the profile: a created or removed
   name needs its directory writable (unless that is the home itself, which
   stays an empty tmpfs: then the file, if it is still there); a file
   written in place needs itself; a file read or run, itself read-only. A
   name that does not exist now is not bound (bind needs a source), nor is a
   directory only listed. */
static int want_path(struct targets *ts, const struct obs_path *p, const char *home)
{
        bool exists, dir = is_dir(p->path, &exists);

        if ((p->access & OBS_MKDIR) && dir)
                return target_add(ts, p->path, true, true, p);
        if (p->access & (OBS_CREATE | OBS_REMOVE | OBS_MKDIR)) {
                _cleanup_free_ char *parent = strdup(p->path);
                if (!parent)
                        return -ENOMEM;
                *strrchr(parent, '/') = '\0';
                bool pexists, pdir = is_dir(parent, &pexists);
                if (pdir && strcmp(parent, home) != 0)
                        return target_add(ts, parent, true, true, p);
                return exists && !dir ? target_add(ts, p->path, true, false, p) : 0;
        }
        if (p->access & OBS_WRITE)
                return exists ? target_add(ts, p->path, true, dir, p) : 0;
        return exists && !dir ? target_add(ts, p->path, false, false, p) : 0;
}

static bool in_dir(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/');
}

/* Past LEARN_DIR_THRESHOLD files of one directory with the same access:
   the directory instead (never the home itself). */
static int collapse_dirs(struct targets *ts, const char *home)
{
        for (size_t i = 0; i < ts->n; i++) {
                struct target *t = &ts->t[i];
                if (t->dropped || t->dir)
                        continue;
                _cleanup_free_ char *parent = strdup(t->path);
                if (!parent)
                        return -ENOMEM;
                *strrchr(parent, '/') = '\0';
                if (strcmp(parent, home) == 0)
                        continue;
                bool rw = t->rw;
                struct obs_path sum = { .count = 0 };
                size_t n = 0;
                memcpy(sum.prog, t->prog, sizeof(sum.prog));
                for (size_t j = i; j < ts->n; j++) {
                        const struct target *s = &ts->t[j];
                        if (!s->dropped && !s->dir && s->rw == rw && in_dir(s->path, parent)) {
                                n++;
                                sum.count += s->count;
                                sum.access |= s->access;
                        }
                }
                if (n <= LEARN_DIR_THRESHOLD)
                        continue;
                for (size_t j = i; j < ts->n; j++)
                        if (!ts->t[j].dir && ts->t[j].rw == rw && in_dir(ts->t[j].path, parent))
                                ts->t[j].dropped = true;
                int r = target_add(ts, parent, rw, true, &sum);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_target(const void *a, const void *b)
{
        return strcmp(((const struct target *)a)->path, ((const struct target *)b)->path);
}

/* A bind below another that gives as much is not repeated; the count goes
   to the one kept. Sorted, an ancestor comes first. */
static void drop_covered(struct targets *ts)
{
        if (ts->n > 1)  /* qsort takes no NULL array, even empty */
                qsort(ts->t, ts->n, sizeof(*ts->t), cmp_target);
        for (size_t i = 0; i < ts->n; i++)
                for (size_t j = 0; j < i; j++) {
                        struct target *a = &ts->t[j], *t = &ts->t[i];
                        if (!a->dropped && (a->rw || !t->rw) && path_is_below(t->path, a->path)) {
                                t->dropped = true;
                                a->count += t->count;
                                break;
                        }
                }
}

static const char *what(unsigned access, bool rw)
{
        if (!rw)
                return access & OBS_EXEC ? "run" : "read";
        if (access & (OBS_CREATE | OBS_MKDIR | OBS_REMOVE))
                return "files made or removed there";
        return "written";
}

/* A name a Bind= line holds as it is: none of Bind='s separator, the
   variables' '$', the keyfile's escapes and " #" comments, control
   characters, nor a trailing blank, which the keyfile trims. */
static bool bindable(const char *rel)
{
        size_t n = strlen(rel);

        for (const char *c = rel; *c; c++)
                if ((unsigned char)*c < ' ' || *c == 0x7f || strchr(":$\\#", *c))
                        return false;
        return n > 0 && rel[n - 1] != ' ';
}

/* A bind follows a symbolic link: say where to, for the reader to judge. */
static void say_link(FILE *f, const char *path)
{
        char to[PATH_MAX];
        ssize_t n = readlink(path, to, sizeof(to) - 1);

        if (n <= 0)
                return;
        to[n] = '\0';
        fputs("# (a symbolic link: what is bound is its target, ", f);
        learn_put_text(f, to);
        fputs(")\n", f);
}

bool learn_home_value(const struct learn_facts *lf, const char *path, char *buf, size_t size)
{
        const char *name = "HOME", *under = lf->home;

        for (size_t i = 0; i < lf->n_vars; i++)
                if (path_is_below(path, lf->vars[i].path) && strlen(lf->vars[i].path) > strlen(under)) {
                        name = lf->vars[i].name;
                        under = lf->vars[i].path;
                }
        int n = snprintf(buf, size, "${%s}%s", name, path + strlen(under));
        return n >= 0 && (size_t)n < size;
}

bool learn_value_path(const struct learn_facts *lf, const char *value, char *buf, size_t size)
{
        const char *name = "HOME", *path = lf->home;

        for (size_t i = 0; i <= lf->n_vars; i++) {
                if (i > 0) {
                        name = lf->vars[i - 1].name;
                        path = lf->vars[i - 1].path;
                }
                size_t n = strlen(name);
                if (value[0] == '$' && value[1] == '{' && strncmp(value + 2, name, n) == 0 && value[2 + n] == '}') {
                        int w = snprintf(buf, size, "%s%s", path, value + 3 + n);
                        return w >= 0 && (size_t)w < size;
                }
        }
        int w = snprintf(buf, size, "%s", value);
        return w >= 0 && (size_t)w < size;
}

static void write_binds(FILE *f, const struct targets *ts, const struct learn_facts *lf)
{
        size_t hl = strlen(lf->home);
        char value[PATH_MAX + 32];

        for (size_t i = 0; i < ts->n; i++) {
                const struct target *t = &ts->t[i];
                const char *rel = t->path + hl;
                if (t->dropped)
                        continue;
                if (!bindable(rel)) {
                        fputs("# not bound (a name Bind= cannot hold): ~", f);
                        learn_put_text(f, rel);
                        fputc('\n', f);
                        continue;
                }
                fprintf(f, "# %s%s, %lu time%s, first by ", what(t->access, t->rw), t->dir ? " (a directory)" : "",
                        t->count, t->count == 1 ? "" : "s");
                learn_put_text(f, t->prog[0] ? t->prog : "?");
                fputc('\n', f);
                say_link(f, t->path);
                if (learn_home_value(lf, t->path, value, sizeof(value)))
                        fprintf(f, "%s=%s\n", t->rw ? "Bind" : "BindReadOnly", value);
                else
                        fprintf(f, "%s=${HOME}%s\n", t->rw ? "Bind" : "BindReadOnly", rel);
        }
}

/* The nodes every sandbox has (sandbox/plan.c), a terminal's, and the
   GPU's (GPU=yes) are no Device= line. */
static bool device_wanted(const char *path)
{
        static const char *const given[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                             "/dev/urandom", "/dev/tty", "/dev/ptmx", "/dev/console" };

        for (size_t i = 0; i < ARRAY_SIZE(given); i++)
                if (strcmp(path, given[i]) == 0)
                        return false;
        return !path_is_below(path, "/dev/pts") && !path_is_below(path, "/dev/dri") && learn_is_device(path);
}

static void write_devices(FILE *f, const struct observed *o)
{
        for (size_t i = 0; i < o->n_paths; i++) {
                const struct obs_path *p = &o->paths[i];
                if (!device_wanted(p->path) || !bindable(p->path))
                        continue;
                fprintf(f, "# a device, %lu time%s, first by ", p->count, p->count == 1 ? "" : "s");
                learn_put_text(f, p->prog);
                fprintf(f, "\nDevice=%s\n", p->path);
        }
}

/* Cwd=yes when something below the current directory was used (nook binds
   it read-write then, unless it is the home or above). */
static bool cwd_used(const struct observed *o, const char *cwd, const char *home)
{
        if (!cwd || path_is_below(home, cwd))
                return false;
        for (size_t i = 0; i < o->n_paths; i++)
                if (path_is_below(o->paths[i].path, cwd))
                        return true;
        return false;
}

static int write_filesystem(FILE *f, const struct observed *o, const struct learn_facts *lf, bool cwd)
{
        _cleanup_(targets_free) struct targets ts = { 0 };
        unsigned long outside = 0;

        for (size_t i = 0; i < o->n_paths; i++) {
                const struct obs_path *p = &o->paths[i];
                if (cwd && path_is_below(p->path, lf->cwd))
                        continue;
                if (!path_is_below(p->path, lf->home) || strcmp(p->path, lf->home) == 0) {
                        outside++;
                        continue;
                }
                int r = want_path(&ts, p, lf->home);
                if (r < 0)
                        return r;
        }
        int r = collapse_dirs(&ts, lf->home);
        if (r < 0)
                return r;
        drop_covered(&ts);
        fprintf(f, "\n[Filesystem]\n# the current directory %s\nCwd=%s\n", cwd ? "was used: read-write" : "was not used",
                cwd ? "yes" : "no");
        write_binds(f, &ts, lf);
        write_devices(f, o);
        fprintf(f, "# %lu other path%s outside the home: left to the base (the system read-only, a private /tmp)\n",
                outside, outside == 1 ? "" : "s");
        return 0;
}

/* What a unix socket's path says of the desktop: a display or sound
   server's, by the names their clients use. */
static void desktop_socket(const char *addr, const char *runtime, const char **display, const char **audio)
{
        const char *rel = runtime && path_is_below(addr, runtime) ? addr + strlen(runtime) : "";

        if (str_has_prefix(addr, "/tmp/.X11-unix/X") || str_has_prefix(addr, "@/tmp/.X11-unix/X"))
                *display = *display ? *display : "x11";
        else if (str_has_prefix(rel, "/wayland-"))
                *display = "wayland";
        else if (strcmp(rel, "/pulse/native") == 0)
                *audio = "pulseaudio";
        else if (str_has_prefix(rel, "/pipewire-"))
                *audio = *audio ? *audio : "pipewire";
}

/* [Desktop] when a display or sound server was connected to (Wayland and
   PulseAudio first: a client that tried both uses them), or a GPU node
   opened. */
static void write_desktop(FILE *f, const struct observed *o, const struct learn_facts *lf)
{
        const char *display = NULL, *audio = NULL;
        bool gpu = false;

        for (size_t i = 0; i < o->n_nets; i++)
                if (o->nets[i].family == AF_UNIX)
                        desktop_socket(o->nets[i].addr, lf->runtime, &display, &audio);
        for (size_t i = 0; i < o->n_paths; i++)
                gpu |= path_is_below(o->paths[i].path, "/dev/dri") && strcmp(o->paths[i].path, "/dev/dri") != 0;
        if (!display && !audio && !gpu && !lf->n_talk)
                return;
        fputs("\n[Desktop]\n", f);
        if (display)
                fprintf(f, "# a %s display server's socket was connected to\nDisplay=%s\n", display, display);
        if (audio)
                fprintf(f, "# a %s sound server's socket was connected to\nAudio=%s\n", audio, audio);
        if (gpu)
                fputs("# a GPU node under /dev/dri was opened\nGPU=yes\n", f);
        if (lf->n_talk)
                fputs("# the session bus, through xdg-dbus-proxy: the names called\nDBus=filtered\n", f);
        for (size_t i = 0; i < lf->n_talk; i++)
                fprintf(f, "Talk=%s\n", lf->talk[i]);
}

static bool is_loopback(const struct obs_net *n)
{
        return (n->family == AF_INET && str_has_prefix(n->addr, "127.")) || (n->family == AF_INET6 && strcmp(n->addr, "::1") == 0);
}

static void write_dest(FILE *f, const struct obs_net *n)
{
        fprintf(f, "# %s%s%s:%u, %lu time%s, first by ", n->family == AF_INET6 ? "[" : "", n->addr,
                n->family == AF_INET6 ? "]" : "", n->port, n->count, n->count == 1 ? "" : "s");
        learn_put_text(f, n->prog);
        fputc('\n', f);
        if (is_loopback(n))
                fprintf(f, "Allow=10.0.2.2:%u\n", n->port);     /* slirp's way to the host's loopback */
        else if (n->family == AF_INET6)
                fprintf(f, "Allow=[%s]:%u\n", n->addr, n->port);
        else
                fprintf(f, "Allow=%s:%u\n", n->addr, n->port);
}

/* bind(): a server. Said, never made a PublishPort=: whether it must be
   reached from outside is the user's call. */
static void write_listened(FILE *f, const struct obs_net *n)
{
        fputs("# listened on ", f);
        if (n->family == AF_UNIX)
                learn_put_text(f, n->addr);
        else
                fprintf(f, "%s%s%s:%u", n->family == AF_INET6 ? "[" : "", n->addr, n->family == AF_INET6 ? "]" : "",
                        n->port);
        fprintf(f, " (%lu time%s, first by ", n->count, n->count == 1 ? "" : "s");
        learn_put_text(f, n->prog);
        fputs(")", f);
        if (n->family != AF_UNIX)
                fputs(": to reach it from the host, add PublishPort= (never guessed)", f);
        fputc('\n', f);
}

/* SocketFamilies= of the families socket() was called with, when nook can
   name them all (none observed: the filter did not ask, or no socket). */
static void write_security(FILE *f, const struct observed *o)
{
        char list[256] = "";

        if (!o->families)
                return;
        for (int af = 0; af < 64; af++) {
                if (!(o->families & (UINT64_C(1) << af)))
                        continue;
                const char *name = spec_socket_family_name(af);
                if (!name) {
                        fprintf(f, "\n[Security]\n# socket family %d was used, which SocketFamilies= cannot name: "
                                "no SocketFamilies=\n", af);
                        return;
                }
                /* ten names of at most 9 characters: always fits */
                if (list[0])
                        strncat(list, ",", sizeof(list) - strlen(list) - 1);
                strncat(list, name, sizeof(list) - strlen(list) - 1);
        }
        fprintf(f, "\n[Security]\n# the socket families the run made sockets of\nSocketFamilies=%s\n", list);
}

/* Mode=none without an inet connect; else slirp, Allow= per destination
   (the host's loopback through slirp's 10.0.2.2), DNS through slirp's
   forwarder when a name server was asked (port 53). */
static void write_network(FILE *f, const struct observed *o)
{
        bool inet = false, dns = false, loop = false, v6 = false;

        for (size_t i = 0; i < o->n_nets; i++) {
                const struct obs_net *n = &o->nets[i];
                if (n->family == AF_UNIX || n->port == 0 || n->bound)
                        continue;
                inet = true;
                /* a name server, wherever it is, is slirp's forwarder */
                dns |= n->port == 53;
                loop |= is_loopback(n) && n->port != 53;
                v6 |= n->family == AF_INET6 && !is_loopback(n) && n->port != 53;
        }
        fprintf(f, "\n[Network]\n");
        if (!inet)
                fprintf(f, "# no inet socket was connected\nMode=none\n");
        else
                fprintf(f, "Mode=slirp\n%s%s", loop ? "AllowHostLoopback=yes\n" : "", v6 ? "IPv6=yes\n" : "");
        if (dns)
                fprintf(f, "# names were resolved: slirp's DNS forwarder\nAllow=10.0.2.3:53\n");
        for (size_t i = 0; i < o->n_nets; i++) {
                const struct obs_net *n = &o->nets[i];
                if (n->bound) {
                        write_listened(f, n);
                } else if (n->family == AF_UNIX) {
                        fputs("# a unix socket, not bound: ", f);
                        learn_put_text(f, n->addr);
                        fprintf(f, " (%lu, first by ", n->count);
                        learn_put_text(f, n->prog);
                        fputs(")\n", f);
                } else if (n->port != 0 && n->port != 53)
                        write_dest(f, n);
        }
}

int learn_profile_write(FILE *f, const struct observed *o, const struct learn_facts *lf, struct nook_err *e)
{
        bool cwd = cwd_used(o, lf->cwd, lf->home);

        fprintf(f, "# Learnt by nook learn from one run of:");
        for (size_t i = 0; lf->argv[i]; i++) {
                fputc(' ', f);
                learn_put_text(f, lf->argv[i]);
        }
        fprintf(f, "\n#\n# What that run used beyond the profile '%s': %lu calls observed. Observation\n"
                "# only: what the run did not reach is not here; read it before trusting it.\n", lf->base,
                o->notifications);
        learn_put_over(f, o, "# ");
        fputs("\n[Profile]\nDescription=Learnt from a run of ", f);
        learn_put_text(f, lf->argv[0]);
        fprintf(f, "\nInclude=%s\n", lf->base);
        int r = write_filesystem(f, o, lf, cwd);
        if (r < 0)
                return nook_errf(e, -r, "cannot write the learnt profile: %m");
        write_network(f, o);
        write_security(f, o);
        write_desktop(f, o, lf);
        if (ferror(f))
                return nook_errf(e, EIO, "cannot write the learnt profile");
        return 0;
}
