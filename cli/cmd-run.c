#include "cli/cmd-run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fs/resolve.h"
#include "lib/fileutil.h"
#include "netns/egress.h"
#include "netns/resolv.h"
#include "state/rundir.h"
#include "profiles/loader.h"
#include "lib/cleanup.h"
#include "desktop/desktop.h"
#include "spec/host.h"
#include "sandbox/landlock.h"
#include "sandbox/launch.h"
#include "sandbox/plan.h"
#include "state/runlog.h"
#include "state/runstate.h"
#include "sandbox/seccomp.h"
#include "lib/strutil.h"
#include "lib/suggest.h"
#include "cred/userns.h"
#include "image/store.h"
#include "spec/image-spec.h"

enum {
        OPT_KEY = 0x100,        /* options that are profile keys: looked up by name */
        OPT_SHARE_NET,
        OPT_FD,
        OPT_PROFILE,
        OPT_NOPROFILE,
        OPT_STORE,
        OPT_MAP,
        OPT_VERSION,
        OPT_DETACH,
        OPT_VOLUME,
        OPT_ENTRYPOINT,
        OPT_RM,
};

#define KEYOPT(name, arg) { name, arg, NULL, OPT_KEY }

static const struct option run_options[] = {
        KEYOPT("bind", required_argument),
        KEYOPT("ro-bind", required_argument),
        KEYOPT("bind-try", required_argument),
        KEYOPT("tmpfs", required_argument),
        KEYOPT("hide", required_argument),
        KEYOPT("home", required_argument),
        KEYOPT("device", required_argument),
        KEYOPT("no-cwd", no_argument),
        KEYOPT("chdir", required_argument),
        { "workdir", required_argument, NULL, 'w' },
        { "volume", required_argument, NULL, OPT_VOLUME },
        { "env", required_argument, NULL, 'e' },
        KEYOPT("unsetenv", required_argument),
        KEYOPT("clearenv", no_argument),
        KEYOPT("uid", required_argument),
        KEYOPT("gid", required_argument),
        { "user", required_argument, NULL, 'u' },
        { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
        KEYOPT("hostname", required_argument),
        KEYOPT("net", required_argument),
        { "publish", required_argument, NULL, 'p' },
        KEYOPT("allow", required_argument),
        KEYOPT("deny", required_argument),
        KEYOPT("dns", required_argument),
        KEYOPT("allow-host-loopback", no_argument),
        KEYOPT("ipv6", required_argument),
        { "share-net", no_argument, NULL, OPT_SHARE_NET },
        KEYOPT("seccomp", required_argument),
        KEYOPT("syscall-deny", required_argument),
        KEYOPT("syscall-allow", required_argument),
        KEYOPT("caps", required_argument),
        KEYOPT("limit-nofile", required_argument),
        KEYOPT("limit-processes", required_argument),
        KEYOPT("limit-cputime", required_argument),
        KEYOPT("limit-filesize", required_argument),
        KEYOPT("limit-core", required_argument),
        KEYOPT("limit-stack", required_argument),
        KEYOPT("limit-addressspace", required_argument),
        { "fd", required_argument, NULL, OPT_FD },
        KEYOPT("display", required_argument),
        KEYOPT("audio", required_argument),
        KEYOPT("dbus", required_argument),
        KEYOPT("talk", required_argument),
        KEYOPT("gpu", required_argument),
        KEYOPT("desktop-name", required_argument),
        KEYOPT("icon", required_argument),
        KEYOPT("image", required_argument),
        KEYOPT("overlay", required_argument),
        KEYOPT("name", required_argument),
        KEYOPT("persist", no_argument),
        { "store", required_argument, NULL, OPT_STORE },
        { "map", required_argument, NULL, OPT_MAP },
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "noprofile", no_argument, NULL, OPT_NOPROFILE },
        { "verbose", no_argument, NULL, 'v' },
        { "detach", no_argument, NULL, 'd' },
        { "tty", no_argument, NULL, 't' },
        { "interactive", no_argument, NULL, 'i' },
        { "rm", no_argument, NULL, OPT_RM },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
};

