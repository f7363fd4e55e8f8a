#include "profiles/firejail-fs.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

enum where {
        W_HOME,         /* the home: empty in nook but for binds */
        W_SYS,          /* /usr, /etc, /opt: the host's, read-only */
        W_PROC,         /* the sandbox's own /proc */
        W_PRIVATE,      /* /tmp, /run, /var/tmp, /dev: the sandbox's own */
        W_UNSEEN,       /* /var, /sys, /mnt, /media, /srv, ...: not there */
};

static enum where where_of(const struct fj_ctx *c, const char *p)
{
        static const char *const sys[] = { "/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" };
        static const char *const priv[] = { "/tmp", "/run", "/var/tmp", "/dev" };

        if (path_is_below(p, c->o->home))
                return W_HOME;
        for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
                if (path_is_below(p, sys[i]))
                        return W_SYS;
        if (path_is_below(p, "/proc"))
                return W_PROC;
        for (size_t i = 0; i < ARRAY_SIZE(priv); i++)
                if (path_is_below(p, priv[i]))
                        return W_PRIVATE;
        return W_UNSEEN;
}

static bool below_any(char *const *v, size_t n, const char *p)
{
        for (size_t i = 0; i < n; i++)
                if (path_is_below(p, v[i]))
                        return true;
        return false;
}

static bool is_bin_dir(const char *dir, size_t n)
{
        static const char *const bins[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };

        for (size_t i = 0; i < ARRAY_SIZE(bins); i++)
                if (strlen(bins[i]) == n && strncmp(dir, bins[i], n) == 0)
                        return true;
        return false;
}

/* Why nook's sandbox would not show host path p (canonical), or NULL when
   it does and Hide= may name it. */
static const char *not_shown(const struct fj_ctx *c, const char *p)
{
        const struct fj_facts *f = &c->f;

        switch (where_of(c, p)) {
        case W_HOME:
                return below_any(f->wl, f->n_wl, p) ? NULL : "nothing of the home shows but what is bound";
        case W_PRIVATE:
                return "private in nook's sandbox";
        case W_UNSEEN:
                return "not in nook's view";
        case W_PROC: {
                const char *rest = p + 6;
                if ((*rest >= '0' && *rest <= '9') || str_has_prefix(rest, "self") || str_has_prefix(rest, "thread-self"))
                        return "a process's own /proc entry";
                return NULL;
        }
        case W_SYS:
                break;
        }
        if (f->n_etc && path_is_below(p, "/etc") && strcmp(p, "/etc") != 0) {
                const char *rest = p + 5;
                size_t n = strcspn(rest, "/");
                bool listed = false;
                for (size_t i = 0; !listed && i < f->n_etc; i++)
                        listed = strlen(f->etc[i]) == n && strncmp(f->etc[i], rest, n) == 0;
                if (!listed)
                        return "not in private-etc";
        }
        const char *slash = strrchr(p, '/');
        if (f->n_bin && is_bin_dir(p, (size_t)(slash - p)) && !fj_strv_has(f->bin, f->n_bin, slash + 1))
                return "not in private-bin";
        if (f->usr_share_wl && path_is_below(p, "/usr/share") && !below_any(f->wl, f->n_wl, p))
                return "/usr/share shows only its whitelisted entries";
        if (f->opt_wl && path_is_below(p, "/opt") && !below_any(f->wl, f->n_wl, p))
                return "/opt shows only its whitelisted entries";
        return NULL;
}

