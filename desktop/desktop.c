#include "desktop/desktop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/resolve.h"
#include "lib/fileutil.h"
#include "state/rundir.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

/* The session's sockets, bound read-only: connect(2) works through a
   read-only mount, chmod and unlink do not, so the sandbox cannot open the
   host's socket to others or take it away. */
static int add_bind(struct nook_spec *s, const char *src, const char *dst, struct nook_err *e)
{
        return spec_push_bind(s, src, dst, SPEC_BIND_RO, e);
}

__attribute__((format(printf, 3, 4))) static int set_env(struct nook_spec *s, struct nook_err *e, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        _cleanup_free_ char *buf = str_vdupf(fmt, ap);
        va_end(ap);
        if (!buf)
                return nook_errf(e, ENOMEM, "out of memory");
        return spec_add_env(s, SPEC_ENV_SET, buf, e);
}

/* A path of the host, dir/name (dir may be NULL), into path: one longer
   than the kernel takes is an error naming what it was for, never a cut
   path that names another file. */
static int host_path(char path[static PATH_MAX], const char *what, const char *dir, const char *name,
                     struct nook_err *e)
{
        if (str_fmt(path, PATH_MAX, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) == 0)
                return 0;
        return nook_errf(e, ENAMETOOLONG, "%s: the path %s%s%s is too long (over %d bytes)", what, dir ? nook_val(dir) : "",
                         dir ? "/" : "", nook_val(name), PATH_MAX - 1);
}

/* A path inside the sandbox, in the command's runtime directory
   (/run/user/UID/name: short, but checked all the same). */
static int inside_path(char dst[static 128], const struct nook_spec *s, const char *name, struct nook_err *e)
{
        if (str_fmt(dst, 128, "%s/%s", s->runtime_dir, name) == 0)
                return 0;
        return nook_errf(e, ENAMETOOLONG, "the path %s/%s inside the sandbox is too long", s->runtime_dir, name);
}

/* The path of this nook's run directory (state/rundir.c names it for
   nook's pid; it is made later), and name in it. */
static int run_path(char path[static PATH_MAX], const char *name, struct nook_err *e)
{
        char base[PATH_MAX], dir[PATH_MAX];

        rundir_base(base, sizeof(base));
        if (STR_FMT(dir, "%s/%d", base, (int)getpid()) < 0 || str_fmt(path, PATH_MAX, "%s/%s", dir, name) < 0)
                return nook_errf(e, ENAMETOOLONG, "the run directory %s/%d is too long for a path (over %d bytes; set XDG_RUNTIME_DIR to a shorter one)",
                                 nook_val(base), (int)getpid(), PATH_MAX - 1);
        return 0;
}