void run_usage(FILE *out)
{
        fputs("Usage: nook run [OPTIONS] [--] COMMAND [ARG...]\n"
              "       nook run [OPTIONS] PROFILE [ARG...]\n"
              "       nook run [OPTIONS] PROFILE -- COMMAND [ARG...]\n"
              "       nook run [OPTIONS] IMAGE [-- COMMAND [ARG...]]\n"
              "\n"
              "Run COMMAND in a sandbox built from the host system: /usr, /etc and /opt\n"
              "read-only, a fresh /proc and minimal /dev, private /tmp /run /var/tmp, an\n"
              "empty home, the current directory read-write (unless it is your home or\n"
              "above it), no network but lo, no capabilities, and a seccomp filter. The\n"
              "user keeps their uid and gid.\n"
              "A PROFILE (see nook.profile(5) and 'nook profile ls') describes a sandbox\n"
              "and its command: ARGs are appended to its Command=, '-- COMMAND' replaces\n"
              "it. Options come before the profile's name and override it. Without a\n"
              "profile, the 'default' one. Under a terminal the command gets a new one,\n"
              "which nook relays: yours never enters the sandbox (nook(1), TERMINALS).\n"
              "\n"
              "Images:\n"
              "      --image NAME          run the image NAME from the store (nook image ls);\n"
              "                            a bare name that is no profile is looked up there\n"
              "      --overlay MODE        auto (kernel overlayfs when the kernel allows it\n"
              "                            in a user namespace, else fuse-overlayfs),\n"
              "                            kernel or fuse\n"
              "      --name NAME           name the sandbox (nook ps, stop, enter know it\n"
              "                            by it; unique among running sandboxes)\n"
              "      --persist             keep its writable layer (with --name): the next\n"
              "                            run with that name resumes it; 'nook rm NAME'\n"
              "                            deletes it\n"
              "      --map MODE            auto, range (/etc/subuid) or single\n"
              "      --store DIR           the image store (default $XDG_DATA_HOME/nook)\n"
              "\n"
              "Profiles:\n"
              "      --profile NAME|FILE   use this profile (the same as naming it first)\n"
              "      --noprofile           use no profile at all, options only\n"
              "\n"
              "Filesystem:\n"
              "      --bind SRC[:DST][:ro]  bind host path SRC at DST (default: SRC),\n"
              "                            read-write unless :ro\n"
              "      --ro-bind SRC[:DST]   the same, read-only\n"
              "      --bind-try SRC[:DST][:ro]  the same, skipped when SRC does not exist\n"
              "      --tmpfs DST[:size=N][,mode=0NNN]  a fresh tmpfs at DST; N takes K,\n"
              "                            M, G, T; its root's mode (default 0755)\n"
              "      --hide PATH           cover PATH with an empty, unreadable, read-only node\n"
              "      --home MODE           tmpfs (empty, the default), private (kept per\n"
              "                            profile), host (your real home), none\n"
              "      --device [-]PATH      bind the host device node (or directory of them)\n"
              "                            PATH under /dev, usable; '-': skip when missing\n"
              "      --no-cwd              do not bind the current directory\n"
              "      --chdir DIR           start the command in DIR (inside the sandbox)\n"
              "  -w, --workdir DIR         the same as --chdir (podman's spelling)\n"
              "      --volume SRC:DST[:ro]  the same as --bind (podman's -v is not one:\n"
              "                            nook's -v is --verbose)\n"
              "\n"
              "Environment and identity:\n"
              "  -e, --env K=V             set K to V for the command\n"
              "  -e, --env K               pass your own K, even one that looks like a secret\n"
              "                            (those are not passed otherwise: see nook(1))\n"
              "      --unsetenv K          remove K from the command's environment\n"
              "      --clearenv            start from an empty environment (then --env applies)\n"
              "      --uid N, --gid N      run as uid/gid N inside (0 to 4294967294)\n"
              "  -u, --user USER[:GROUP]   run as USER (a name or an id) and GROUP: an\n"
              "                            image's are looked up in its /etc/passwd and\n"
              "                            /etc/group, a host sandbox's in the host's\n"
              "      --entrypoint CMD      an image's: replaces its Entrypoint (and its\n"
              "                            Cmd, as in podman); '' clears it; one word\n"
              "      --hostname NAME       the sandbox's hostname\n"
              "\n"
              "Isolation:\n"
              "      --net MODE            none (a private lo, the default), host, slirp\n"
              "                            (slirp4netns: outbound access) or pasta\n"
              "  -p, --publish [IP:]HOST_PORT:PORT[/tcp|/udp]  publish a port of the sandbox\n"
              "                            on the host (IP defaults to 127.0.0.1)\n"
              "      --allow CIDR[:PORT[-PORT]][/tcp|/udp]  allow this outbound traffic and\n"
              "                            drop the rest (slirp, pasta; host: TCP ports, and\n"
              "                            no socket but TCP, Unix and netlink)\n"
              "      --deny CIDR[:PORT[-PORT]][/tcp|/udp]   drop this outbound traffic\n"
              "      --dns IP              the sandbox's DNS server (repeatable)\n"
              "      --allow-host-loopback  let 10.0.2.2 and fd00::2 reach the host's loopback\n"
              "      --ipv6 yes|no         IPv6 in a slirp or pasta network (default no)\n"
              "      --share-net           the same as --net host\n"
              "      --seccomp MODE        default (deny dangerous syscalls) or none\n"
              "      --syscall-deny NAME   also deny this system call (EPERM)\n"
              "      --syscall-allow NAME  allow a call the default filter denies\n"
              "      --caps LIST           capabilities kept inside the user namespace\n"
              "                            (e.g. CAP_NET_BIND_SERVICE), or none (default)\n"
              "      --limit-nofile N, --limit-processes N, --limit-cputime SECONDS,\n"
              "      --limit-filesize SIZE, --limit-core SIZE, --limit-stack SIZE,\n"
              "      --limit-addressspace SIZE   resource limits (soft and hard); 'infinity'\n"
              "      --fd N                pass fd N to the command (every other fd above 2\n"
              "                            is closed)\n"
              "\n"
              "Desktop:\n"
              "      --display MODE        wayland (your Wayland socket), x11 (your X\n"
              "                            server's socket and cookie), auto (Wayland,\n"
              "                            else X11, else none) or none (default)\n"
              "      --audio MODE          pipewire, pulseaudio, auto or none (default)\n"
              "      --dbus MODE           filtered (your session bus through\n"
              "                            xdg-dbus-proxy, only --talk names) or none\n"
              "      --talk NAME           a bus name the sandbox may talk to (repeatable;\n"
              "                            org.example.* for a prefix)\n"
              "      --gpu yes|auto|no     the GPU's device nodes (/dev/dri, NVIDIA's)\n"
              "      --desktop-name NAME, --icon ICON   for launchers (nook profile\n"
              "                            desktop-entry)\n"
              "\n"
              "Other:\n"
              "  -d, --detach              run in the background: print the sandbox's ID\n"
              "                            once it runs, its output to a log (nook logs)\n"
              "  -t, --tty                 give the command a new terminal on fds 0-2 even\n"
              "                            when nook's are no terminals (its output comes\n"
              "                            through nook; with -d it goes to the log)\n"
              "  -i, --interactive         keep stdin open: the default, always (accepted\n"
              "                            for podman's -it)\n"
              "      --rm                  accepted: every sandbox is removed when its\n"
              "                            command ends (unless --persist, which --rm\n"
              "                            contradicts)\n"
              "  -v, --verbose             print each setup step\n"
              "  -h, --help                show this help\n"
              "      --version             show nook's version\n"
              "\n"
              "Exit status: the command's own; 128+N when it was killed by signal N; 125\n"
              "when nook itself failed; 126 when COMMAND could not run; 127 when it was not\n"
              "found.\n"
              "\n"
              "Examples:\n"
              "  nook run -- sh -c 'id; ls /'\n"
              "  nook run --ro-bind ~/music:/music --hostname box -- mpv /music\n"
              "  nook run python3 -- python3 script.py\n"
              "See nook(1) and nook.profile(5).\n",
              out);
}

void run_args_init(struct run_args *a)
{
        memset(a, 0, sizeof(*a));
        keyfile_init(&a->cli);
        spec_init(&a->direct);
}

void run_args_free(struct run_args *a)
{
        keyfile_free(&a->cli);
        spec_free(&a->direct);
        free(a->profile);
        free(a->user);
        free(a->entrypoint);
        strv_free(a->command);
        strv_free(a->args);
        memset(a, 0, sizeof(*a));
}

/* podman's and docker's options that nook spells otherwise */
static const struct {
        const char *theirs, *ours;
} foreign_options[] = {
        { "network", "--net" },
        { "mount", "--bind SRC:DST[:ro] (or --volume)" },
        { "cap-add", "--caps" },
        { "cap-drop", "--caps" },
        { "security-opt", "--seccomp, --syscall-deny or --syscall-allow" },
        { "ulimit", "--limit-nofile, --limit-processes, ... (see 'nook run --help')" },
        { "env-host", "--env NAME" },
};

/* "-v /a:/b": podman's volume, nook's --verbose followed by a command */
static bool looks_like_volume(const char *w)
{
        return w && (w[0] == '/' || w[0] == '.' || w[0] == '~') && strchr(w, ':');
}

static int volume_hint(const char *vol, struct nook_err *e)
{
        return nook_errf(e, EINVAL, "-v is nook's --verbose, not a volume: to bind a host path say --bind %s (or --volume %s)",
                         nook_val(vol), nook_val(vol));
}

static int unknown_option(const char *arg, struct nook_err *e)
{
        const char *names[ARRAY_SIZE(run_options)];
        char word[64];
        size_t n = 0;

        for (const struct option *o = run_options; o->name; o++)
                names[n++] = o->name;
        /* "--bnd=x" → "bnd" */
        snprintf(word, sizeof(word), "%s", arg + strspn(arg, "-"));
        word[strcspn(word, "=")] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(foreign_options); i++)
                if (strncmp(arg, "--", 2) == 0 && strcmp(word, foreign_options[i].theirs) == 0)
                        return nook_errf(e, EINVAL, "unknown option '--%s' for 'nook run': nook spells it %s", word,
                                         foreign_options[i].ours);
        const char *hint = suggest_closest(word, names, n);
        if (hint)
                return nook_errf(e, EINVAL, "unknown option '%s' for 'nook run' (did you mean '--%s'?)", nook_val(arg), hint);
        return nook_errf(e, EINVAL, "unknown option '%s' for 'nook run' (see 'nook run --help')", nook_val(arg));
}

