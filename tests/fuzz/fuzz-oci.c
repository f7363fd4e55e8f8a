/* libFuzzer target for the OCI JSON readers: the image index (nested
   indexes, platforms, ref names), the image manifest and the image config,
   as `nook image import DIR` reads them from an OCI layout (image_import),
   then the config's Env, Entrypoint, Cmd, WorkingDir and User and the
   image's /etc/passwd and /etc/group, as `nook run IMAGE` reads them
   (image_spec_resolve).

   An input is up to five parts separated by lines "--": index.json, the
   manifest, the config, etc/passwd and etc/group. When the first part
   starts with '[', it is instead the manifest.json of a `docker save`
   archive (the second part is then unused), and the harness imports a tar
   of it, the config as "config.json" and the layer blob as "layer.tar". Since the layout names
   its blobs by digest, the harness writes the manifest and the config as
   blobs and replaces, in every part, "@M" by the manifest's digest, "@C"
   by the config's, "@L" by a layer blob that is always there and "@D" by
   that layer's diff_id, already unpacked in the store (with the input's
   passwd and group): so a random input can reach every reader without
   guessing a sha256. A layer the store lacks would be unpacked in a user
   namespace; that is image/layer-unpack's target, and it fails here at once.

   Everything lives in one temporary directory (the layout and the store),
   emptied after each input. */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/digest.h"
#include "image/image-import.h"
#include "image/store.h"
#include "lib/err.h"
#include "spec/image-spec.h"
#include "spec/spec.h"
#include "cred/userns.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_PARTS 5
static const char layer_blob[] = "fuzz-oci layer";
static char top[4096], layer_digest[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
static int first_free_fd;

static void die(const char *what)
{
        perror(what);
        abort();
}

static void digest_of(const char *buf, size_t len, char out[DIGEST_STR_LEN + 1])
{
        struct digest_ctx *c = digest_new();
        if (!c)
                die("fuzz-oci: digest_new");
        digest_update(c, buf, len);
        digest_final(c, out);
}

static void remove_top(void)
{
        rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(top, sizeof(top), "%s/nook-fuzz-oci.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(top))
                die("fuzz-oci: mkdtemp");
        atexit(remove_top);
        digest_of(layer_blob, strlen(layer_blob), layer_digest);
        digest_of("fuzz-oci diff", 13, diff_id);
        /* image_spec_resolve keeps the layers it uses open until exit, on
           purpose: everything from here up is closed after each input */
        first_free_fd = dup(0);
        if (first_free_fd < 0)
                die("fuzz-oci: dup");
        close(first_free_fd);
        return 0;
}

static void write_at(int dir, const char *rel, const char *buf, size_t len)
{
        int fd = openat(dir, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len))
                die("fuzz-oci: write");
        close(fd);
}

static void mkdirs(int dir, const char *rel)
{
        char p[256];
        snprintf(p, sizeof(p), "%s", rel);
        for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = '\0';
                if (mkdirat(dir, p, 0700) < 0 && errno != EEXIST)
                        die("fuzz-oci: mkdir");
                if (!s)
                        break;
                *s = '/';
        }
}

static void tar_add(struct archive *a, const char *name, const char *buf, size_t len)
{
        struct archive_entry *ae = archive_entry_new();

        if (!ae)
                die("fuzz-oci: archive_entry_new");
        archive_entry_set_pathname(ae, name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)len);
        if (archive_write_header(a, ae) != ARCHIVE_OK || (len && archive_write_data(a, buf, len) != (la_ssize_t)len)) {
                fprintf(stderr, "fuzz-oci: writing the tar: %s\n", archive_error_string(a));
                abort();
        }
        archive_entry_free(ae);
}

/* A `docker save` archive: manifest.json, config.json, layer.tar. */
static void write_docker_tar(const char *path, const char *manifest, size_t ml, const char *config, size_t cl)
{
        struct archive *a = archive_write_new();

        if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, path) != ARCHIVE_OK)
                die("fuzz-oci: archive_write");
        tar_add(a, "manifest.json", manifest, ml);
        tar_add(a, "config.json", config, cl);
        tar_add(a, "layer.tar", layer_blob, strlen(layer_blob));
        archive_write_free(a);
}