static bool is_socket(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool is_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The command's files nook writes (run directory, bound read-only): 0600,
   or 0644 where the command is another user than the sandbox's root (an
   image's User=), who could not read them otherwise. */
static bool other_user;

static int bind_nook_file(struct nook_spec *s, const char *name, const void *data, size_t len, const char *dst,
                          struct nook_err *e)
{
        char src[PATH_MAX];
        int r = run_path(src, name, e);

        if (r == 0)
                r = spec_push_nook_file(s, name, data, len, other_user ? 0644 : 0600, e);
        return r < 0 ? r : spec_push_bind(s, src, dst, SPEC_BIND_RO | SPEC_BIND_NOOKS, e);
}

/* A small file of the session (a cookie), whole; NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        return fd >= 0 ? read_all(fd, 1 << 20, len) : NULL;
}

/* The entries of an X authority file for display number, rewritten to
   match any host (FamilyWild), as Flatpak does: the sandbox's hostname
   (an image's is "nook") is not the host's, and no other display's cookie
   goes in. Entries: family, address, number, name, data; each but the
   family a 16-bit big-endian length and its bytes. */
static size_t xauth_filter(const unsigned char *in, size_t len, long number, unsigned char *out)
{
        char want[24];
        size_t o = 0, i = 0;

        if (STR_FMT(want, "%ld", number) < 0)
                return 0;       /* cannot be: a long's digits fit */
        while (i + 2 <= len) {
                size_t start = i, field[4][2];
                unsigned family = (unsigned)in[i] << 8 | in[i + 1];
                i += 2;
                bool ok = true;
                for (int f = 0; f < 4 && ok; f++) {
                        if (i + 2 > len) {
                                ok = false;
                                break;
                        }
                        size_t l = (size_t)in[i] << 8 | in[i + 1];
                        field[f][0] = i + 2;
                        field[f][1] = l;
                        i += 2 + l;
                        ok = i <= len;
                }
                if (!ok)
                        break;
                (void)start;
                bool local = family == 256 || family == 65535;
                if (!local || field[1][1] != strlen(want) || memcmp(in + field[1][0], want, field[1][1]) != 0)
                        continue;
                out[o++] = 0xff;        /* FamilyWild, no address */
                out[o++] = 0xff;
                out[o++] = 0;
                out[o++] = 0;
                for (int f = 1; f < 4; f++) {
                        out[o++] = (unsigned char)(field[f][1] >> 8);
                        out[o++] = (unsigned char)field[f][1];
                        memcpy(out + o, in + field[f][0], field[f][1]);
                        o += field[f][1];
                }
        }
        return o;
}

/* The session's runtime directory on the host, for sockets named in it. */
static const char *host_runtime_dir(const char *what, struct nook_err *e)
{
        const char *rt = getenv("XDG_RUNTIME_DIR");

        if (!rt || rt[0] != '/') {
                nook_errf(e, ENOENT, "%s needs XDG_RUNTIME_DIR, which is unset or not absolute (is this a desktop session?)", what);
                return NULL;
        }
        return rt;
}

/* DISPLAY=[unix]:N[.S] names a local X server and its socket
   /tmp/.X11-unix/XN; a host name before the colon is a remote one. */
static int resolve_x11(struct nook_spec *s, struct nook_err *e)
{
        const char *d = getenv("DISPLAY");
        char sock[128], auth[PATH_MAX];

        if (!d || !*d)
                return nook_errf(e, ENOENT, "Display=x11: DISPLAY is unset (is an X server running?)");
        const char *colon = strchr(d, ':');
        char *end;
        long n = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || n < 0 || n > 65535 || end == colon + 1 || (*end && *end != '.') ||
            (colon != d && strncmp(d, "unix:", 5) != 0))
                return nook_errf(e, EINVAL, "Display=x11: DISPLAY=%s is not a local display like :0 (nook passes only local sockets)",
                                 nook_val(d));
        if (STR_FMT(sock, "/tmp/.X11-unix/X%ld", n) < 0 || !is_socket(sock))
                return nook_errf(e, ENOENT, "Display=x11: no X server socket /tmp/.X11-unix/X%ld for DISPLAY=%s", n,
                                 nook_val(d));
        int r = add_bind(s, sock, sock, e);
        if (r == 0)
                r = set_env(s, e, "DISPLAY=:%ld", n);
        if (r == 0)
                r = spec_add_env(s, SPEC_ENV_UNSET, "WAYLAND_DISPLAY", e);
        /* this display's cookie, when the session has one: a copy with that
           entry alone */
        const char *xa = getenv("XAUTHORITY");
        const char *home = getenv("HOME");
        if (r == 0 && xa && *xa)
                r = host_path(auth, "Display=x11: XAUTHORITY", NULL, xa, e);
        else if (r == 0)
                r = host_path(auth, "Display=x11: the X authority file", home ? home : "", ".Xauthority", e);
        size_t len = 0, kept = 0;
        _cleanup_free_ char *all = r == 0 && auth[0] == '/' && is_file(auth) ? slurp(auth, &len) : NULL;
        _cleanup_free_ unsigned char *mine = all ? malloc(len + 16) : NULL;
        if (mine)
                kept = xauth_filter((const unsigned char *)all, len, n, mine);
        if (r == 0 && kept) {
                char dst[128];
                r = inside_path(dst, s, "Xauthority", e);
                if (r == 0)
                        r = bind_nook_file(s, "Xauthority", mine, kept, dst, e);
                if (r == 0)
                        r = set_env(s, e, "XAUTHORITY=%s", dst);
        } else if (r == 0) {
                r = spec_add_env(s, SPEC_ENV_UNSET, "XAUTHORITY", e);
        }
        return r;
}