static void blacklist_path(struct fj_emit *m, const char *host, char ***hidden, size_t *n_hidden, const char **why)
{
        struct fj_ctx *c = m->c;
        _cleanup_free_ char *p = fj_canonical(c, host);

        if (!p)
                return fj_oom(c);
        if (fj_strv_has(*hidden, *n_hidden, p))
                return;
        for (size_t i = 0; i < c->f.n_bl; i++)
                if (path_is_below(p, c->f.bl[i]) && strcmp(p, c->f.bl[i]) != 0) {
                        *why = "hidden whole by another blacklist";
                        return;
                }
        const char *w = not_shown(c, p);
        if (!w && (fj_listed_before(c, c->t->noblack, m->it->n_noblack, host) ||
                   fj_listed_before(c, c->t->noblack, m->it->n_noblack, p)))
                w = "a noblacklist before it keeps it";
        if (w) {
                *why = w;
                return;
        }
        _cleanup_free_ char *v = fj_nook_path(c, p);
        if (!v)
                return fj_oom(c);
        if (strchr(v, ':')) {
                *why = "a ':' in the path";
                return;
        }
        fj_key(m, FJ_FS, "Hide", v);
        if (strv_push(hidden, n_hidden, p) < 0)
                fj_oom(c);
}

static void blacklist(struct fj_emit *m, const char *arg)
{
        struct fj_ctx *c = m->c;
        char **pats = NULL, **hidden = NULL;
        size_t n = 0, n_hidden = 0;
        const char *why = "nothing of that name on this host";

        if (fj_expand(c, arg, &pats, &n) < 0)
                return fj_unsupported(m, "a macro firejail does not have");
        for (size_t i = 0; i < n; i++) {
                if (path_is_below(pats[i], "/tmp/.X11-unix")) {
                        why = "no X11 socket: the gui block is not included";
                        continue;
                }
                enum where w = where_of(c, pats[i]);
                if (w == W_PRIVATE || w == W_UNSEEN || (w == W_HOME && !c->f.n_wl)) {
                        why = not_shown(c, pats[i]);
                        continue;
                }
                char **found = NULL;
                size_t nf = 0;
                if (fj_glob(c, pats[i], &found, &nf) < 0)
                        fj_oom(c);
                for (size_t j = 0; j < nf; j++)
                        blacklist_path(m, found[j], &hidden, &n_hidden, &why);
                strv_free(found);
        }
        strv_free(pats);
        strv_free(hidden);
        if (!n_hidden)
                fj_note(m, "no Hide= (%s)", why);
}

static bool system_path(const struct fj_ctx *c, const char *p)
{
        return !path_is_below(p, c->o->home) && !path_is_below(p, "/tmp") && !path_is_below(p, "/media") &&
               !path_is_below(p, "/mnt") && !(c->o->runuser && path_is_below(p, c->o->runuser));
}

static void bind_try(struct fj_emit *m, const char *host, bool ro)
{
        struct fj_ctx *c = m->c;
        _cleanup_free_ char *v = fj_nook_path(c, host);

        if (!v)
                return fj_oom(c);
        if (strchr(v, ':'))
                return fj_unsupported(m, "a ':' in the path, which nook's binds cannot name");
        ro = ro || (fj_strv_has(c->f.ro, c->f.n_ro, host) && !fj_strv_has(c->f.rw, c->f.n_rw, host)) ||
             system_path(c, host);
        fj_keyf(m, FJ_FS, "BindTry", "%s%s", v, ro ? ":ro" : "");
}

/* The runtime directory's sockets that nook's blocks and keys bind. */
static const char *runuser_given(const char *rest)
{
        if (str_has_prefix(rest, "/wayland-") || str_has_prefix(rest, "/gdm") || str_has_prefix(rest, "/.mutter"))
                return "the display's socket: the gui block (Display=)";
        /* X authority files (SDDM's xauth_*, KWin's UUID-named ones): the
           gui block copies this display's cookie alone */
        if (str_has_prefix(rest, "/xauth_") || str_has_prefix(rest, "/[[:xdigit:]]") || strcmp(rest, "/ICEauthority") == 0)
                return "the display's authority: the gui block copies its cookie";
        if (str_has_prefix(rest, "/pulse") || str_has_prefix(rest, "/pipewire"))
                return "the sound server's socket: the audio block (Audio=)";
        if (strcmp(rest, "/bus") == 0 || str_has_prefix(rest, "/at-spi"))
                return "the session bus: DBus= and Talk=";
        return NULL;
}

