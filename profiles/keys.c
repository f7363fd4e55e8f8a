#include "profiles/keys.h"

#include <errno.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/suggest.h"
#include "spec/fake-ids.h"
#include "spec/narrow.h"

static int parse_bool(const char *v, bool *out, struct nook_err *e)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(v, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcmp(v, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return nook_errf(e, EINVAL, "'%s' is not a boolean (use yes or no)", nook_val(v));
}

static int k_description(struct nook_spec *s, const char *v, struct nook_err *e)
{
        free(s->description);
        s->description = strdup(v);
        return s->description ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int k_command(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return spec_set_command(s, v, e);
}

static int k_workdir(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (v[0] != '/')
                return nook_errf(e, EINVAL, "working directory '%s' is not an absolute path", nook_val(v));
        free(s->chdir);
        s->chdir = strdup(v);
        return s->chdir ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* User=/Group=: keep (the caller's own id), root (0) or a number. */
static int set_id(struct nook_spec *s, bool gid, const char *v, struct nook_err *e)
{
        if (strcmp(v, "keep") == 0) {
                if (gid)
                        s->gid_set = false;
                else
                        s->uid_set = false;
                return 0;
        }
        return spec_set_id(s, gid, strcmp(v, "root") == 0 ? "0" : v, e);
}

static int k_user(struct nook_spec *s, const char *v, struct nook_err *e) { return set_id(s, false, v, e); }
static int k_group(struct nook_spec *s, const char *v, struct nook_err *e) { return set_id(s, true, v, e); }

/* NAME=VALUE sets; a bare NAME passes the caller's own value */
static int k_env(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return spec_add_env(s, strchr(v, '=') ? SPEC_ENV_SET : SPEC_ENV_PASS, v, e);
}
static int k_unsetenv(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_env(s, SPEC_ENV_UNSET, v, e); }

static int k_clearenv(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->clearenv, e);
}

static int k_fake_ids(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return spec_fake_ids_parse(v, &s->fake_ids_want, e);
}

static int k_hostname(struct nook_spec *s, const char *v, struct nook_err *e)
{
        size_t n = strlen(v);

        if (n == 0 || n > 64 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n ||
            v[0] == '-' || v[0] == '.')
                return nook_errf(e, EINVAL, "hostname '%s' is not valid (1 to 64 letters, digits, '-' and '.')", nook_val(v));
        free(s->hostname);
        s->hostname = strdup(v);
        return s->hostname ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int k_bind(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_bind(s, v, 0, e); }
static int k_bind_ro(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_bind(s, v, SPEC_BIND_RO, e); }

/* BindTry=SRC[:DST[:ro]]: one key for both modes, like Bind=. */
static int k_bind_try(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return spec_add_bind(s, v, SPEC_BIND_TRY, e);
}

static int k_tmpfs(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_tmpfs(s, v, e); }
static int k_hide(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_hide(s, v, e); }
static int k_private_etc(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_private_etc(s, v, e); }
static int k_private_bin(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_private_bin(s, v, e); }
static int k_machine_id(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_set_machine_id(s, v, e); }
static int k_home(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_set_home(s, v, e); }
static int k_device(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_device(s, v, e); }

static int k_cwd(struct nook_spec *s, const char *v, struct nook_err *e)
{
        bool yes;
        int r = parse_bool(v, &yes, e);
        if (r == 0) {
                s->no_cwd = !yes;
                s->cwd_set = true;
        }
        return r;
}

static int k_image(struct nook_spec *s, const char *v, struct nook_err *e)
{
        free(s->image);
        s->image = strdup(v);
        return s->image ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int k_overlay(struct nook_spec *s, const char *v, struct nook_err *e)
{
        static const char *const modes[] = { "auto", "kernel", "fuse" };

        for (int i = 0; i < 3; i++)
                if (strcmp(v, modes[i]) == 0) {
                        s->overlay = i;
                        return 0;
                }
        return nook_errf(e, EINVAL, "overlay '%s' is not one of auto, kernel, fuse", nook_val(v));
}

static int k_persist(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->persist, e);
}

static int k_read_only(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->read_only, e);
}

static int k_name(struct nook_spec *s, const char *v, struct nook_err *e)
{
        size_t n = strlen(v);

        if (n == 0 || n > 64 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n ||
            v[0] == '.' || v[0] == '-')
                return nook_errf(e, EINVAL, "sandbox name '%s' is not valid (1 to 64 letters, digits, '_', '.', '-')", nook_val(v));
        /* ids are numbers: nook stop 4242 must mean one sandbox */
        if (strspn(v, "0123456789") == n)
                return nook_errf(e, EINVAL, "sandbox name '%s' is only digits, which nook ps uses for ids (put a letter in it)", nook_val(v));
        free(s->name);
        s->name = strdup(v);
        return s->name ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int k_netmode(struct nook_spec *s, const char *v, struct nook_err *e)
{
        bool none = strcmp(v, "none") == 0, host = strcmp(v, "host") == 0;
        bool slirp = strcmp(v, "slirp") == 0, pasta = strcmp(v, "pasta") == 0;

        if (!none && !host && !slirp && !pasta)
                return nook_errf(e, EINVAL, "network mode '%s' is not one of none, host, slirp, pasta", nook_val(v));
        s->share_net = host;
        s->slirp = slirp;
        s->pasta = pasta;
        return 0;
}

static int k_publish(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_port(s, v, e); }
static int k_allow(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_net_rule(s, true, v, e); }
static int k_deny(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_net_rule(s, false, v, e); }
static int k_dns(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_dns(s, v, e); }

static int k_host_loopback(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->host_loopback, e);
}

static int k_ipv6(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->ipv6, e);
}

static int k_seccomp(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (strcmp(v, "default") == 0)
                s->seccomp = SPEC_SECCOMP_DEFAULT;
        else if (strcmp(v, "none") == 0)
                s->seccomp = SPEC_SECCOMP_NONE;
        else if (strcmp(v, "strict") == 0 || strchr(v, '/'))
                return nook_errf(e, ENOTSUP, "seccomp '%s' is not supported yet; use default or none", nook_val(v));
        else
                return nook_errf(e, EINVAL, "seccomp '%s' is not a mode (use 'default' or 'none')", nook_val(v));
        return 0;
}

static int k_socket_families(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return spec_add_socket_families(s, v, e);
}

static int k_mdwe(struct nook_spec *s, const char *v, struct nook_err *e)
{
        return parse_bool(v, &s->mdwe, e);
}

static int k_sys_deny(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_syscall(s, false, v, e); }
static int k_sys_allow(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_add_syscall(s, true, v, e); }
static int k_caps(struct nook_spec *s, const char *v, struct nook_err *e) { return spec_set_caps(s, v, e); }

#define LIMIT(name, which) \
        static int k_##name(struct nook_spec *s, const char *v, struct nook_err *e) \
        { return spec_set_limit(s, which, v, e); }
LIMIT(nofile, SPEC_LIMIT_NOFILE)
LIMIT(nproc, SPEC_LIMIT_NPROC)
LIMIT(cpu, SPEC_LIMIT_CPU)
LIMIT(fsize, SPEC_LIMIT_FSIZE)
LIMIT(core, SPEC_LIMIT_CORE)
LIMIT(stack, SPEC_LIMIT_STACK)
LIMIT(as, SPEC_LIMIT_AS)

static int k_display(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (strcmp(v, "none") == 0)
                s->display = SPEC_DISPLAY_NONE;
        else if (strcmp(v, "x11") == 0)
                s->display = SPEC_DISPLAY_X11;
        else if (strcmp(v, "wayland") == 0)
                s->display = SPEC_DISPLAY_WAYLAND;
        else if (strcmp(v, "auto") == 0)
                s->display = SPEC_DISPLAY_AUTO;
        else
                return nook_errf(e, EINVAL, "display '%s' is not one of wayland, x11, auto, none", nook_val(v));
        return 0;
}

static int k_audio(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (strcmp(v, "none") == 0)
                s->audio = SPEC_AUDIO_NONE;
        else if (strcmp(v, "pulseaudio") == 0)
                s->audio = SPEC_AUDIO_PULSEAUDIO;
        else if (strcmp(v, "pipewire") == 0)
                s->audio = SPEC_AUDIO_PIPEWIRE;
        else if (strcmp(v, "auto") == 0)
                s->audio = SPEC_AUDIO_AUTO;
        else
                return nook_errf(e, EINVAL, "audio '%s' is not one of pipewire, pulseaudio, auto, none", nook_val(v));
        return 0;
}

static int k_dbus(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (strcmp(v, "none") == 0)
                s->dbus = SPEC_DBUS_NONE;
        else if (strcmp(v, "filtered") == 0)
                s->dbus = SPEC_DBUS_FILTERED;
        else
                return nook_errf(e, EINVAL, "D-Bus mode '%s' is not one of filtered, none", nook_val(v));
        return 0;
}

/* A well-known bus name (org.example.App), or a prefix of them with .*:
   0, or -errno with e said. Own= is refused every org.freedesktop name,
   where the desktop's own services live (a sandbox that owned one would
   stand in for it). */
static int check_bus_name(const char *key, const char *v, struct nook_err *e)
{
        size_t n = strlen(v), body = n >= 2 && strcmp(v + n - 2, ".*") == 0 ? n - 2 : n;

        if (body == 0 || n > 255 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < body ||
            !memchr(v, '.', body) || v[0] == '.' || v[0] == ':' || (v[0] >= '0' && v[0] <= '9') || strstr(v, "..") ||
            v[body - 1] == '.')
                return nook_errf(e, EINVAL, "'%s' is not a D-Bus name (like org.freedesktop.Notifications, or org.example.*)", nook_val(v));
        /* a prefix that covers the services that run programs outside any
           sandbox (systemd's, Flatpak's) is one nook will not hand out;
           name those one by one if you must */
        static const char *const wide[] = { "org.freedesktop", "org.freedesktop.systemd1", "org.freedesktop.Flatpak",
                                            "org.freedesktop.portal" };
        for (size_t i = 0; body < n && i < sizeof(wide) / sizeof(wide[0]); i++) {
                size_t l = strlen(wide[i]);
                if (body <= l && strncmp(wide[i], v, body) == 0 && (body == l || wide[i][body] == '.'))
                        return nook_errf(e, EPERM, "%s=%s covers %s, which can run programs outside the sandbox: name the services you need one by one",
                                         key, v, wide[i]);
        }
        if (strcmp(key, "Own") == 0 && strncmp(v, "org.freedesktop.", 16) == 0)
                return nook_errf(e, EPERM, "Own=%s: the org.freedesktop names are the desktop's own services; a sandbox may not own one",
                                 v);
        return 0;
}

static int k_talk(struct nook_spec *s, const char *v, struct nook_err *e)
{
        int r = check_bus_name("Talk", v, e);

        if (r == 0 && strv_push(&s->talk, &s->n_talk, v) < 0)
                r = nook_errf(e, ENOMEM, "out of memory");
        return r;
}

static int k_own(struct nook_spec *s, const char *v, struct nook_err *e)
{
        int r = check_bus_name("Own", v, e);

        if (r == 0 && strv_push(&s->own, &s->n_own, v) < 0)
                r = nook_errf(e, ENOMEM, "out of memory");
        return r;
}

static int k_gpu(struct nook_spec *s, const char *v, struct nook_err *e)
{
        bool on;

        if (strcmp(v, "auto") == 0) {
                s->gpu = SPEC_GPU_AUTO;
                return 0;
        }
        int r = parse_bool(v, &on, e);
        if (r == 0)
                s->gpu = on ? SPEC_GPU_YES : SPEC_GPU_NO;
        return r;
}

static int k_desktop_name(struct nook_spec *s, const char *v, struct nook_err *e)
{
        free(s->desktop_name);
        s->desktop_name = strdup(v);
        return s->desktop_name ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int k_icon(struct nook_spec *s, const char *v, struct nook_err *e)
{
        free(s->icon);
        s->icon = strdup(v);
        return s->icon ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

#define IMAGES "images"
#define NETWORKING "networking"

const struct key_def key_table[] = {
        { "Profile", "Description", KEY_META, NULL, NULL, k_description, NULL },
        { "Profile", "Include", KEY_META | KEY_LIST, "profile", NULL, NULL, NULL },

        { "Image", "Image", 0, "image", NULL, k_image, NULL },
        { "Image", "Overlay", 0, "overlay", NULL, k_overlay, NULL },
        { "Image", "Persist", KEY_FLAG, "persist", "yes", k_persist, NULL },
        { "Image", "ReadOnly", KEY_FLAG, "read-only", "yes", k_read_only, NULL },
        { "Image", "Name", 0, "name", NULL, k_name, NULL },

        { "Run", "Command", 0, NULL, NULL, k_command, NULL },
        { "Run", "WorkingDirectory", 0, "chdir", NULL, k_workdir, NULL },
        { "Run", "User", 0, "uid", NULL, k_user, NULL },
        { "Run", "Group", 0, "gid", NULL, k_group, NULL },
        { "Run", "Environment", KEY_LIST, "env", NULL, k_env, NULL },
        { "Run", "UnsetEnvironment", KEY_LIST, "unsetenv", NULL, k_unsetenv, NULL },
        { "Run", "ClearEnvironment", KEY_FLAG, "clearenv", "yes", k_clearenv, NULL },
        { "Run", "Hostname", 0, "hostname", NULL, k_hostname, NULL },
        { "Run", "FakeIds", 0, "fake-ids", NULL, k_fake_ids, NULL },

        { "Filesystem", "Bind", KEY_LIST, "bind", NULL, k_bind, NULL },
        { "Filesystem", "BindReadOnly", KEY_LIST, "ro-bind", NULL, k_bind_ro, NULL },
        { "Filesystem", "BindTry", KEY_LIST, "bind-try", NULL, k_bind_try, NULL },
        { "Filesystem", "Tmpfs", KEY_LIST, "tmpfs", NULL, k_tmpfs, NULL },
        { "Filesystem", "Hide", KEY_LIST, "hide", NULL, k_hide, NULL },
        { "Filesystem", "Home", 0, "home", NULL, k_home, NULL },
        { "Filesystem", "Cwd", KEY_FLAG, "no-cwd", "no", k_cwd, NULL },
        { "Filesystem", "Device", KEY_LIST, "device", NULL, k_device, NULL },
        { "Filesystem", "PrivateEtc", KEY_LIST, "private-etc", NULL, k_private_etc, NULL },
        { "Filesystem", "PrivateBin", KEY_LIST, "private-bin", NULL, k_private_bin, NULL },
        { "Filesystem", "MachineId", 0, "machine-id", NULL, k_machine_id, NULL },

        { "Network", "Mode", 0, "net", NULL, k_netmode, NULL },
        { "Network", "PublishPort", KEY_LIST, "publish", NULL, k_publish, NULL },
        { "Network", "AllowHostLoopback", KEY_FLAG, "allow-host-loopback", "yes", k_host_loopback, NULL },
        { "Network", "Allow", KEY_LIST, "allow", NULL, k_allow, NULL },
        { "Network", "Deny", KEY_LIST, "deny", NULL, k_deny, NULL },
        { "Network", "DNS", KEY_LIST, "dns", NULL, k_dns, NULL },
        { "Network", "IPv6", 0, "ipv6", NULL, k_ipv6, NULL },

        { "Security", "Seccomp", 0, "seccomp", NULL, k_seccomp, NULL },
        { "Security", "SyscallDeny", KEY_LIST, "syscall-deny", NULL, k_sys_deny, NULL },
        { "Security", "SocketFamilies", KEY_LIST, "socket-families", NULL, k_socket_families, NULL },
        { "Security", "MemoryDenyWriteExecute", KEY_FLAG, "memory-deny-write-execute", "yes", k_mdwe, NULL },
        { "Security", "SyscallAllow", KEY_LIST, "syscall-allow", NULL, k_sys_allow, NULL },
        { "Security", "Capabilities", 0, "caps", NULL, k_caps, NULL },

        { "Limits", "NoFile", 0, "limit-nofile", NULL, k_nofile, NULL },
        { "Limits", "Processes", 0, "limit-processes", NULL, k_nproc, NULL },
        { "Limits", "CPUTime", 0, "limit-cputime", NULL, k_cpu, NULL },
        { "Limits", "FileSize", 0, "limit-filesize", NULL, k_fsize, NULL },
        { "Limits", "Core", 0, "limit-core", NULL, k_core, NULL },
        { "Limits", "Stack", 0, "limit-stack", NULL, k_stack, NULL },
        { "Limits", "AddressSpace", 0, "limit-addressspace", NULL, k_as, NULL },

        { "Desktop", "Display", 0, "display", NULL, k_display, NULL },
        { "Desktop", "Audio", 0, "audio", NULL, k_audio, NULL },
        { "Desktop", "DBus", 0, "dbus", NULL, k_dbus, NULL },
        { "Desktop", "Talk", KEY_LIST, "talk", NULL, k_talk, NULL },
        { "Desktop", "Own", KEY_LIST, "own", NULL, k_own, NULL },
        { "Desktop", "GPU", 0, "gpu", NULL, k_gpu, NULL },
        { "Desktop", "Name", 0, "desktop-name", NULL, k_desktop_name, NULL },
        { "Desktop", "Icon", 0, "icon", NULL, k_icon, NULL },
};
const size_t key_table_size = ARRAY_SIZE(key_table);

static const char *const sections[] = { "Profile", "Image", "Run", "Filesystem", "Network", "Security", "Limits", "Desktop" };

const struct key_def *key_lookup(const char *section, const char *key)
{
        for (size_t i = 0; i < key_table_size; i++)
                if (strcmp(key_table[i].section, section) == 0 && strcmp(key_table[i].key, key) == 0)
                        return &key_table[i];
        return NULL;
}

bool key_section_known(const char *section)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (strcmp(sections[i], section) == 0)
                        return true;
        return false;
}

const char *key_suggest(const char *section, const char *key)
{
        const char *names[ARRAY_SIZE(key_table)];
        size_t n = 0;
        bool known = key_section_known(section);

        for (size_t i = 0; i < key_table_size; i++)
                if (!known || strcmp(key_table[i].section, section) == 0)
                        names[n++] = key_table[i].key;
        return suggest_closest(key, names, n);
}

const char *key_suggest_section(const char *section)
{
        return suggest_closest(section, (const char *const *)sections, ARRAY_SIZE(sections));
}

const char *key_home_section(const char *key)
{
        for (size_t i = 0; i < key_table_size; i++)
                if (strcmp(key_table[i].key, key) == 0)
                        return key_table[i].section;
        return NULL;
}

const struct key_def *key_by_option(const char *option)
{
        for (size_t i = 0; i < key_table_size; i++)
                if (key_table[i].option && strcmp(key_table[i].option, option) == 0)
                        return &key_table[i];
        return NULL;
}
