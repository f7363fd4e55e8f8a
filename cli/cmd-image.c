#include "cli/cmd-image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd-image-export.h"
#include "image/image-import.h"
#include "image/store.h"
#include "image/store-shared.h"
#include "cli/conf-load.h"
#include "lib/cleanup.h"
#include "lib/launcher.h"
#include "lib/strutil.h"
#include "cred/userns.h"

static void usage(FILE *out)
{
        fputs("Usage: nook image COMMAND [OPTIONS]\n"
              "\n"
              "  import PATH|- [--name NAME[:TAG]]   import an OCI layout directory, an OCI\n"
              "                        archive, a 'docker save' archive, a rootfs tarball\n"
              "                        (plain, gzip, zstd or xz) or a rootfs directory\n"
              "  pull REF [--tls-verify=false]  fetch REF (e.g. docker.io/library/alpine:3.19)\n"
              "                        with skopeo, then import it under that name\n"
              "  ls [--json]           list the images in your store, then those of the\n"
              "                        shared stores ([Store] Shared= in nook.conf)\n"
              "  inspect NAME          print an image's record (config, layers) as JSON\n"
              "  rm NAME               remove an image (its layers stay until prune)\n"
              "  prune                 remove the layers and blobs no image uses\n"
              "  verify                check every blob's digest and that every image's\n"
              "                        blobs and layers are there (exit 1 if not)\n"
              "  export NAME -o FILE.sqsh   the image as one squashfs file, its config\n"
              "                        beside it (nook image export --help)\n"
              "  publish NAME DIR      the image into the shared store DIR, as squashfs,\n"
              "                        for those whose nook.conf has [Store] Shared=DIR\n"
              "                        (nook image publish --help)\n"
              "\n"
              "Options for every command:\n"
              "      --store DIR       the image store (default $XDG_DATA_HOME/nook)\n"
              "      --map MODE        auto (a /etc/subuid range when you have one),\n"
              "                        range, or single (your own id only: ownership in\n"
              "                        images is squashed)\n"
              "\n"
              "See nook(1).\n",
              out);
}

struct image_args {
        const char *store;
        const char *name;
        enum userns_mode map;
        bool json;
        bool no_tls_verify;
        char **pos;
        int n_pos;
        char **shared;          /* [Store] Shared=, in order */
        size_t n_shared;
};