/* part with the placeholders replaced (to free) */
static char *expand(const char *in, size_t len, const char *m, const char *c, size_t *out_len)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                die("fuzz-oci: open_memstream");
        for (size_t i = 0; i < len; i++) {
                const char *d = NULL;
                if (in[i] == '@' && i + 1 < len)
                        switch (in[i + 1]) {
                        case 'M': d = m; break;
                        case 'C': d = c; break;
                        case 'L': d = layer_digest; break;
                        case 'D': d = diff_id; break;
                        }
                if (d) {
                        fputs(d, f);
                        i++;
                } else {
                        fputc(in[i], f);
                }
        }
        fclose(f);
        *out_len = size;
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *part[N_PARTS] = { "", "", "", "", "" };
        size_t len[N_PARTS] = { 0 };
        const char *p = (const char *)data, *end = p + size;
        char m[DIGEST_STR_LEN + 1], c[DIGEST_STR_LEN + 1], rel[256], path[4200];
        size_t n = 0;

        /* the parts, split at "\n--\n" */
        while (n < N_PARTS) {
                const char *sep = memmem(p, (size_t)(end - p), "\n--\n", 4);
                part[n] = p;
                len[n++] = (size_t)((sep ? sep : end) - p);
                if (!sep)
                        break;
                p = sep + 4;
        }
        /* the digests are those of the blobs as written: the manifest may
           name the config, so the config is expanded first (its own @C and
           @M stay literal) */
        size_t cl, ml, il, pl, gl;
        char *config = expand(part[2], len[2], "@M", "@C", &cl);
        digest_of(config, cl, c);
        char *manifest = expand(part[1], len[1], "@M", c, &ml);
        digest_of(manifest, ml, m);
        char *index = expand(part[0], len[0], m, c, &il);
        char *passwd = expand(part[3], len[3], m, c, &pl);
        char *group = expand(part[4], len[4], m, c, &gl);

        int t = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t < 0)
                die("fuzz-oci: open");
        /* the layout */
        mkdirs(t, "layout/blobs/sha256");
        write_at(t, "layout/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
        write_at(t, "layout/index.json", index, il);
        snprintf(rel, sizeof(rel), "layout/blobs/sha256/%s", digest_hex(m));
        write_at(t, rel, manifest, ml);
        snprintf(rel, sizeof(rel), "layout/blobs/sha256/%s", digest_hex(c));
        write_at(t, rel, config, cl);
        snprintf(rel, sizeof(rel), "layout/blobs/sha256/%s", digest_hex(layer_digest));
        write_at(t, rel, layer_blob, strlen(layer_blob));
        /* the store, with the layer already unpacked */
        snprintf(rel, sizeof(rel), "store/layers/%s/etc", digest_hex(diff_id));
        mkdirs(t, rel);
        snprintf(rel, sizeof(rel), "store/layers/%s/etc/passwd", digest_hex(diff_id));
        write_at(t, rel, passwd, pl);
        snprintf(rel, sizeof(rel), "store/layers/%s/etc/group", digest_hex(diff_id));
        write_at(t, rel, group, gl);

        struct store st;
        struct nook_err e = { 0 };
        struct userns_map map = { .range = false, .uid = getuid(), .gid = getgid() };
        struct import_opts o = { .name = "fuzz", .map = &map, .locked = true };
        char *stored = NULL;
        snprintf(path, sizeof(path), "%s/store", top);
        if (store_open(&st, path, &e) < 0) {
                fprintf(stderr, "fuzz-oci: %s\n", e.msg);
                abort();
        }
        bool docker = il > 0 && index[0] == '[';
        snprintf(path, sizeof(path), "%s/%s", top, docker ? "image.tar" : "layout");
        if (docker)
                write_docker_tar(path, index, il, config, cl);
        int r = image_import(&st, path, &o, &stored, &e);
        store_close(&st);
        if (r == 0) {
                struct nook_spec spec;
                spec_init(&spec);
                snprintf(path, sizeof(path), "%s/store", top);
                spec.image = stored;
                spec.store = strdup(path);
                if (spec.store)
                        r = image_spec_resolve(&spec, &e);
                /* FUZZ_OCI_DEBUG=1: how far an input got (writing seeds) */
                if (getenv("FUZZ_OCI_DEBUG"))
                        fprintf(stderr, "fuzz-oci: imported %s; run: %s, user %u:%u, %zu layers\n", spec.image,
                                r < 0 ? e.msg : "ok", spec.run_uid, spec.run_gid, spec.n_layers);
                spec_free(&spec);
        } else {
                if (getenv("FUZZ_OCI_DEBUG"))
                        fprintf(stderr, "fuzz-oci: import: %s\n", e.msg);
                free(stored);
        }

        free(config);
        free(manifest);
        free(index);
        free(passwd);
        free(group);
        /* everything this input made, with the store's own removal */
        static const char *const made[] = { "layout", "store", "image.tar" };
        for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
                int gone = store_remove_at(t, made[i]);
                if (gone < 0) {
                        errno = -gone;
                        die("fuzz-oci: cleaning up");
                }
        }
        close(t);
        close_range((unsigned)first_free_fd, ~0U, 0);
        return 0;
}