static int resolve_wayland(struct nook_spec *s, struct nook_err *e)
{
        const char *w = getenv("WAYLAND_DISPLAY");
        char sock[PATH_MAX], dst[128];
        int r;

        if (!w || !*w)
                return nook_errf(e, ENOENT, "Display=wayland: WAYLAND_DISPLAY is unset (is this a Wayland session? Display=x11 for X)");
        if (w[0] == '/') {
                r = host_path(sock, "Display=wayland: WAYLAND_DISPLAY", NULL, w, e);
        } else {
                const char *rt = host_runtime_dir("Display=wayland", e);
                if (!rt)
                        return -e->code;
                r = host_path(sock, "Display=wayland: the socket of WAYLAND_DISPLAY", rt, w, e);
        }
        if (r < 0)
                return r;
        if (!is_socket(sock))
                return nook_errf(e, ENOENT, "Display=wayland: no Wayland socket %s", sock);
        struct stat st;
        if (other_user && stat(sock, &st) == 0 && !(st.st_mode & S_IWOTH))
                return nook_errf(e, EACCES, "Display=wayland: the image's user cannot use your compositor's socket %s (it is yours, root's inside): run as root inside (--uid 0) or use Display=x11", sock);
        r = inside_path(dst, s, "wayland-0", e);
        if (r == 0)
                r = add_bind(s, sock, dst, e);
        if (r == 0)
                r = set_env(s, e, "WAYLAND_DISPLAY=wayland-0");
        /* toolkits that can do both should not wander off to X */
        if (r == 0)
                r = spec_add_env(s, SPEC_ENV_UNSET, "DISPLAY", e);
        if (r == 0)
                r = spec_add_env(s, SPEC_ENV_UNSET, "XAUTHORITY", e);
        return r;
}

/* PulseAudio's socket (pipewire-pulse serves it too) and its cookie. */
static int bind_pulse(struct nook_spec *s, const char *rt, bool required, struct nook_err *e)
{
        char sock[PATH_MAX], dst[128], cookie[PATH_MAX];
        const char *home = getenv("HOME");
        const char *cfg = getenv("XDG_CONFIG_HOME");
        const char *what = required ? "Audio=pulseaudio" : "Audio=pipewire: PulseAudio's socket";
        int r = host_path(sock, what, rt, "pulse/native", e);

        if (r < 0)
                return r;
        if (!is_socket(sock))
                return required ? nook_errf(e, ENOENT, "Audio=pulseaudio: no PulseAudio socket %s (is the sound server running?)", sock)
                                : 0;
        r = inside_path(dst, s, "pulse/native", e);
        if (r == 0)
                r = add_bind(s, sock, dst, e);
        if (r == 0)
                r = set_env(s, e, "PULSE_SERVER=unix:%s", dst);
        if (r == 0 && cfg && cfg[0] == '/')
                r = host_path(cookie, "the PulseAudio cookie", cfg, "pulse/cookie", e);
        else if (r == 0)
                r = host_path(cookie, "the PulseAudio cookie", home ? home : "", ".config/pulse/cookie", e);
        size_t len = 0;
        _cleanup_free_ char *data = r == 0 && cookie[0] == '/' && is_file(cookie) ? slurp(cookie, &len) : NULL;
        if (data) {
                r = inside_path(dst, s, "pulse-cookie", e);
                if (r == 0)
                        r = bind_nook_file(s, "pulse-cookie", data, len, dst, e);
                if (r == 0)
                        r = set_env(s, e, "PULSE_COOKIE=%s", dst);
        }
        return r;
}

static int resolve_audio(struct nook_spec *s, struct nook_err *e)
{
        const char *what = s->audio == SPEC_AUDIO_PIPEWIRE ? "Audio=pipewire" : "Audio=pulseaudio";
        const char *rt = host_runtime_dir(what, e);

        if (!rt)
                return -e->code;
        if (s->audio == SPEC_AUDIO_PULSEAUDIO)
                return bind_pulse(s, rt, true, e);
        const char *remote = getenv("PIPEWIRE_REMOTE");
        char sock[PATH_MAX], dst[128];
        int r;
        if (remote && remote[0] == '/')
                r = host_path(sock, "Audio=pipewire: PIPEWIRE_REMOTE", NULL, remote, e);
        else
                r = host_path(sock, "Audio=pipewire: the PipeWire socket", rt, remote && *remote ? remote : "pipewire-0", e);
        if (r < 0)
                return r;
        if (!is_socket(sock))
                return nook_errf(e, ENOENT, "Audio=pipewire: no PipeWire socket %s (is PipeWire running?)", sock);
        r = inside_path(dst, s, "pipewire-0", e);
        if (r == 0)
                r = add_bind(s, sock, dst, e);
        if (r == 0)
                r = set_env(s, e, "PIPEWIRE_REMOTE=pipewire-0");
        /* most programs speak PulseAudio's protocol, which pipewire-pulse serves */
        return r == 0 ? bind_pulse(s, rt, false, e) : r;
}