static int parse(int argc, char **argv, struct image_args *a)
{
        static const struct option opts[] = {
                { "store", required_argument, NULL, 's' },
                { "name", required_argument, NULL, 'n' },
                { "map", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "tls-verify", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's': a->store = optarg; break;
                case 'n': a->name = optarg; break;
                case 'j': a->json = true; break;
                case 't':
                        if (strcmp(optarg, "true") && strcmp(optarg, "false")) {
                                fprintf(stderr, "nook: --tls-verify takes true or false\n");
                                return -EINVAL;
                        }
                        a->no_tls_verify = strcmp(optarg, "false") == 0;
                        break;
                case 'm':
                        if (strcmp(optarg, "auto") == 0)
                                a->map = USERNS_AUTO;
                        else if (strcmp(optarg, "single") == 0)
                                a->map = USERNS_SINGLE;
                        else if (strcmp(optarg, "range") == 0)
                                a->map = USERNS_RANGE;
                        else {
                                fprintf(stderr, "nook: --map '%s' is not one of auto, range, single\n", nook_val(optarg));
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        fprintf(stderr, "nook: unknown option '%s' for 'nook image' (see 'nook image --help')\n",
                                nook_val(argv[optind - 1]));
                        return -EINVAL;
                }
        }
        a->pos = argv + optind;
        a->n_pos = argc - optind;
        return cli_conf_image_stores(&a->store, &a->shared, &a->n_shared);
}

static int fail(const struct nook_err *e)
{
        nook_err_print(e);
        return 125;
}

/* Runs skopeo to copy ref into an OCI layout at dir. */
static int skopeo_copy(const char *ref, const char *dir, bool no_tls_verify, struct nook_err *e)
{
        _cleanup_free_ char *src = NULL, *dst = NULL;

        if (asprintf(&src, "%s%s", strstr(ref, "://") ? "" : "docker://", ref) < 0 ||
            asprintf(&dst, "oci:%s:latest", dir) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        struct nook_err fe = { 0 };
        int pidfd;
        /* a killed pull must not leave skopeo writing into tmp/ */
        pid_t pid = launcher_fork_keep(&pidfd, NULL, 0, &fe);
        if (pid < 0)
                return nook_errf(e, -pid, "cannot start skopeo: %s", fe.msg);
        if (pid == 0) {
                char *argv[] = { "skopeo", "copy", "--quiet",
                                 no_tls_verify ? "--src-tls-verify=false" : "--src-tls-verify=true",
                                 src, dst, NULL };
                _exit(launcher_exec_program(argv[0], argv) == -ENOENT ? 127 : 126);
        }
        int st = launcher_wait(pidfd, -1);
        launcher_end(&pidfd, 0, 0);
        if (st == 127)
                return nook_errf(e, ENOENT, "cannot pull %s: skopeo is not installed (apt-get install skopeo)", ref);
        if (st != 0)
                return nook_errf(e, EIO, "cannot pull %s: skopeo failed (see its message above)", ref);
        return 0;
}

static int do_pull(struct image_args *a)
{
        struct store s;
        struct userns_map m;
        struct nook_err e = { 0 };
        _cleanup_free_ char *name = NULL;
        char tmp[256] = "", norm[512];
        int r;

        if (a->n_pos != 1) {
                fprintf(stderr, "nook: image pull takes one REF\n");
                return 125;
        }
        const char *ref = a->pos[0];
        const char *plain = strstr(ref, "://") ? strstr(ref, "://") + 3 : ref;
        r = store_normalize_name(a->name ? a->name : plain, norm, sizeof(norm), &e);
        if (r == 0)
                r = store_open(&s, a->store, &e);
        if (r < 0)
                return fail(&e);
        r = userns_map_choose(&m, a->map, &e);
        /* skopeo writes into the store's tmp, under the store lock, so that
           no other import takes it for a crashed one's leftovers */
        int lock = r == 0 ? store_lock(&s, true, &e) : -1;
        if (lock < 0)
                r = -1;
        if (r == 0) {
                image_clean_tmp(&s, &m);
                r = store_mkdtemp(&s, "pull-", tmp, sizeof(tmp), &e);
        }
        if (r == 0) {
                _cleanup_free_ char *dir = NULL;
                r = asprintf(&dir, "%s/%s", s.root, tmp) < 0 ? nook_errf(&e, ENOMEM, "out of memory") : 0;
                if (r == 0)
                        r = skopeo_copy(ref, dir, a->no_tls_verify, &e);
                if (r == 0) {
                        struct import_opts o = { .name = norm, .map = &m, .progress = isatty(2), .locked = true };
                        r = image_import(&s, dir, &o, &name, &e);
                }
        }
        if (tmp[0])
                store_remove_tree(&s, tmp);
        if (lock >= 0)
                close(lock);
        store_close(&s);
        if (r < 0)
                return fail(&e);
        printf("%s\n", name);
        return 0;
}

static int do_import(struct image_args *a)
{
        struct store s;
        struct userns_map m;
        struct nook_err e = { 0 };
        _cleanup_free_ char *name = NULL;
        int r;

        if (a->n_pos != 1) {
                fprintf(stderr, "nook: image import takes one PATH (or - for standard input)\n");
                return 125;
        }
        r = store_open(&s, a->store, &e);
        if (r == 0)
                r = userns_map_choose(&m, a->map, &e);
        /* said once per store, not at every import */
        if (r == 0 && !m.range && a->map == USERNS_AUTO &&
            mkdirat(s.dfd, "noted-single-id", 0700) == 0)
                fprintf(stderr, "nook: no /etc/subuid range for you: file ownership in images is squashed to your own id (ask an admin for a range, see nook(1))\n");
        if (r == 0) {
                struct import_opts o = { .name = a->name, .map = &m, .progress = isatty(2) };
                r = image_import(&s, a->pos[0], &o, &name, &e);
        }
        store_close(&s);
        if (r < 0)
                return fail(&e);
        printf("%s\n", name);
        return 0;
}

struct ls_ctx {
        bool json;
        json_t *all;
        const struct store *s;
        json_t *seen;           /* names listed so far: a set */
};

/* JSON gives times as RFC 3339 UTC strings: "imported" as seconds becomes one */
static json_t *imported_json(const json_t *rec)
{
        char when[64];

        format_rfc3339((int64_t)json_integer_value(json_object_get(rec, "imported")), when, sizeof(when));
        return when[0] ? json_string(when) : json_null();
}

/* The bytes of the files of the image's unpacked layers (what it takes in
   the store, and what podman calls its size), summed by nftw: a file that
   a layer gives to a subordinate id is still counted, since only the
   directories are searched. */
static json_int_t walked_bytes;

static int count_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)path;
        (void)ftw;
        if (flag == FTW_F && S_ISREG(st->st_mode))
                walked_bytes += (json_int_t)st->st_size;
        return 0;
}

