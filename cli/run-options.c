/* `nook run`'s command line: the option table, the usage text, the hints
   for podman's spellings and for typos, and which first word is a
   profile, an image or the command. Nothing here reads a profile. */
#include "cli/run-options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred/userns.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/suggest.h"
#include "profiles/loader.h"
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
        OPT_AUDIT,
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
        KEYOPT("private-etc", required_argument),
        KEYOPT("private-bin", required_argument),
        KEYOPT("machine-id", required_argument),
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
        KEYOPT("socket-families", required_argument),
        KEYOPT("memory-deny-write-execute", no_argument),
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
        KEYOPT("own", required_argument),
        KEYOPT("gpu", required_argument),
        KEYOPT("desktop-name", required_argument),
        KEYOPT("icon", required_argument),
        KEYOPT("image", required_argument),
        KEYOPT("overlay", required_argument),
        KEYOPT("name", required_argument),
        KEYOPT("persist", no_argument),
        KEYOPT("read-only", no_argument),
        { "store", required_argument, NULL, OPT_STORE },
        { "map", required_argument, NULL, OPT_MAP },
        KEYOPT("fake-ids", required_argument),
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "noprofile", no_argument, NULL, OPT_NOPROFILE },
        { "verbose", no_argument, NULL, 'v' },
        { "detach", no_argument, NULL, 'd' },
        { "tty", no_argument, NULL, 't' },
        { "interactive", no_argument, NULL, 'i' },
        { "rm", no_argument, NULL, OPT_RM },
        { "audit", no_argument, NULL, OPT_AUDIT },
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
              "      --read-only           the image's root read-only (tmpfs at /tmp,\n"
              "                            /var/tmp and /run), as podman's --read-only\n"
              "      --map MODE            auto, range (/etc/subuid) or single\n"
              "      --fake-ids yes|no     chown and changes of ids succeed and do nothing\n"
              "                            (owners are not kept; default: yes when one id\n"
              "                            is mapped: no /etc/subuid range, or --map single)\n"
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
              "      --private-etc LIST    show only these entries of the host's /etc\n"
              "                            (e.g. fonts,ssl,hosts; a host sandbox's)\n"
              "      --private-bin LIST    show only these programs in /usr/bin, /usr/sbin\n"
              "      --machine-id random   a new /etc/machine-id instead of the host's\n"
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
              "      --socket-families LIST  only sockets of these families (unix, inet,\n"
              "                            inet6, netlink, packet, ...; none): others fail\n"
              "      --memory-deny-write-execute  no memory both writable and executable\n"
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
              "      --own NAME            a bus name the sandbox may own (the same form)\n"
              "      --gpu yes|auto|no     the GPU's device nodes (/dev/dri, NVIDIA's)\n"
              "      --desktop-name NAME, --icon ICON   for launchers (nook profile\n"
              "                            desktop-entry)\n"
              "\n"
              "Other:\n"
              "      --audit               report at the end (with -d: in the log) what the\n"
              "                            command tried that the sandbox refused or did not\n"
              "                            show, each with the profile line that would allow\n"
              "                            it; enforces the same (nook(1), LEARNING)\n"
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
        size_t n = 0;

        for (const struct option *o = run_options; o->name; o++)
                names[n++] = o->name;
        /* "--bnd=x" → "bnd" */
        const char *w = arg + strspn(arg, "-");
        _cleanup_free_ char *word = strndup(w, strcspn(w, "="));
        if (!word)
                return nook_errf(e, ENOMEM, "out of memory");
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
        case OPT_AUDIT:
                a->direct.audit = true;
                return 0;
        }
        return nook_errf(e, EINVAL, "unhandled option");
}

/* One getopt pass over argv: stops at the first word that is not an
   option (or after "--"), its index in *first. Returns 0, RUN_HELP_PRINTED
   when help or version was printed, or a negative errno. */
static int parse_options(struct run_args *a, int argc, char **argv, int *first, struct nook_err *e)
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
                        return RUN_HELP_PRINTED;
                case OPT_VERSION:
                        if (!a->quiet)
                                printf("nook %s\n", NOOK_VERSION);
                        return RUN_HELP_PRINTED;
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
        *first = optind;
        return 0;
}

/* The hint of unknown_name: whole names within one message. */
#define NEAR_NAMES_MAX 512

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

/* The names near name among the profiles and images, quoted and joined
   ("'a', 'b' or 'c'"), as many whole ones as fit in a message; "" when
   none is near. */