static void whitelist_one(struct fj_emit *m, const char *p, bool ro)
{
        struct fj_ctx *c = m->c;
        const char *ru = c->o->runuser;

        if (fj_listed_before(c, c->t->nowhite, m->it->n_nowhite, p))
                return fj_note(m, "a nowhitelist before it leaves it out");
        if (path_is_below(p, "/tmp/.X11-unix"))
                return fj_note(m, "the X11 socket: the gui block (Display=)");
        static const char *const own[] = { "/tmp", "/var/tmp", "/run", "/var/run", "/var/lock", "/run/lock", "/dev/shm" };
        for (size_t i = 0; i < ARRAY_SIZE(own); i++)
                if (strcmp(p, own[i]) == 0)
                        return fj_note(m, "nook's default: the sandbox's own, writable");
        if (ru && path_is_below(p, ru) && strcmp(p, ru) != 0 && runuser_given(p + strlen(ru)))
                return fj_note(m, "%s", runuser_given(p + strlen(ru)));
        if (path_is_below(p, "/etc"))
                return fj_unsupported(m, "firejail refuses it too: private-etc is the way");
        if (path_is_below(p, "/dev") || path_is_below(p, "/sys") || path_is_below(p, "/proc"))
                return fj_unsupported(m, "nook binds device nodes with Device= and shows no /sys");
        if (!fj_has_glob(p))
                return bind_try(m, p, ro);
        if (ru && path_is_below(p, ru))
                return fj_unsupported(m, "a pattern in the runtime directory, whose entries come and go");
        char **found = NULL;
        size_t nf = 0;
        if (fj_glob(c, p, &found, &nf) < 0)
                fj_oom(c);
        for (size_t i = 0; i < nf; i++)
                bind_try(m, found[i], ro);
        if (!nf)
                fj_note(m, "no BindTry= (the pattern matches nothing on this host now)");
        strv_free(found);
}

static void whitelist(struct fj_emit *m, const char *arg, bool ro)
{
        char **pats = NULL;
        size_t n = 0;

        if (fj_expand(m->c, arg, &pats, &n) < 0)
                return fj_unsupported(m, "a macro firejail does not have");
        for (size_t i = 0; i < n; i++)
                whitelist_one(m, pats[i], ro);
        strv_free(pats);
}

static void read_only(struct fj_emit *m, const char *arg, bool rw)
{
        struct fj_ctx *c = m->c;
        char **pats = NULL;
        size_t n = 0;

        if (fj_expand(c, arg, &pats, &n) < 0)
                return fj_unsupported(m, "a macro firejail does not have");
        for (size_t i = 0; i < n; i++) {
                const char *p = pats[i];
                enum where w = where_of(c, p);
                if (w == W_SYS)
                        rw ? fj_unsupported(m, "nook keeps /usr, /etc and /opt read-only")
                           : fj_note(m, "nook's default: /usr, /etc and /opt are read-only");
                else if (w == W_HOME && fj_strv_has(c->f.wl, c->f.n_wl, p))
                        fj_note(m, "the whitelist's bind of it is %s", rw ? "read-write" : "read-only");
                else if (w == W_HOME && below_any(c->f.wl, c->f.n_wl, p) && !rw)
                        whitelist_one(m, p, true);
                else
                        fj_note(m, "nothing to do: %s", w == W_HOME ? "nothing of the home shows but what is bound"
                                                                    : "private in nook's sandbox, or not in its view");
        }
        strv_free(pats);
}