static json_int_t layers_size(const struct store *s, const json_t *ls)
{
        json_int_t total = 0;
        size_t i;
        json_t *l;

        json_array_foreach(ls, i, l) {
                const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
                char rel[128];
                _cleanup_free_ char *path = NULL;
                if (!diff_id || store_layer_rel(diff_id, rel, sizeof(rel)) < 0)
                        continue;
                if (asprintf(&path, "%s/%s", s->root, rel) < 0)
                        continue;
                walked_bytes = 0;
                (void)nftw(path, count_bytes, 32, FTW_PHYS | FTW_MOUNT);
                total += walked_bytes;
        }
        return total;
}

/* What an image takes in the store: its layers' files, or its squashfs
   file. */
static json_int_t image_size(const struct store *s, const json_t *rec)
{
        json_t *sq = json_object_get(rec, "squashfs");

        /* a shared store has no layers to walk (a record saying otherwise
           is refused when run) */
        if (!sq && s->shared)
                return 0;
        return sq ? json_integer_value(json_object_get(sq, "size")) : layers_size(s, json_object_get(rec, "layers"));
}

/* One image: its store is "" for the user's own, else the shared store's
   directory; an image of a shared store that a name of the user's hides is
   listed as hidden (nook run takes the user's). */
static int ls_one(const char *name, json_t *rec, void *arg)
{
        struct ls_ctx *c = arg;
        json_t *ls = json_object_get(rec, "layers");
        const char *store = c->s->shared ? c->s->root : "";
        bool hidden = c->s->shared && json_object_get(c->seen, name);

        json_object_set_new(c->seen, name, json_true());
        if (c->json) {
                json_array_append_new(c->all, json_pack("{s:s,s:O,s:I,s:I,s:o,s:s,s:b}", "name", name, "config_digest",
                                                        json_object_get(rec, "config_digest"), "layers",
                                                        (json_int_t)json_array_size(ls), "size", image_size(c->s, rec),
                                                        "imported", imported_json(rec), "store", store, "hidden", hidden));
                return 0;
        }
        /* a shared store's record is whoever wrote it: its digest is
           checked before it is cut, its format escaped */
        const char *cd = json_string_value(json_object_get(rec, "config_digest"));
        const char *format = json_string_value(json_object_get(rec, "format"));
        printf("%-40s %-14.12s %6zu  %-16s %s%s\n", name, digest_valid(cd) ? digest_hex(cd) : "?", json_array_size(ls),
               format ? nook_val(format) : "", c->s->shared ? store : "yours", hidden ? " (hidden by yours)" : "");
        return 0;
}

static int do_ls(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        struct ls_ctx c = { .json = a->json, .all = json_array(), .seen = json_object() };

        if (store_open(&s, a->store, &e) < 0)
                return fail(&e);
        c.s = &s;
        if (!a->json)
                printf("%-40s %-14s %6s  %-16s %s\n", "NAME", "ID", "LAYERS", "FROM", "STORE");
        store_image_each(&s, ls_one, &c);
        for (size_t i = 0; i < a->n_shared; i++) {
                struct store sh;
                struct nook_err se = { 0 };
                if (store_open_shared(&sh, a->shared[i], &se) < 0)
                        fprintf(stderr, "nook: %s ([Store] Shared= in nook.conf)\n", se.msg);
                else {
                        c.s = &sh;
                        store_image_each(&sh, ls_one, &c);
                }
                store_close(&sh);
        }
        json_decref(c.seen);
        if (a->json) {
                json_dumpf(c.all, stdout, JSON_INDENT(2));
                putchar('\n');
        }
        json_decref(c.all);
        store_close(&s);
        return 0;
}