static int resolve_gpu(struct nook_spec *s, struct nook_err *e)
{
        static const char *const nodes[] = { "/dev/dri", "/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-modeset",
                                             "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools" };
        bool any = false;

        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
                if (access(nodes[i], F_OK) != 0)
                        continue;
                any = true;
                int r = spec_add_device(s, nodes[i], e);
                if (r < 0)
                        return r;
        }
        if (!any && s->gpu == SPEC_GPU_YES)
                return nook_errf(e, ENOENT, "GPU=yes: this host has no GPU device nodes (no /dev/dri, no /dev/nvidia*)");
        return 0;
}

/* The session bus, when it is a socket path (abstract sockets are out of
   reach from a network namespace of the sandbox's own, and never bound). */
static int resolve_dbus(struct nook_spec *s, struct nook_err *e)
{
        const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");
        char path[PATH_MAX];
        int r;

        if (!a || !*a) {
                const char *rt = host_runtime_dir("DBus=filtered", e);
                if (!rt)
                        return -e->code;
                r = host_path(path, "DBus=filtered: the session bus", rt, "bus", e);
        } else {
                const char *p = strstr(a, "unix:path=");
                if (!p || (p != a && p[-1] != ';'))
                        return nook_errf(e, EINVAL, "DBus=filtered: the session bus address %s is not a unix:path= socket", nook_val(a));
                p += strlen("unix:path=");
                _cleanup_free_ char *sock = strndup(p, strcspn(p, ",;"));
                if (!sock)
                        return nook_errf(e, ENOMEM, "out of memory");
                r = host_path(path, "DBus=filtered: the session bus", NULL, sock, e);
        }
        if (r < 0)
                return r;
        if (!is_socket(path))
                return nook_errf(e, ENOENT, "DBus=filtered: no session bus socket %s (is a D-Bus session running?)", path);
        s->dbus_socket = strdup(path);
        if (!s->dbus_socket)
                return nook_errf(e, ENOMEM, "out of memory");
        /* the proxy's socket, in the run directory nook is about to make
           (state/rundir.c: named for nook's pid) */
        char proxy[PATH_MAX], dst[128];
        r = run_path(proxy, "bus", e);
        if (r == 0)
                r = inside_path(dst, s, "bus", e);
        if (r == 0)
                r = spec_push_bind(s, proxy, dst, SPEC_BIND_RO | SPEC_BIND_NOOKS, e);
        return r < 0 ? r : set_env(s, e, "DBUS_SESSION_BUS_ADDRESS=unix:path=%s", dst);
}

/* auto: Wayland when the session has a compositor socket, else X11 when it
   names an X server, else none: the program says itself that it has no
   display (and `firefox --version` still runs from a console). */
static void choose_display(struct nook_spec *s)
{
        const char *w = getenv("WAYLAND_DISPLAY"), *rt = getenv("XDG_RUNTIME_DIR"), *d = getenv("DISPLAY");
        char sock[PATH_MAX];

        /* a path too long for the kernel names no socket it could reach */
        if (w && *w) {
                int r;
                if (w[0] == '/')
                        r = STR_FMT(sock, "%s", w);
                else
                        r = STR_FMT(sock, "%s/%s", rt && rt[0] == '/' ? rt : "/nonexistent", w);
                if (r == 0 && is_socket(sock)) {
                        s->display = SPEC_DISPLAY_WAYLAND;
                        return;
                }
        }
        /* X11 only for a local server that is there (not ssh -X's
           localhost:10, not a stale :3) */
        long n = -1;
        char *end;
        if (d && d[0] == ':')
                n = strtol(d + 1, &end, 10);
        else if (d && strncmp(d, "unix:", 5) == 0)
                n = strtol(d + 5, &end, 10);
        if (n >= 0 && (*end == '\0' || *end == '.')) {
                bool there = STR_FMT(sock, "/tmp/.X11-unix/X%ld", n) == 0 && is_socket(sock);
                s->display = there ? SPEC_DISPLAY_X11 : SPEC_DISPLAY_NONE;
        } else {
                s->display = SPEC_DISPLAY_NONE;
        }
        if (s->verbose && s->display == SPEC_DISPLAY_NONE)
                fprintf(stderr, "nook: Display=auto: the session has no display nook can pass (no Wayland socket, no local X server)\n");
}