/* PrivateEtc= and PrivateBin= take names separated by commas. */
static void name_list(struct fj_emit *m, const char *key, const char *arg, bool bin)
{
        struct fj_ctx *c = m->c;
        _cleanup_free_ char *copy = strdup(arg);
        struct buf out = { 0 };
        char *save = NULL;

        if (!copy)
                return fj_oom(c);
        for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
                if (bin && strrchr(w, '/'))
                        w = strrchr(w, '/') + 1;
                if (!*w || strstr(w, "..") || w[0] == '/' || strchr(w, '$') || (bin && strchr(w, '/')))
                        continue;
                char **found = NULL;
                size_t nf = 0;
                if (bin && fj_has_glob(w)) {
                        _cleanup_free_ char *pat = str_dupf("/usr/bin/%s", w);
                        if (!pat || fj_glob(c, pat, &found, &nf) < 0)
                                fj_oom(c);
                        for (size_t i = 0; i < nf; i++)
                                buf_appendf(&out, "%s%s", out.len ? "," : "", strrchr(found[i], '/') + 1);
                        strv_free(found);
                } else if (!fj_has_glob(w)) {
                        buf_appendf(&out, "%s%s", out.len ? "," : "", w);
                }
        }
        _cleanup_free_ char *v = out.p ? fj_esc(out.p) : NULL;
        buf_free(&out);
        if (v)
                fj_key(m, FJ_FS, key, v);
        else
                fj_unsupported(m, "no name in it that nook can bind");
}

static void private_dirs(struct fj_emit *m, const char *top, const char *arg)
{
        _cleanup_free_ char *copy = strdup(arg);
        char *save = NULL;

        if (!copy)
                return fj_oom(m->c);
        for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
                if (strstr(w, "..") || strchr(w, ':') || strchr(w, '$')) {
                        fj_unsupported(m, "a name nook cannot bind");
                        continue;
                }
                _cleanup_free_ char *v = fj_esc(w);
                if (!v)
                        return fj_oom(m->c);
                fj_keyf(m, FJ_FS, "BindTry", "%s/%s:ro", top, v);
        }
}

static bool home_arg(const char *arg)
{
        return str_has_prefix(arg, "${HOME}/") || str_has_prefix(arg, "~/");
}

static void whitelist(struct fj_emit *m, const char *arg, bool ro);

static const struct {
        const char *word;
        const char *why;
} fs_defaults[] = {
        { "private-tmp", "nook's default: a private /tmp" },
        { "private-dev", "nook's default: a minimal /dev" },
        { "private-cache", "nook's default: the empty home has an empty ~/.cache" },
        { "disable-mnt", "nook's default: no /mnt, /media, /run/media" },
        { "writable-run-user", "nook's default: the sandbox's own runtime directory is writable" },
        { "keep-config-pulse", "nook's default: it leaves the sound server's configuration alone" },
};

static bool fs_simple(struct fj_emit *m, const char *word, const char *arg)
{
        for (size_t i = 0; i < ARRAY_SIZE(fs_defaults); i++)
                if (strcmp(word, fs_defaults[i].word) == 0) {
                        fj_note(m, "%s", fs_defaults[i].why);
                        return true;
                }
        if (strcmp(word, "private") == 0)
                arg ? fj_unsupported(m, "a directory as the home: bind it with Bind=DIR:${HOME} by hand")
                    : fj_key(m, FJ_FS, "Home", "tmpfs");
        else if (strcmp(word, "private-cwd") == 0)
                arg ? fj_unsupported(m, "a working directory of its own: set WorkingDirectory= by hand")
                    : fj_key(m, FJ_FS, "Cwd", "no");
        else if (strcmp(word, "mkdir") == 0 || strcmp(word, "mkfile") == 0)
                fj_unsupported(m, "nook creates no host path: create it once, or its BindTry= is skipped");
        else if (strcmp(word, "noexec") == 0 && arg && where_of(m->c, arg) == W_UNSEEN && arg[0] == '/')
                fj_note(m, "not in nook's view");
        else if (strcmp(word, "noexec") == 0)
                fj_unsupported(m, "nook has no noexec binds");
        else if (strcmp(word, "private-lib") == 0)
                fj_unsupported(m, "nook shows the host's libraries whole");
        else if (strcmp(word, "noblacklist") == 0 && arg && m->c->f.home_shown && home_arg(arg))
                whitelist(m, arg, false);
        else if (strcmp(word, "noblacklist") == 0 || strcmp(word, "nowhitelist") == 0)
                fj_note(m, "read by the importer: applies to the lines after it");
        else
                return false;
        return true;
}