static int do_inspect(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        json_t *rec = NULL;
        char name[512];
        int r;

        if (a->n_pos != 1) {
                fprintf(stderr, "nook: image inspect takes one NAME\n");
                return 125;
        }
        const struct store_search ss = { a->store, a->shared, a->n_shared };
        s = (struct store){ .dfd = -1 };
        r = store_normalize_name(a->pos[0], name, sizeof(name), &e);
        if (r == 0)
                r = store_find_image(&ss, name, &s, &rec, &e);
        if (r == 0) {
                json_object_set_new(rec, "store", json_string(s.shared ? s.root : ""));
                json_object_set_new(rec, "size", json_integer(image_size(&s, rec)));
                json_object_set_new(rec, "imported", imported_json(rec));
        }
        store_close(&s);
        if (r < 0)
                return fail(&e);
        json_dumpf(rec, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(rec);
        return 0;
}

/* rm of a name that only a shared store has: refused, naming the store
   (nook never changes one). 0 when the user's store has the name, or no
   store has it (store_image_remove says so). */
static int refuse_shared(const struct image_args *a, const struct store *own, const char *name, struct nook_err *e)
{
        char rel[1024];
        struct stat st;

        if (store_record_rel(name, rel, sizeof(rel)) < 0 || fstatat(own->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        for (size_t i = 0; i < a->n_shared; i++) {
                const struct store_search one = { .own = own->root, .shared = &a->shared[i], .n_shared = 1 };
                if (store_search_has(&one, name))
                        return nook_errf(e, EPERM, "image %s is in the shared store %s, which nook does not change: its owner removes it there (%s/%s)",
                                         name, a->shared[i], a->shared[i], rel);
        }
        return 0;
}

static int do_rm(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        char name[512];
        int r = 0;

        if (a->n_pos < 1) {
                fprintf(stderr, "nook: image rm takes at least one NAME\n");
                return 125;
        }
        if (store_open(&s, a->store, &e) < 0)
                return fail(&e);
        int lock = store_lock(&s, true, &e);
        for (int i = 0; lock >= 0 && i < a->n_pos && r == 0; i++) {
                r = store_normalize_name(a->pos[i], name, sizeof(name), &e);
                if (r == 0)
                        r = refuse_shared(a, &s, name, &e);
                int busy = r == 0 ? store_image_lock(&s, name, true, &e) : -1;
                if (r == 0 && busy < 0)
                        r = busy;
                if (r == 0)
                        r = store_image_remove(&s, name, &e);
                if (busy >= 0)
                        close(busy);
                if (r == 0)
                        printf("%s\n", name);
        }
        if (lock >= 0)
                close(lock);
        store_close(&s);
        return lock < 0 || r < 0 ? fail(&e) : 0;
}

struct refs {
        json_t *set;    /* object used as a set of digests */
};

static int collect_refs(const char *name, json_t *rec, void *arg)
{
        struct refs *r = arg;
        json_t *l;
        size_t i;

        (void)name;
        json_array_foreach(json_object_get(rec, "layers"), i, l) {
                const char *d = json_string_value(json_object_get(l, "digest"));
                const char *id = json_string_value(json_object_get(l, "diff_id"));
                if (d)
                        json_object_set_new(r->set, d, json_true());
                if (id)
                        json_object_set_new(r->set, id, json_true());
        }
        const char *keys[] = { "config_digest", "manifest_digest" };
        for (size_t k = 0; k < 2; k++) {
                const char *d = json_string_value(json_object_get(rec, keys[k]));
                if (d)
                        json_object_set_new(r->set, d, json_true());
        }
        return 0;
}

struct prune_job {
        struct store *s;
        const char *rel;
};

static int remove_job(void *arg, char *out, struct nook_err *e)
{
        struct prune_job *j = arg;
        (void)out;
        int r = store_remove_tree(j->s, j->rel);
        return r < 0 ? nook_errf(e, -r, "cannot remove %s: %m", j->rel) : 0;
}

/* Removes what no image record references: layers (as the mapped ids that
   own their files) and blobs. */
static int do_prune(struct image_args *a)
{
        struct store s;
        struct userns_map m;
        struct nook_err e = { 0 };
        struct refs refs = { json_object() };
        unsigned layers = 0, blobs = 0;

        if (store_open(&s, a->store, &e) < 0 || userns_map_choose(&m, a->map, &e) < 0)
                return fail(&e);
        int lock = store_lock(&s, true, &e);
        if (lock < 0) {
                store_close(&s);
                return fail(&e);
        }
        store_image_each(&s, collect_refs, &refs);
        image_clean_tmp(&s, &m);
        const char *dirs[] = { "layers", "blobs/sha256" };
        for (size_t k = 0; k < 2; k++) {
                int fd = openat(s.dfd, dirs[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *de;
                while (dp && (de = readdir(dp))) {
                        char digest[300], rel[300];
                        if (de->d_name[0] == '.')
                                continue;
                        /* a d_name has 255 bytes at most: both fit */
                        if (STR_FMT(digest, "sha256:%s", de->d_name) < 0 || json_object_get(refs.set, digest) ||
                            STR_FMT(rel, "%s/%s", dirs[k], de->d_name) < 0)
                                continue;
                        if (k == 0) {
                                /* a running sandbox holds its layers' locks */
                                int lfd = openat(s.dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                                bool busy = lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0;
                                if (!busy) {
                                        /* removed with the lock held, so no run starts on it */
                                        struct prune_job j = { &s, rel };
                                        if (userns_run(&m, remove_job, &j, NULL, &e) == 0)
                                                layers++;
                                        else
                                                nook_err_print(&e);
                                }
                                if (lfd >= 0)
                                        close(lfd);
                        } else if (unlinkat(s.dfd, rel, 0) == 0) {
                                blobs++;
                        }
                }
                if (dp)
                        closedir(dp);
                else if (fd >= 0)
                        close(fd);
        }
        close(lock);
        json_decref(refs.set);
        store_close(&s);
        printf("removed %u layer%s and %u blob%s\n", layers, layers == 1 ? "" : "s", blobs, blobs == 1 ? "" : "s");
        return 0;
}

struct verify {
        unsigned blobs, layers, images, bad;
        const struct store *s;
};

static void verify_bad(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verify_bad(struct verify *v, const char *fmt, ...)
{
        va_list ap;

        fputs("nook: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        v->bad++;
}

/* An image's record names what must be there: its config (and manifest)
   blob and each of its unpacked layers. */
static int verify_record(const char *name, json_t *rec, void *arg)
{
        struct verify *v = arg;
        const char *keys[] = { "config_digest", "manifest_digest" };
        json_t *l;
        size_t i;

        v->images++;
        for (size_t k = 0; k < 2; k++) {
                const char *d = json_string_value(json_object_get(rec, keys[k]));
                if (d && !store_has_blob(v->s, d, -1))
                        verify_bad(v, "image %s: its %s blob %s is missing (import the image again)", name,
                                   k ? "manifest" : "config", d);
        }
        json_array_foreach(json_object_get(rec, "layers"), i, l) {
                const char *id = json_string_value(json_object_get(l, "diff_id"));
                v->layers++;
                if (!id || !store_has_layer(v->s, id))
                        verify_bad(v, "image %s: layer %s is missing (import the image again)", name, id ? id : "?");
        }
        return 0;
}

/* Recomputes the digest of every blob and checks that every image's config,
   manifest and layers are there. An unpacked layer's own digest (of the
   tar it came from) cannot be recomputed from its files; its blob, while
   the store keeps it, is checked like any other. */
static int do_verify(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        struct verify v = { .s = &s };

        if (a->n_pos != 0) {
                fprintf(stderr, "nook: image verify takes no arguments\n");
                return 125;
        }
        if (store_open(&s, a->store, &e) < 0)
                return fail(&e);
        /* shared: no import or prune changes the store meanwhile */
        int lock = store_lock(&s, false, &e);
        if (lock < 0) {
                store_close(&s);
                return fail(&e);
        }
        int fd = openat(s.dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        while (dp && (de = readdir(dp))) {
                char got[DIGEST_STR_LEN + 1];
                if (de->d_name[0] == '.')
                        continue;
                v.blobs++;
                struct nook_err be = { 0 };
                if (store_blob_digest(&s, de->d_name, got, &be) < 0)
                        verify_bad(&v, "%s", be.msg);
                else if (strcmp(got + 7, de->d_name) != 0)
                        verify_bad(&v, "blob sha256:%s is damaged: its content has digest %s (import its image again)",
                                   de->d_name, got);
        }
        if (dp)
                closedir(dp);
        else if (fd >= 0)
                close(fd);
        store_image_each(&s, verify_record, &v);
        close(lock);
        store_close(&s);
        printf("%u blob%s, %u image%s, %u layer%s: %u problem%s\n", v.blobs, v.blobs == 1 ? "" : "s", v.images,
               v.images == 1 ? "" : "s", v.layers, v.layers == 1 ? "" : "s", v.bad, v.bad == 1 ? "" : "s");
        return v.bad ? 1 : 0;
}

/* `nook rm NAME...`: deletes persistent sandboxes, as the mapped ids that
   own their files; refused while one runs. */
int cmd_rm(int argc, char **argv)
{
        struct image_args a = { 0 };
        struct store s;
        struct userns_map m;
        struct nook_err e = { 0 };
        int r = parse(argc, argv, &a);

        if (r != 0)
                return r > 0 ? 0 : 125;
        if (a.n_pos < 1) {
                fprintf(stderr, "nook: rm takes the NAME of a persistent sandbox (see nook run --persist)\n");
                return 125;
        }
        if (store_open(&s, a.store, &e) < 0 || userns_map_choose(&m, a.map, &e) < 0)
                return fail(&e);
        for (int i = 0; i < a.n_pos && r == 0; i++) {
                char rel[256], lockrel[300];
                const char *name = a.pos[i];
                if (!*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 200) {
                        r = nook_errf(&e, EINVAL, "'%s' is not a sandbox name", nook_val(name));
                        break;
                }
                /* a name of 200 bytes at most: both fit */
                if (STR_FMT(rel, "containers/%s", name) < 0 || STR_FMT(lockrel, "%s/lock", rel) < 0) {
                        r = nook_errf(&e, ENAMETOOLONG, "'%s' is not a sandbox name", nook_val(name));
                        break;
                }
                int lock = openat(s.dfd, lockrel, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                if (lock < 0) {
                        r = nook_errf(&e, ENOENT, "no persistent sandbox named %s", name);
                        break;
                }
                if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
                        close(lock);
                        r = nook_errf(&e, EBUSY, "sandbox %s is running (stop it first)", name);
                        break;
                }
                struct prune_job j = { &s, rel };
                r = userns_run(&m, remove_job, &j, NULL, &e);
                close(lock);
                if (r == 0)
                        printf("%s\n", name);
        }
        store_close(&s);
        return r < 0 ? fail(&e) : 0;
}

int cmd_image(int argc, char **argv)
{
        struct image_args a = { 0 };

        if (argc < 2) {
                usage(stderr);
                return 125;
        }
        const char *sub = argv[1];
        if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(sub, "export") == 0)
                return cmd_image_export(argc - 1, argv + 1);
        if (strcmp(sub, "publish") == 0)
                return cmd_image_publish(argc - 1, argv + 1);
        int r = parse(argc - 1, argv + 1, &a);
        if (r != 0)
                return r > 0 ? 0 : 125;
        if (strcmp(sub, "import") == 0)
                return do_import(&a);
        if (strcmp(sub, "pull") == 0)
                return do_pull(&a);
        if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
                return do_ls(&a);
        if (strcmp(sub, "inspect") == 0)
                return do_inspect(&a);
        if (strcmp(sub, "rm") == 0)
                return do_rm(&a);
        if (strcmp(sub, "prune") == 0)
                return do_prune(&a);
        if (strcmp(sub, "verify") == 0)
                return do_verify(&a);
        fprintf(stderr, "nook: unknown image command '%s' (see 'nook image --help')\n", nook_val(sub));
        return 125;
}