/* auto: PulseAudio's socket (which pipewire-pulse serves on PipeWire
   desktops) before PipeWire's own, which gives a client the whole media
   graph (cameras, screen casts, other programs' streams); else no sound
   (not an error). */
static void choose_audio(struct nook_spec *s)
{
        const char *rt = getenv("XDG_RUNTIME_DIR");
        char sock[PATH_MAX];

        /* a path too long for the kernel names no socket it could reach */
        s->audio = SPEC_AUDIO_NONE;
        if (!rt || rt[0] != '/')
                return;
        if (STR_FMT(sock, "%s/pulse/native", rt) == 0 && is_socket(sock)) {
                s->audio = SPEC_AUDIO_PULSEAUDIO;
                return;
        }
        if (STR_FMT(sock, "%s/pipewire-0", rt) == 0 && is_socket(sock))
                s->audio = SPEC_AUDIO_PIPEWIRE;
}

/* The session's variables of the parts not granted: without them a program
   does not go looking (through the host's abstract sockets, with
   --net host) for what it was not given. */
static int unset_not_granted(struct nook_spec *s, struct nook_err *e)
{
        static const char *const display[] = { "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "WAYLAND_SOCKET" };
        static const char *const audio[] = { "PULSE_SERVER", "PULSE_COOKIE", "PIPEWIRE_REMOTE" };
        int r = 0;

        for (size_t i = 0; r == 0 && s->display == SPEC_DISPLAY_NONE && i < ARRAY_SIZE(display); i++)
                r = spec_add_env(s, SPEC_ENV_UNSET, display[i], e);
        for (size_t i = 0; r == 0 && s->audio == SPEC_AUDIO_NONE && i < ARRAY_SIZE(audio); i++)
                r = spec_add_env(s, SPEC_ENV_UNSET, audio[i], e);
        if (r == 0 && s->dbus == SPEC_DBUS_NONE)
                r = spec_add_env(s, SPEC_ENV_UNSET, "DBUS_SESSION_BUS_ADDRESS", e);
        return r;
}

int desktop_resolve(struct nook_spec *s, uid_t uid, gid_t gid, struct nook_err *e)
{
        int r = 0;

        other_user = s->n_layers && uid != 0;
        if (s->display == SPEC_DISPLAY_AUTO)
                choose_display(s);
        if (s->audio == SPEC_AUDIO_AUTO)
                choose_audio(s);
        if (r == 0 && s->gpu != SPEC_GPU_NO)
                r = resolve_gpu(s, e);
        if (r == 0)
                r = unset_not_granted(s, e);
        if (r < 0 || (s->display == SPEC_DISPLAY_NONE && s->audio == SPEC_AUDIO_NONE && s->dbus == SPEC_DBUS_NONE))
                return r;
        /* XDG_RUNTIME_DIR inside: a small tmpfs of the command's own */
        if (asprintf(&s->runtime_dir, "/run/user/%u", (unsigned)uid) < 0) {
                s->runtime_dir = NULL;
                return nook_errf(e, ENOMEM, "out of memory");
        }
        /* the command's own, as a session's is: in an image the command's
           user may not be the sandbox's root, who mounts it */
        r = spec_push_tmpfs(s, s->runtime_dir, 1 << 20, 0700, e);
        if (r == 0 && s->n_layers && uid != 0) {
                struct spec_tmpfs *t = &s->tmpfs[s->n_tmpfs - 1];
                t->owned = true;
                t->uid = uid;
                t->gid = gid;
        }
        if (r == 0)
                r = set_env(s, e, "XDG_RUNTIME_DIR=%s", s->runtime_dir);
        if (r == 0 && s->display == SPEC_DISPLAY_X11)
                r = resolve_x11(s, e);
        if (r == 0 && s->display == SPEC_DISPLAY_WAYLAND)
                r = resolve_wayland(s, e);
        if (r == 0 && s->audio != SPEC_AUDIO_NONE)
                r = resolve_audio(s, e);
        if (r == 0 && s->dbus == SPEC_DBUS_FILTERED)
                r = resolve_dbus(s, e);
        return r;
}