/* An unknown short option, named by itself: in "-it" getopt is still in
   the middle of a word, and the word before it would be blamed. */
static int unknown_short(int c, int argc, char **argv, struct nook_err *e)
{
        const char *word = NULL;

        for (int i = optind; i >= 1 && i >= optind - 1; i--)
                if (i < argc && argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i] + 1, c)) {
                        word = argv[i];
                        break;
                }
        if (word && strncmp(word, "-v", 2) == 0 && looks_like_volume(word + 2))
                return volume_hint(word + 2, e);
        if (word && strlen(word) > 2)
                return nook_errf(e, EINVAL, "unknown option '-%c' (in '%s') for 'nook run' (see 'nook run --help')", c,
                                 nook_val(word));
        return nook_errf(e, EINVAL, "unknown option '-%c' for 'nook run' (see 'nook run --help')", c);
}

static bool short_with_value(int c)
{
        return c > 0 && c < 0x100 && strchr("epwu", c);
}

static int missing_value(const char *bad, struct nook_err *e)
{
        if (short_with_value(optopt))
                return nook_errf(e, EINVAL, "option '-%c' needs a value (see 'nook run --help')", optopt);
        for (const struct option *o = run_options; o->name; o++) {
                size_t n = strlen(o->name);
                if (strncmp(bad, "--", 2) != 0 || strncmp(bad + 2, o->name, n) != 0 ||
                    (bad[2 + n] != '\0' && bad[2 + n] != '='))
                        continue;
                return nook_errf(e, EINVAL, o->has_arg ? "option '--%s' needs a value (see 'nook run --help')"
                                                       : "option '--%s' takes no value (see 'nook run --help')",
                                 o->name);
        }
        return unknown_option(bad, e);
}