bool fj_fs(struct fj_emit *m, const char *word, const char *arg)
{
        if (fs_simple(m, word, arg))
                return true;
        if (!arg && (strcmp(word, "blacklist") == 0 || strcmp(word, "blacklist-nolog") == 0 || strcmp(word, "whitelist") == 0 ||
                     strcmp(word, "whitelist-ro") == 0 || strcmp(word, "read-only") == 0 || strcmp(word, "read-write") == 0 ||
                     strcmp(word, "private-etc") == 0 || strcmp(word, "private-bin") == 0 || strcmp(word, "private-opt") == 0 ||
                     strcmp(word, "private-srv") == 0)) {
                fj_unsupported(m, "no argument");
                return true;
        }
        if (strcmp(word, "blacklist") == 0 || strcmp(word, "blacklist-nolog") == 0)
                blacklist(m, arg);
        else if (strcmp(word, "whitelist") == 0 || strcmp(word, "whitelist-ro") == 0)
                whitelist(m, arg, strcmp(word, "whitelist-ro") == 0);
        else if (strcmp(word, "read-only") == 0 || strcmp(word, "read-write") == 0)
                read_only(m, arg, strcmp(word, "read-write") == 0);
        else if (strcmp(word, "private-etc") == 0)
                name_list(m, "PrivateEtc", arg, false);
        else if (strcmp(word, "private-bin") == 0)
                name_list(m, "PrivateBin", arg, true);
        else if (strcmp(word, "private-opt") == 0)
                private_dirs(m, "/opt", arg);
        else if (strcmp(word, "private-srv") == 0)
                private_dirs(m, "/srv", arg);
        else
                return false;
        return true;
}

static void push_expanded(struct fj_ctx *c, const char *arg, char ***v, size_t *n, bool glob)
{
        char **pats = NULL;
        size_t np = 0;

        if (fj_expand(c, arg, &pats, &np) < 0)
                return;
        for (size_t i = 0; i < np; i++) {
                char **found = NULL;
                size_t nf = 0;
                if (glob && fj_has_glob(pats[i]) && fj_glob(c, pats[i], &found, &nf) == 0) {
                        for (size_t j = 0; j < nf; j++)
                                if (strv_push(v, n, found[j]) < 0)
                                        fj_oom(c);
                } else if (strv_push(v, n, pats[i]) < 0) {
                        fj_oom(c);
                }
                strv_free(found);
        }
        strv_free(pats);
}

static void push_names(struct fj_ctx *c, const char *arg, char ***v, size_t *n, bool bin)
{
        _cleanup_free_ char *copy = strdup(arg);
        char *save = NULL;

        for (char *w = copy ? strtok_r(copy, ", ", &save) : NULL; w; w = strtok_r(NULL, ", ", &save)) {
                if (bin && strrchr(w, '/'))
                        w = strrchr(w, '/') + 1;
                if (!bin) {
                        w[strcspn(w, "/")] = '\0';
                        if (strv_push(v, n, w) < 0)
                                fj_oom(c);
                        continue;
                }
                _cleanup_free_ char *pat = str_dupf("/usr/bin/%s", w);
                push_expanded(c, pat ? pat : "", v, n, true);
        }
        for (size_t i = 0; bin && i < *n; i++)
                if (strrchr((*v)[i], '/'))
                        memmove((*v)[i], strrchr((*v)[i], '/') + 1, strlen(strrchr((*v)[i], '/')));
}