static int near_names(const char *name, const struct profile_env *pe, const struct store_search *ss, struct buf *hint)
{
        char **profiles = NULL, **images = NULL;
        size_t np = 0, ni = 0;
        const char *near[4];
        int r = 0;

        (void)profile_names(pe, &profiles, &np);
        (void)image_names(ss, &images, &ni);
        const char *all[np + ni + 1];
        for (size_t i = 0; i < np; i++)
                all[i] = profiles[i];
        for (size_t i = 0; i < ni; i++)
                all[np + i] = images[i];
        size_t n = suggest_near(name, all, np + ni, near, ARRAY_SIZE(near));
        for (size_t i = 0; r == 0 && i < n; i++) {
                const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
                if (hint->len + strlen(sep) + strlen(near[i]) + 2 >= NEAR_NAMES_MAX)
                        break;
                r = buf_appendf(hint, "%s'%s'", sep, near[i]);
        }
        strv_free(profiles);
        strv_free(images);
        return r;
}

/* `nook run NAME -- CMD` where NAME is no profile, no image and no
   command: most likely a misspelt profile or image, so say that, with the
   names it may have meant. */
static int unknown_name(const char *name, const struct profile_env *pe, const struct store_search *ss,
                        struct nook_err *e)
{
        _cleanup_(buf_free) struct buf hint = { 0 };

        if (near_names(name, pe, ss, &hint) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (hint.len)
                return nook_errf(e, ENOENT, "no profile or image is named '%s', nor is it a command (did you mean %s?)",
                                 nook_val(name), buf_str(&hint));
        return nook_errf(e, ENOENT, "no profile or image is named '%s', nor is it a command (see 'nook profile ls' and 'nook image ls')",
                         nook_val(name));
}

/* With --image, the first word is the command, never a profile. */
static bool image_given(const struct run_args *a)
{
        for (size_t i = 0; i < a->cli.n; i++)
                if (strcmp(a->cli.v[i].section, "Image") == 0 && strcmp(a->cli.v[i].key, "Image") == 0)
                        return true;
        return false;
}

/* `nook run IMAGE [-- CMD...]`: a name in the store. */
static int take_image(struct run_args *a, int argc, char **argv, int first, struct nook_err *e)
{
        if (add_key(a, "Image", "Image", argv[first], e) < 0)
                return -ENOMEM;
        first++;
        if (first < argc && strcmp(argv[first], "--") == 0)
                first++;
        return first < argc ? copy_command(a, argc, argv, first, e) : 0;
}

/* `nook run PROFILE [ARG...]` or `nook run PROFILE -- CMD...`: after the
   name, "-- CMD..." replaces the profile's Command=, other words are
   arguments appended to it (`nook run git status`); nook's own options
   come before the name. */
static int take_profile(struct run_args *a, int argc, char **argv, int first, struct nook_err *e)
{
        a->profile = strdup(argv[first]);
        if (!a->profile)
                return nook_errf(e, ENOMEM, "out of memory");
        first++;
        if (first < argc && strcmp(argv[first], "--") == 0)
                return copy_command(a, argc, argv, first + 1, e);
        size_t n = 0;
        for (int i = first; i < argc; i++)
                if (strv_push(&a->args, &n, argv[i]) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

int run_args_parse(struct run_args *a, int argc, char **argv, const struct profile_env *pe, struct nook_err *e)
{
        int first = 0;
        int r = parse_options(a, argc, argv, &first, e);

        if (r != 0)
                return r;
        if (image_given(a))
                return copy_command(a, argc, argv, first, e);
        /* a first word that names an image or a profile (and no --profile)
           is one, unless "--" came before it */
        bool named = !a->profile && !a->dashdash && first < argc && pe;
        const struct store_search ss = { a->direct.store, a->direct.shared_stores, a->direct.n_shared_stores };
        if (named && !profile_exists(pe, argv[first]) && image_exists(&ss, argv[first]))
                return take_image(a, argc, argv, first, e);
        if (named && !a->noprofile && profile_exists(pe, argv[first]))
                return take_profile(a, argc, argv, first, e);
        if (!a->profile && !a->noprofile && !a->dashdash && pe && first + 1 < argc && strcmp(argv[first + 1], "--") == 0 &&
            !strchr(argv[first], '/') && !on_path(argv[first]))
                return unknown_name(argv[first], pe, &ss, e);
        return copy_command(a, argc, argv, first, e);
}