static int add_key(struct run_args *a, const char *section, const char *key, const char *value, struct nook_err *e)
{
        if (keyfile_add(&a->cli, section, key, value, profile_cli_origin, 0) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

static int take_option(struct run_args *a, int c, int index, const char *arg, struct nook_err *e)
{
        const struct key_def *def;

        switch (c) {
        case OPT_KEY:
                def = key_by_option(run_options[index].name);
                if (!def)
                        return nook_errf(e, EINVAL, "option '--%s' has no key", run_options[index].name);
                return add_key(a, def->section, def->key, arg ? arg : def->flag_value, e);
        case 'e':
                return add_key(a, "Run", "Environment", arg, e);
        case 'p':
                return add_key(a, "Network", "PublishPort", arg, e);
        case OPT_SHARE_NET:
                return add_key(a, "Network", "Mode", "host", e);
        case OPT_FD:
                return spec_add_fd(&a->direct, arg, e);
        case OPT_PROFILE:
                free(a->profile);
                a->profile = strdup(arg);
                return a->profile ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_NOPROFILE:
                a->noprofile = true;
                return 0;
        case OPT_STORE:
                free(a->direct.store);
                a->direct.store = strdup(arg);
                return a->direct.store ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_MAP:
                if (strcmp(arg, "auto") == 0)
                        a->direct.map_mode = USERNS_AUTO;
                else if (strcmp(arg, "single") == 0)
                        a->direct.map_mode = USERNS_SINGLE;
                else if (strcmp(arg, "range") == 0)
                        a->direct.map_mode = USERNS_RANGE;
                else
                        return nook_errf(e, EINVAL, "--map '%s' is not one of auto, range, single", nook_val(arg));
                return 0;
        case 'v':
                a->direct.verbose++;
                return 0;
        case 'd':
                a->direct.detach = true;
                return 0;
        case 't':
                a->direct.tty = true;
                return 0;
        case 'i':
                return 0;       /* stdin is always the command's */
        case 'w':
        case OPT_VOLUME:
                def = key_by_option(c == 'w' ? "chdir" : "bind");
                return def ? add_key(a, def->section, def->key, arg, e) : nook_errf(e, EINVAL, "option has no key");
        case 'u':
                free(a->user);
                a->user = strdup(arg);
                return a->user ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_ENTRYPOINT:
                free(a->entrypoint);
                a->entrypoint = strdup(arg);
                return a->entrypoint ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_RM:
                a->rm = true;
                return 0;
        }
        return nook_errf(e, EINVAL, "unhandled option");
}

/* One getopt pass over argv[first..]: stops at the first word that is not
   an option (or after "--"). Returns the index of that word, -1 when help
   or version was printed, or a negative errno. */
static int parse_options(struct run_args *a, int argc, char **argv, struct nook_err *e)
{
        int c, index = 0, r;

        optind = 0;     /* a full reset: the parser runs more than once */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+e:p:w:u:vdtih", run_options, &index)) != -1) {
                const char *bad = argv[optind - 1];
                switch (c) {
                case 'h':
                        if (!a->quiet)
                                run_usage(stdout);
                        return -1;
                case OPT_VERSION:
                        if (!a->quiet)
                                printf("nook %s\n", NOOK_VERSION);
                        return -1;
                case '?':
                        if (optopt)
                                return short_with_value(optopt) || optopt >= 0x100 ? missing_value(bad, e)
                                                                                   : unknown_short(optopt, argc, argv, e);
                        return missing_value(bad, e);
                case 'v':
                        /* podman's -v SRC:DST: say nook's word for it rather
                           than run "/a:/b" as the command */
                        if (strcmp(bad, "-v") == 0 && optind < argc && looks_like_volume(argv[optind]))
                                return volume_hint(argv[optind], e);
                        r = take_option(a, c, index, optarg, e);
                        if (r < 0)
                                return r;
                        break;
                default:
                        r = take_option(a, c, index, optarg, e);
                        if (r < 0)
                                return r;
                }
        }
        a->dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
        return optind;
}

static int copy_command(struct run_args *a, int argc, char **argv, int from, struct nook_err *e)
{
        size_t n = 0;

        for (int i = from; i < argc; i++)
                if (strv_push(&a->command, &n, argv[i]) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* A command of that name in the caller's PATH (a host sandbox sees the
   host's /usr and /bin, so what is found here is found there). */
static bool on_path(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");

        for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *file = NULL;
                struct stat st;
                if (asprintf(&file, "%s/%s", dir, name) >= 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
                    access(file, X_OK) == 0)
                        return true;
        }
        return false;
}

/* `nook run NAME -- CMD` where NAME is no profile, no image and no
   command: most likely a misspelt profile or image, so say that, with the
   names it may have meant. */
static int unknown_name(const char *name, const struct profile_env *pe, const char *store, struct nook_err *e)
{
        char **profiles = NULL, **images = NULL;
        size_t np = 0, ni = 0;
        const char *near[4];
        char hint[512] = "";

        (void)profile_names(pe, &profiles, &np);
        (void)image_names(store, &images, &ni);
        const char *all[np + ni + 1];
        for (size_t i = 0; i < np; i++)
                all[i] = profiles[i];
        for (size_t i = 0; i < ni; i++)
                all[np + i] = images[i];
        size_t n = suggest_near(name, all, np + ni, near, ARRAY_SIZE(near));
        for (size_t i = 0, o = 0; i < n && o < sizeof(hint); i++) {
                int w = snprintf(hint + o, sizeof(hint) - o, "%s'%s'", i == 0 ? "" : i + 1 == n ? " or " : ", ", near[i]);
                if (w < 0 || (size_t)w >= sizeof(hint) - o) {
                        hint[o] = '\0';        /* the names that fit, whole */
                        break;
                }
                o += (size_t)w;
        }
        strv_free(profiles);
        strv_free(images);
        if (hint[0])
                return nook_errf(e, ENOENT, "no profile or image is named '%s', nor is it a command (did you mean %s?)",
                                 nook_val(name), hint);
        return nook_errf(e, ENOENT, "no profile or image is named '%s', nor is it a command (see 'nook profile ls' and 'nook image ls')",
                         nook_val(name));
}

int run_args_parse(struct run_args *a, int argc, char **argv, const struct profile_env *pe, struct nook_err *e)
{
        int first = parse_options(a, argc, argv, e);

        if (first < 0)
                return first == -1 ? 1 : first;
        /* `nook run PROFILE [OPTIONS] [-- CMD...]`: a first word that names a
           profile (and no --profile) is one, unless "--" came before it. */
        /* with --image, the first word is the command, never a profile */
        for (size_t i = 0; i < a->cli.n; i++)
                if (strcmp(a->cli.v[i].section, "Image") == 0 && strcmp(a->cli.v[i].key, "Image") == 0)
                        return copy_command(a, argc, argv, first, e);
        if (!a->profile && !a->dashdash && first < argc && pe && !profile_exists(pe, argv[first]) &&
            image_exists(a->direct.store, argv[first])) {
                /* `nook run IMAGE [-- CMD...]`: a name in the store */
                if (add_key(a, "Image", "Image", argv[first], e) < 0)
                        return -ENOMEM;
                first++;
                if (first < argc && strcmp(argv[first], "--") == 0)
                        first++;
                return first < argc ? copy_command(a, argc, argv, first, e) : 0;
        }
        if (!a->profile && !a->noprofile && !a->dashdash && first < argc && pe &&
            profile_exists(pe, argv[first])) {
                a->profile = strdup(argv[first]);
                if (!a->profile)
                        return nook_errf(e, ENOMEM, "out of memory");
                /* After the name: "-- CMD..." replaces the profile's
                   Command=, other words are arguments appended to it
                   (`nook run git status`); nook's own options come before
                   the name. */
                first++;
                if (first < argc && strcmp(argv[first], "--") == 0)
                        return copy_command(a, argc, argv, first + 1, e);
                size_t n = 0;
                for (int i = first; i < argc; i++)
                        if (strv_push(&a->args, &n, argv[i]) < 0)
                                return nook_errf(e, ENOMEM, "out of memory");
                return 0;
        }
        if (!a->profile && !a->noprofile && !a->dashdash && pe && first + 1 < argc && strcmp(argv[first + 1], "--") == 0 &&
            !strchr(argv[first], '/') && !on_path(argv[first]))
                return unknown_name(argv[first], pe, a->direct.store, e);
        return copy_command(a, argc, argv, first, e);
}

int run_parse_args(int argc, char **argv, struct nook_spec *s, struct nook_err *e)
{
        struct run_args a;
        struct resolved res = { 0 };
        struct diag d;
        int r;

        run_args_init(&a);
        diag_init(&d);
        r = run_args_parse(&a, argc, argv, NULL, e);
        if (r == 0 && !a.command)
                r = nook_errf(e, EINVAL, "no command given (usage: nook run [OPTIONS] [--] COMMAND [ARG...])");
        if (r == 0) {
                struct profile_env none = { 0 };
                r = profile_resolve(&none, &a.cli, &res, &d);
                if (r == 0)
                        r = profile_apply(&res, s, &d);
                if (r == -ENOMEM)
                        r = nook_errf(e, ENOMEM, "out of memory");
                else if (r < 0)
                        r = diag_to_err(&d, e);
        }
        if (r == 0) {
                s->argv = steal_ptr(&a.command);
                s->verbose = a.direct.verbose;
                s->detach = a.direct.detach;
                s->tty = a.direct.tty;
                s->keep_fds = steal_ptr(&a.direct.keep_fds);
                s->n_keep_fds = a.direct.n_keep_fds;
                a.direct.n_keep_fds = 0;
        }
        resolved_free(&res);
        diag_free(&d);
        run_args_free(&a);
        return r;
}

/* The profile a run uses: the one named, else "default" (silently empty when
   it is not installed, so a build tree works as it is). */
static int load_profile(const struct run_args *a, const struct profile_env *pe, struct keyfile *kf, struct diag *d)
{
        if (a->noprofile && !a->profile)
                return 0;
        const char *name = a->profile ? a->profile : "default";
        _cleanup_free_ char *path = NULL;
        if (!a->profile && profile_find(pe, name, &path) == -ENOENT)
                return 0;
        return profile_load(pe, name, kf, d);
}

static char *profile_basename(const char *name)
{
        const char *b = strrchr(name, '/');
        char *n = strdup(b ? b + 1 : name);
        size_t len = n ? strlen(n) : 0;

        if (n && len > 8 && strcmp(n + len - 8, ".profile") == 0)
                n[len - 8] = '\0';
        return n;
}

/* Home=private: $XDG_DATA_HOME/nook/homes/PROFILE, made once and kept. */
static int prepare_private_home(struct nook_spec *s, const struct profile_env *pe, struct nook_err *e)
{
        char *dir = NULL;
        struct stat st;

        if (asprintf(&dir, "%s/nook/homes/%s", pe->vars.v[VAR_XDG_DATA_HOME], s->profile_name) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        s->home_source = dir;
        int r = mkdir_p(dir, 0700);
        if (r < 0)
                return nook_errf(e, -r, "cannot create the private home %s: %m (check that XDG_DATA_HOME is writable, or use Home=tmpfs)", dir);
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return nook_errf(e, ENOTDIR, "the private home %s is not a directory", dir);
        if (access(dir, W_OK) < 0)
                return nook_errf(e, errno, "the private home %s is not writable: %m (fix its permissions, or use Home=tmpfs)", dir);
        return 0;
}

static const int limit_resource[SPEC_LIMIT_COUNT] = {
        [SPEC_LIMIT_NOFILE] = RLIMIT_NOFILE, [SPEC_LIMIT_NPROC] = RLIMIT_NPROC,
        [SPEC_LIMIT_CPU] = RLIMIT_CPU, [SPEC_LIMIT_FSIZE] = RLIMIT_FSIZE,
        [SPEC_LIMIT_CORE] = RLIMIT_CORE, [SPEC_LIMIT_STACK] = RLIMIT_STACK,
        [SPEC_LIMIT_AS] = RLIMIT_AS,
};
static const char *const limit_key[SPEC_LIMIT_COUNT] = {
        "NoFile", "Processes", "CPUTime", "FileSize", "Core", "Stack", "AddressSpace",
};

/* Checks that need the host but must fail before anything is started. */
static int check_host_inputs(const struct nook_spec *s, struct nook_err *e)
{
        struct stat st;

        for (size_t i = 0; i < s->n_binds; i++) {
                const struct spec_bind *b = &s->binds[i];
                if (!(b->flags & (SPEC_BIND_TRY | SPEC_BIND_NOOKS)) && stat(b->src, &st) < 0)
                        return nook_errf(e, errno, "bind source %s: %m (check the path given to --%sbind or %s=)", b->src,
                                         b->flags & SPEC_BIND_RO ? "ro-" : "", b->flags & SPEC_BIND_RO ? "BindReadOnly" : "Bind");
        }
        for (size_t i = 0; i < s->n_devices + s->n_devices_try; i++) {
                bool optional = i >= s->n_devices;
                const char *d = optional ? s->devices_try[i - s->n_devices] : s->devices[i];
                if (stat(d, &st) < 0) {
                        if (optional)
                                continue;
                        return nook_errf(e, errno, "device %s: %m (use Device=-%s to skip it when missing)", d, d);
                }
                if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
                        return nook_errf(e, ENODEV, "device %s is neither a device node nor a directory of them", d);
        }
        for (size_t i = 0; i < s->n_keep_fds; i++)
                if (fcntl(s->keep_fds[i], F_GETFD) < 0)
                        return nook_errf(e, EBADF, "--fd %d: no such open file descriptor", s->keep_fds[i]);
        /* A user namespace cannot raise a hard limit: say so now, not as a
           failure inside the sandbox. */
        for (int i = 0; i < SPEC_LIMIT_COUNT; i++) {
                struct rlimit rl;
                if (!s->limits[i].set || getrlimit(limit_resource[i], &rl) < 0)
                        continue;
                rlim_t want = s->limits[i].value == UINT64_MAX ? RLIM_INFINITY : (rlim_t)s->limits[i].value;
                char shown[32] = "infinity";
                if (want != RLIM_INFINITY)
                        snprintf(shown, sizeof(shown), "%llu", (unsigned long long)want);
                if (rl.rlim_max != RLIM_INFINITY && (want == RLIM_INFINITY || want > rl.rlim_max))
                        return nook_errf(e, EPERM, "%s=%s is above this session's hard limit %llu (it can only be lowered)",
                                         limit_key[i], shown, (unsigned long long)rl.rlim_max);
        }
        return 0;
}

/* What the network keys ask for must fit the mode; the files and rules
   they need are made here, once. */
static int check_network(struct nook_spec *s, const struct host_facts *h, struct nook_err *e)
{
        bool out = s->slirp || s->pasta;

        if (s->n_ports && !out)
                return nook_errf(e, EINVAL, "publishing ports needs a network of the sandbox's own with a way out: use --net slirp or pasta (Mode=slirp)");
        if (s->host_loopback && !out)
                return nook_errf(e, EINVAL, "AllowHostLoopback= needs Mode=slirp or pasta");
        if (s->ipv6 && !out)
                return nook_errf(e, EINVAL, "IPv6= needs Mode=slirp or pasta (Mode=host has the host's own)");
        if (s->n_dns && !out)
                return nook_errf(e, EINVAL, "DNS= needs Mode=slirp or pasta (with Mode=host the host's own resolv.conf is used)");
        /* the mounts that keep nook's profiles and state out of reach hold
           because the command cannot undo them */
        if (s->caps_set && (s->caps_keep >> 21 & 1) && s->seccomp == SPEC_SECCOMP_NONE)
                return nook_errf(e, EPERM, "CAP_SYS_ADMIN with Seccomp=none would let the sandbox unmount what keeps nook's profiles out of its reach: keep the filter or drop the capability");
        /* the rules hold because the command cannot change them, nor send
           past them: a packet socket writes frames to tap0 below every
           inet hook, where no rule sees them */
        bool guarded = s->n_net_rules || (out && !s->host_loopback);
        if (guarded && s->caps_set && (s->caps_keep >> 12 & 1))
                return nook_errf(e, EPERM, "CAP_NET_ADMIN would let the sandbox remove its egress rules: drop it from Capabilities= or the rules");
        if (guarded && s->caps_set && (s->caps_keep >> 13 & 1))
                return nook_errf(e, EPERM, "CAP_NET_RAW would let the sandbox send raw frames past its egress rules and the guard of the host's loopback: drop it from Capabilities=, or the rules (no Allow=/Deny=, AllowHostLoopback=yes)");
        /* the command's user namespace then sits below the one that owns
           the sandbox's network and mounts (launch.c): what it kept would
           act on nothing there */
        if (launch_nests_userns(s, h, s->image != NULL) && s->caps_set && s->caps_keep)
                return nook_errf(e, EINVAL, "Capabilities= cannot be kept in a host sandbox with Mode=slirp: they would not reach its network or mounts (use Mode=pasta, an image, or --uid 0)");
        /* Landlock sees TCP only: the filter refuses every other socket */
        if (landlock_net_applies(s) && s->seccomp == SPEC_SECCOMP_NONE)
                return nook_errf(e, EINVAL, "Allow= with Mode=host needs the seccomp filter, which refuses the sockets Landlock cannot limit (UDP, raw, SCTP, MPTCP): drop Seccomp=none, or use Mode=slirp");
        if (landlock_net_applies(s))
                return landlock_check_net(s, e);        /* applied at exec */
        if (s->n_net_rules && !out)
                return nook_errf(e, EINVAL, "Allow=/Deny= need a network to allow into: use --net slirp (or Mode=slirp)");
        struct net_config net = spec_net_config(s);
        if (out) {
                s->resolv_conf = resolv_conf_make(&net, h->resolv_conf, h->resolved_upstream);
                if (!s->resolv_conf)
                        return nook_errf(e, ENOMEM, "out of memory");
        }
        if (out && !(s->egress = egress_ruleset(&net)) && (s->n_net_rules || !s->host_loopback))
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* --user USER[:GROUP] of a host sandbox: ids as they are, names from the
   host's passwd and group files, which the sandbox shows as they are. */
static int host_user(struct nook_spec *s, const char *user, struct nook_err *e)
{
        _cleanup_free_ char *u = strdup(user);
        if (!u)
                return nook_errf(e, ENOMEM, "out of memory");
        char *g = strchr(u, ':');
        if (g)
                *g++ = '\0';
        if (!*u || (g && !*g))
                return nook_errf(e, EINVAL, "--user '%s' is not USER[:GROUP]", nook_val(user));
        uint64_t v;
        bool gid_from_user = false;
        gid_t user_gid = 0;
        if (parse_u64(u, UINT32_MAX - 1, &v) == 0) {
                int r = spec_set_id(s, false, u, e);
                if (r < 0)
                        return r;
        } else {
                errno = 0;
                struct passwd *pw = getpwnam(u);
                if (!pw)
                        return nook_errf(e, ENOENT, "--user %s: no such user on this host (give an id, or see /etc/passwd)",
                                         nook_val(u));
                s->uid = pw->pw_uid;
                s->uid_set = true;
                gid_from_user = true;
                user_gid = pw->pw_gid;
        }
        if (g && parse_u64(g, UINT32_MAX - 1, &v) == 0)
                return spec_set_id(s, true, g, e);
        if (g) {
                struct group *gr = getgrnam(g);
                if (!gr)
                        return nook_errf(e, ENOENT, "--user %s: no such group on this host (give an id, or see /etc/group)",
                                         nook_val(user));
                s->gid = gr->gr_gid;
                s->gid_set = true;
        } else if (gid_from_user) {
                s->gid = user_gid;
                s->gid_set = true;
        }
        return 0;
}

/* What podman's habits ask for that is not a profile key: --rm, --user. */
static int podman_habits(const struct run_args *a, struct nook_spec *s, struct nook_err *e)
{
        if (a->rm && s->persist)
                return nook_errf(e, EINVAL, "--rm and --persist contradict each other: a sandbox is removed when its command ends unless --persist keeps it (drop one)");
        if (a->entrypoint && !s->image)
                return nook_errf(e, EINVAL, "--entrypoint replaces an image's Entrypoint, and this sandbox has no image (give the command itself after --)");
        if (!a->user)
                return 0;
        for (size_t i = 0; i < a->cli.n; i++)
                if (strcmp(a->cli.v[i].section, "Run") == 0 &&
                    (strcmp(a->cli.v[i].key, "User") == 0 || strcmp(a->cli.v[i].key, "Group") == 0))
                        return nook_errf(e, EINVAL, "--user and --uid/--gid both say who runs the command: give one");
        /* over a profile's User= and Group=, as options are */
        s->uid_set = s->gid_set = false;
        if (!s->image)
                return host_user(s, a->user, e);
        if (!*a->user || a->user[0] == ':' || a->user[strlen(a->user) - 1] == ':')
                return nook_errf(e, EINVAL, "--user '%s' is not USER[:GROUP]", nook_val(a->user));
        s->user = strdup(a->user);
        return s->user ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* --entrypoint of an image: replaces its Entrypoint and, as in podman, its
   Cmd (a command given still follows it); "" clears it. */
static int replace_entrypoint(struct nook_spec *s, const char *entrypoint, struct nook_err *e)
{
        size_t n = 0, m = 0;

        strv_free(s->image_entrypoint);
        s->image_entrypoint = NULL;
        strv_free(s->command);
        s->command = NULL;
        if (*entrypoint && (strv_push(&s->image_entrypoint, &n, entrypoint) < 0 ||
                            strv_push(&s->command, &m, entrypoint) < 0))
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* Profile, then options, merged into one spec. */
static int build_spec(struct run_args *a, const struct profile_env *pe, struct nook_spec *s, struct nook_err *e)
{
        struct keyfile kf;
        struct resolved res = { 0 };
        struct diag d;
        int r;

        keyfile_init(&kf);
        diag_init(&d);
        /* NOOK_OVERLAY: the default backend, under profiles and options */
        const char *ov = getenv("NOOK_OVERLAY");
        if (ov && *ov)
                keyfile_add(&kf, "Image", "Overlay", ov, profile_cli_origin, 0);
        r = load_profile(a, pe, &kf, &d);
        for (size_t i = 0; r == 0 && i < a->cli.n; i++) {
                const struct kf_entry *en = &a->cli.v[i];
                r = keyfile_add(&kf, en->section, en->key, en->value, profile_cli_origin, 0);
        }
        for (size_t i = 0; r == 0 && i < kf.n_files; i++) {
                char *real = profile_is_cli(kf.files[i]) ? NULL : realpath(kf.files[i], NULL);
                if (real && strv_push(&s->protect, &s->n_protect, real) < 0)
                        r = -ENOMEM;
                free(real);
        }
        if (r == 0)
                r = profile_resolve(pe, &kf, &res, &d);
        if (r == 0)
                r = profile_apply(&res, s, &d);
        if (r == -ENOMEM)
                r = nook_errf(e, ENOMEM, "out of memory");
        else if (r < 0)
                r = diag_to_err(&d, e);
        resolved_free(&res);
        keyfile_free(&kf);
        diag_free(&d);
        if (r < 0)
                return r;
        s->profile_name = profile_basename(a->profile ? a->profile : "default");
        if (!s->profile_name)
                return nook_errf(e, ENOMEM, "out of memory");
        r = podman_habits(a, s, e);
        if (r < 0)
                return r;
        /* the image first: its Entrypoint and Cmd are defaults of the command */
        s->store = steal_ptr(&a->direct.store);
        s->map_mode = a->direct.map_mode;
        if (s->image) {
                r = image_spec_resolve(s, e);
                if (r == 0 && a->entrypoint)
                        r = replace_entrypoint(s, a->entrypoint, e);
                if (r < 0)
                        return r;
        } else if (s->persist) {
                return nook_errf(e, EINVAL, "--persist keeps the writable layer of an image: give one (nook run --name NAME --persist IMAGE)");
        }
        if (a->command) {
                /* as docker and podman do: a command given to an image
                   replaces its Cmd, after its Entrypoint */
                size_t n = 0;
                for (char **p = s->image_entrypoint; p && *p; p++)
                        if (strv_push(&s->argv, &n, *p) < 0)
                                return nook_errf(e, ENOMEM, "out of memory");
                for (char **p = a->command; *p; p++)
                        if (strv_push(&s->argv, &n, *p) < 0)
                                return nook_errf(e, ENOMEM, "out of memory");
        } else {
                s->argv = steal_ptr(&s->command);
                size_t n = 0;
                while (s->argv && s->argv[n])
                        n++;
                for (char **p = a->args; p && *p; p++)
                        if (strv_push(&s->argv, &n, *p) < 0)
                                return nook_errf(e, ENOMEM, "out of memory");
        }
        if (!s->argv || !s->argv[0]) {
                if (a->profile)
                        return nook_errf(e, EINVAL, "no command given, and profile '%s' has no Command= (give one after --)", nook_val(a->profile));
                return nook_errf(e, EINVAL, "no command given (usage: nook run [OPTIONS] [--] COMMAND [ARG...])");
        }
        s->verbose = a->direct.verbose;
        s->detach = a->direct.detach;
        s->tty = a->direct.tty;
        s->keep_fds = steal_ptr(&a->direct.keep_fds);
        s->n_keep_fds = a->direct.n_keep_fds;
        a->direct.n_keep_fds = 0;
        return 0;
}

/* A path to keep read-only inside, as the plan compares it with bind
   sources: without symlinks (/var/run -> /run) or "..". */
static int protect_real(struct nook_spec *s, const char *path, struct nook_err *e)
{
        _cleanup_free_ char *real = realpath(path, NULL);

        if (strv_push(&s->protect, &s->n_protect, real ? real : path) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* Whether path is, or lies in, a path already protected. */
static bool protected_already(const struct nook_spec *s, const char *path)
{
        for (size_t i = 0; i < s->n_protect; i++)
                if (path_is_below(path, s->protect[i]))
                        return true;
        return false;
}

/* Every directory of the profile search path, and every NAME.profile.d in
   one (a link may lead elsewhere), protected as the config directory is: a
   sandbox that could write there would plant a profile or a drop-in that
   widens the next run. A missing $NOOK_PROFILES_DIR is made where the user
   may, as the config directory is, so that no sandbox makes it first (the
   user's own directory is below the config directory, which is made; the
   system's are root's). */
static bool profiles_dir_set(void)
{
        const char *lib = getenv("NOOK_PROFILES_DIR");
        return lib && lib[0] == '/';
}

static int protect_search_path(struct nook_spec *s, const struct profile_env *pe, struct nook_err *e)
{
        for (size_t i = 0; i < pe->n_dirs; i++) {
                if (i == 2 && profiles_dir_set())
                        (void)mkdir_p(pe->dirs[i], 0700);
                _cleanup_free_ char *real = realpath(pe->dirs[i], NULL);
                if (!real)
                        continue;
                if (!protected_already(s, real) && strv_push(&s->protect, &s->n_protect, real) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
                DIR *dp = opendir(real);
                struct dirent *de;
                while (dp && (de = readdir(dp))) {
                        size_t n = strlen(de->d_name);
                        if (n <= strlen(".profile.d") || strcmp(de->d_name + n - strlen(".profile.d"), ".profile.d") != 0)
                                continue;
                        _cleanup_free_ char *path = NULL, *target = NULL;
                        if (asprintf(&path, "%s/%s", real, de->d_name) < 0) {
                                closedir(dp);
                                return nook_errf(e, ENOMEM, "out of memory");
                        }
                        target = realpath(path, NULL);
                        if (target && !protected_already(s, target) &&
                            strv_push(&s->protect, &s->n_protect, target) < 0) {
                                closedir(dp);
                                return nook_errf(e, ENOMEM, "out of memory");
                        }
                }
                if (dp)
                        closedir(dp);
        }
        return 0;
}

/* Bind sources without symlinks, as the kernel will follow them anyway:
   the plan finds what a bind shows by comparing paths. */
static int canonical_sources(struct nook_spec *s, struct nook_err *e)
{
        for (size_t i = 0; i < s->n_binds; i++) {
                char *real = realpath(s->binds[i].src, NULL);
                if (!real) {
                        if (errno == ENOMEM)
                                return nook_errf(e, ENOMEM, "out of memory");
                        continue;       /* missing: a BindTry=, or nook's own (made later) */
                }
                free(s->binds[i].src);
                s->binds[i].src = real;
        }
        if (s->home_source) {
                char *real = realpath(s->home_source, NULL);
                if (real) {
                        free(s->home_source);
                        s->home_source = real;
                }
        }
        return 0;
}

/* A symbolic link on the way to a protected directory, in a place a
   read-write bind shows: the sandbox could replace the link with a
   directory of its own, which the next run would read. Refused, naming the
   way out. */
static int check_protected_links(const struct plan *p, const char *path, const char *what, const char *var,
                                 struct nook_err *e)
{
        char prefix[4096];

        for (const char *c = strchr(path + 1, '/'); ; c = strchr(c + 1, '/')) {
                size_t n = c ? (size_t)(c - path) : strlen(path);
                snprintf(prefix, sizeof(prefix), "%.*s", (int)n, path);
                struct stat st;
                if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode)) {
                        /* where the link itself lies, without symlinks */
                        char parent[4096];
                        const char *base = path_split(prefix, parent, sizeof(parent));
                        _cleanup_free_ char *real = realpath(parent, NULL);
                        char entry[8200];
                        snprintf(entry, sizeof(entry), "%s/%s", real ? real : parent, base);
                        for (size_t i = 0; i < p->n; i++) {
                                const struct step *s = &p->steps[i];
                                if (s->kind == STEP_BIND && !(s->flags & STEP_RO) && s->src && path_is_below(entry, s->src))
                                        return nook_errf(e, EPERM, "%s %s is reached through the symbolic link %s, which this sandbox could replace (it may write %s): point %s at the real directory, or bind %s read-only",
                                                         what, path, prefix, s->src, var, s->src);
                        }
                }
                if (!c)
                        return 0;
        }
}

/* -v: which of the caller's variables the command does not get */
static void say_dropped_env(const struct nook_spec *s)
{
        _cleanup_free_ char *names = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&names, &len);

        for (size_t i = 0; f && i < s->n_env_dropped; i++)
                fprintf(f, "%s%s", i ? " " : "", s->env_dropped[i]);
        if (!f || fclose(f) != 0)
                return;
        nook_say("not passed to the command, as they look like secrets: %s (pass one with --env NAME)", names);
}

static int run_prepare(int argc, char **argv, struct nook_spec *spec, struct host_facts *host, struct plan *plan,
                       struct seccomp_prog *prog, struct nook_err *e)
{
        struct profile_env pe = { 0 };
        struct run_args a;
        int r;

        run_args_init(&a);
        r = host_facts_read(host, e);
        if (r == 0)
                r = profile_env_init(&pe, host, e);
        if (r == 0)
                r = run_args_parse(&a, argc, argv, &pe, e);
        if (r == 0)
                r = build_spec(&a, &pe, spec, e);
        if (r == 0)
                r = spec_env_resolve(spec, environ, e);
        if (r == 0 && spec->verbose && spec->n_env_dropped)
                say_dropped_env(spec);
        if (r == 0 && spec->home == SPEC_HOME_PRIVATE)
                r = prepare_private_home(spec, &pe, e);
        if (r == 0) {
                r = desktop_resolve(spec, spec_command_uid(spec, host->uid), spec_command_gid(spec, host->gid), e);
        }
        if (r == 0)
                r = check_network(spec, host, e);
        if (r == 0)
                r = check_host_inputs(spec, e);
        /* The config directory is protected by a read-only bind where a
           sandbox can see it, which needs it to exist: otherwise a sandbox
           with the home in view could create it and plant a profile. */
        if (r == 0 && host->nook_config)
                (void)mkdir_p(host->nook_config, 0700);
        /* the run directories hold what nook enter and stop trust, and
           other sandboxes' sockets: hidden wherever a bind would show them,
           so there (made) before the plan */
        char base[4096];
        rundir_base(base, sizeof(base));
        if (r == 0) {
                int fd = rundir_open_base(e);
                if (fd < 0)
                        r = fd;
                else
                        close(fd);
                if (r == 0 && rundir_all_bases(host->nook_run, ARRAY_SIZE(host->nook_run), &host->n_nook_run) < 0)
                        r = nook_errf(e, ENOMEM, "out of memory");
        }
        if (r == 0 && host->nook_config)
                r = protect_real(spec, host->nook_config, e);
        if (r == 0)
                r = protect_search_path(spec, &pe, e);
        if (r == 0)
                r = canonical_sources(spec, e);
        if (r == 0)
                r = plan_build(spec, host, plan, e);
        if (r == 0 && plan->cwd_is_home && spec->verbose)
                fprintf(stderr, "nook: the current directory %s is your home or above it: not bound (share your home with --bind %s, or --home host)\n",
                        host->cwd, host->home);
        if (r == 0 && host->nook_config)
                r = check_protected_links(plan, host->nook_config, "nook's config directory", "XDG_CONFIG_HOME", e);
        if (r == 0)
                r = check_protected_links(plan, base, "nook's run directory", "XDG_RUNTIME_DIR", e);
        if (r == 0 && profiles_dir_set() && pe.n_dirs == 3)
                r = check_protected_links(plan, pe.dirs[2], "the profile directory", "NOOK_PROFILES_DIR", e);
        /* Compiled once here, before clone: the sandbox only loads it. */
        /* root in an image holds CAP_SYS_CHROOT, as in podman: let it use it */
        if (r == 0 && spec->n_layers && !spec->uid_set && !(spec->run_as_set && spec->run_uid != 0) &&
            !spec->caps_set && strv_push(&spec->syscall_allow, &spec->n_syscall_allow, "chroot") < 0)
                r = nook_errf(e, ENOMEM, "out of memory");
        if (r == 0 && spec->seccomp == SPEC_SECCOMP_DEFAULT) {
                struct seccomp_opts o = {
                        .deny = (const char *const *)spec->syscall_deny,
                        .allow = (const char *const *)spec->syscall_allow,
                        .tcp_only = landlock_net_applies(spec),
                };
                r = seccomp_build(&o, prog, e);
        }
        run_args_free(&a);
        profile_env_free(&pe);
        return r;
}

/* What -d needs to know before anything else: whether it is asked for (a
   quick parse; any error is the full parse's to report, in the foreground),
   and the --fd it must pass on. */
struct detach {
        int *keep;
        size_t n_keep;
        int max_fd;     /* the highest of them, or 2 */
};

static bool wants_detach(int argc, char **argv, struct detach *d)
{
        struct run_args a;
        struct nook_err e = { 0 };

        run_args_init(&a);
        a.quiet = true;         /* the full parse prints help, once */
        bool on = run_args_parse(&a, argc, argv, NULL, &e) == 0 && a.direct.detach;
        d->max_fd = 2;
        for (size_t i = 0; on && i < a.direct.n_keep_fds; i++) {
                /* one that is not open: the full parse says so */
                if (fcntl(a.direct.keep_fds[i], F_GETFD) < 0)
                        on = false;
                if (a.direct.keep_fds[i] > d->max_fd)
                        d->max_fd = a.direct.keep_fds[i];
        }
        d->keep = steal_ptr(&a.direct.keep_fds);
        d->n_keep = a.direct.n_keep_fds;
        a.direct.n_keep_fds = 0;
        run_args_free(&a);
        return on;
}

static bool kept(const struct detach *d, int fd)
{
        for (size_t i = 0; i < d->n_keep; i++)
                if (d->keep[i] == fd)
                        return true;
        return false;
}

/* The sandbox's output file for -d: $XDG_STATE_HOME/nook/logs/ID.log, in a
   directory of the user's own (0700, not a link), a new regular file (an
   old one of a reused ID is replaced, never written through). */
static int detach_log(pid_t id, char *path, size_t size, struct nook_err *e)
{
        char dir[4096];
        struct stat st;

        runstate_logs_dir(dir, sizeof(dir));
        int r = mkdir_p(dir, 0700);
        if (r == -EPERM)
                return nook_errf(e, EPERM, "cannot create %s: a directory on its way is another user's, or others may write it (set XDG_STATE_HOME to a private directory of yours)", dir);
        if (r < 0)
                return nook_errf(e, -r, "cannot create %s: %m", dir);
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
                return nook_errf(e, EPERM, "%s is not a private directory of yours (remove it, or set XDG_STATE_HOME)", dir);
        snprintf(path, size, "%s/%d.log", dir, (int)id);
        unlink(path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
                return nook_errf(e, errno, "cannot create %s: %m", path);
        /* back to blocking writes: a full disk must not look like EAGAIN */
        fcntl(fd, F_SETFL, O_APPEND);
        return fd;
}

/* nook run -d: the sandbox runs on in a child of its own session, its
   output in a log; this process waits until it has started (or failed),
   says which, and returns. */
static int run_detached(const struct detach *d, char *log, size_t log_size, int *ready_fd)
{
        int max_fd = d->max_fd;
        int ready[2];

        if (pipe2(ready, O_CLOEXEC) < 0) {
                perror("nook: cannot start in the background");
                return NOOK_EXIT_FAILURE;
        }
        /* above every --fd, so that none of them is taken for it */
        for (int i = 0; i < 2; i++)
                if (ready[i] <= max_fd) {
                        int moved = fcntl(ready[i], F_DUPFD_CLOEXEC, max_fd + 1);
                        close(ready[i]);
                        ready[i] = moved;
                }
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
                perror("nook: cannot start in the background");
                return NOOK_EXIT_FAILURE;
        }
        if (child == 0) {
                struct nook_err e = { 0 };
                close(ready[0]);
                setsid();
                int fd = detach_log(getpid(), log, log_size, &e);
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || null < 0) {
                        nook_err_print(&e);
                        _exit(NOOK_EXIT_FAILURE);
                }
                /* through a relay that caps the log (runlog.h); the caller
                   learns that it failed once the relay has written all */
                fd = runlog_relay(fd, log, ready[1]);
                char logs[4096];
                runstate_logs_dir(logs, sizeof(logs));
                runlog_prune(logs);
                dup2(null, 0);
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
                close(null);
                /* nothing of the caller's but what --fd passes (a pipe
                   held open here would keep the caller's reader waiting) */
                if (ready[1] > max_fd + 1)
                        syscall(SYS_close_range, (unsigned)max_fd + 1, (unsigned)ready[1] - 1, 0);
                syscall(SYS_close_range, (unsigned)ready[1] + 1, ~0U, 0);
                for (int f = 3; f <= max_fd; f++)
                        if (!kept(d, f))
                                close(f);
                *ready_fd = ready[1];
                return -1;      /* go on as the sandbox's nook */
        }
        close(ready[1]);
        char c = 0;
        ssize_t n;
        do
                n = read(ready[0], &c, 1);
        while (n < 0 && errno == EINTR);
        close(ready[0]);
        if (n == 1) {
                printf("%d\n", (int)child);
                return 0;
        }
        /* it failed before its command started: what it said is in the log */
        int st = 0;
        waitpid(child, &st, 0);
        char dir[4096], path[4200];
        runstate_logs_dir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/%d.log", dir, (int)child);
        FILE *f = fopen(path, "re");
        if (f) {
                /* helpers write there too: as text, not as terminal controls */
                nook_copy_lines(f, stderr);
                fclose(f);
        }
        /* it never ran: its log was only this */
        unlink(path);
        return WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : NOOK_EXIT_FAILURE;
}

int cmd_run(int argc, char **argv)
{
        struct nook_spec spec;
        struct host_facts host = { 0 };
        struct plan plan = { 0 };
        struct seccomp_prog prog = { 0 };
        struct nook_err e = { 0 };
        int status = NOOK_EXIT_FAILURE;
        int r, ready_fd = -1;
        char log[4200] = "";

        struct detach d = { 0 };
        bool detach = wants_detach(argc, argv, &d);
        int dr = detach ? run_detached(&d, log, sizeof(log), &ready_fd) : -1;
        free(d.keep);
        if (dr >= 0)
                return dr;
        spec_init(&spec);
        r = run_prepare(argc, argv, &spec, &host, &plan, &prog, &e);
        if (r == 1)
                status = 0;     /* --help or --version */
        /* an image keeps its files' owners through the subordinate ids */
        struct userns_map map;
        if (r == 0 && spec.image) {
                r = userns_map_choose(&map, (enum userns_mode)spec.map_mode, &e);
                if (r == 0 && !map.range && spec.map_mode == USERNS_AUTO && spec.verbose)
                        fprintf(stderr, "nook: no /etc/subuid range: the image's files all belong to you inside\n");
        }
        if (r == 0 && spec.share_net && spec.verbose)
                fprintf(stderr, "nook: warning: --net host shares the host's network: every address it reaches, the services on its loopback%s\n",
                        spec.n_net_rules ? "" : " and its abstract unix sockets");
        if (r == 0)
                r = runstate_claim_name(&spec, &e);
        if (r == 0) {
                struct launch_ctx c = {
                        .spec = &spec,
                        .host = &host,
                        .plan = &plan,
                        .seccomp = spec.seccomp == SPEC_SECCOMP_DEFAULT ? &prog : NULL,
                        .map = spec.image ? &map : NULL,
                        .ready_fd = ready_fd,
                        .log = log[0] ? log : NULL,
                };
                r = launch_run(&c, &status, &e);
                runstate_release_name(&spec);
        }
        if (r < 0) {
                nook_err_print(&e);
                status = NOOK_EXIT_FAILURE;
        }
        seccomp_prog_free(&prog);
        plan_free(&plan);
        host_facts_free(&host);
        spec_free(&spec);
        return status;
}