static void private_opt_facts(struct fj_ctx *c, const char *arg)
{
        char **names = NULL;
        size_t n = 0;

        c->f.opt_wl = true;
        push_names(c, arg, &names, &n, false);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = str_dupf("/opt/%s", names[i]);
                if (!p || strv_push(&c->f.wl, &c->f.n_wl, p) < 0)
                        fj_oom(c);
        }
        strv_free(names);
}

/* Where a directory is hidden whole, what is below it is not there for a
   Hide= of its own (nook refuses a Hide= of a path the sandbox lacks). */
static void blacklist_facts(struct fj_ctx *c, const char *arg)
{
        char **pats = NULL;
        size_t n = 0;

        if (strcmp(arg, "/tmp/.X11-unix") == 0)
                c->f.x11_none = true;
        if (fj_expand(c, arg, &pats, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                char **found = NULL;
                size_t nf = 0;
                if (fj_glob(c, pats[i], &found, &nf) < 0)
                        fj_oom(c);
                for (size_t j = 0; j < nf; j++) {
                        _cleanup_free_ char *p = fj_canonical(c, found[j]);
                        if (!p)
                                fj_oom(c);
                        else if (!fj_listed_before(c, c->t->noblack, c->t->n_noblack, p) &&
                                 !fj_listed_before(c, c->t->noblack, c->t->n_noblack, found[j]) &&
                                 strv_push(&c->f.bl, &c->f.n_bl, p) < 0)
                                fj_oom(c);
                }
                strv_free(found);
        }
        strv_free(pats);
}

void fj_fs_facts(struct fj_ctx *c, const char *word, const char *arg)
{
        struct fj_facts *f = &c->f;

        if (!arg) {
                f->private_home |= strcmp(word, "private") == 0;
                return;
        }
        if (strcmp(word, "private-etc") == 0)
                push_names(c, arg, &f->etc, &f->n_etc, false);
        else if (strcmp(word, "private-bin") == 0)
                push_names(c, arg, &f->bin, &f->n_bin, true);
        else if (strcmp(word, "read-only") == 0)
                push_expanded(c, arg, &f->ro, &f->n_ro, false);
        else if (strcmp(word, "read-write") == 0)
                push_expanded(c, arg, &f->rw, &f->n_rw, false);
        else if (strcmp(word, "whitelist") == 0 || strcmp(word, "whitelist-ro") == 0)
                push_expanded(c, arg, &f->wl, &f->n_wl, true);
        else if (strcmp(word, "private-opt") == 0)
                private_opt_facts(c, arg);
        else if (strcmp(word, "blacklist") == 0 || strcmp(word, "blacklist-nolog") == 0)
                blacklist_facts(c, arg);
        if (strcmp(word, "whitelist") == 0 || strcmp(word, "whitelist-ro") == 0) {
                f->usr_share_wl |= str_has_prefix(arg, "/usr/share/");
                f->opt_wl |= str_has_prefix(arg, "/opt/");
                f->home_wl |= home_arg(arg) || str_has_prefix(arg, "${DOWNLOADS}") || str_has_prefix(arg, "${DOCUMENTS}") ||
                              str_has_prefix(arg, "${MUSIC}") || str_has_prefix(arg, "${PICTURES}") ||
                              str_has_prefix(arg, "${VIDEOS}") || str_has_prefix(arg, "${DESKTOP}");
        }
        if (strcmp(word, "private") == 0)
                f->private_home = true;
}

/* firejail shows the whole home of a profile that neither whitelists in it
   nor says 'private', minus its blacklists; nook shows what that profile
   noblacklists, the paths it keeps on purpose. */
void fj_fs_facts_done(struct fj_ctx *c)
{
        struct fj_facts *f = &c->f;

        f->home_shown = !f->home_wl && !f->private_home;
        for (size_t i = 0; f->home_shown && i < c->t->n_noblack; i++)
                if (home_arg(c->t->noblack[i]))
                        push_expanded(c, c->t->noblack[i], &f->wl, &f->n_wl, true);
}
