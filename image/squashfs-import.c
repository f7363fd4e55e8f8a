#include "image/squashfs-import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-export.h"
#include "image/image-manifest.h"
#include "image/squashfs-read.h"
#include "lib/cleanup.h"

/* A config file larger than this is not a config. */
#define CONFIG_MAX (4u << 20)

/* FILE.json beside FILE.sqsh, as `nook image export` writes it; a made-up
   config (a shell) when there is none. */
static int read_config(const char *path, json_t **out, struct nook_err *e)
{
        _cleanup_free_ char *cpath = image_export_config_path(path);
        struct stat st;
        json_error_t je;

        if (!cpath)
                return nook_errf(e, ENOMEM, "out of memory");
        _cleanup_close_ int fd = open(cpath, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                *out = image_config_made_up();
                return *out ? 0 : nook_errf(e, ENOMEM, "out of memory");
        }
        if (fd < 0 || fstat(fd, &st) < 0)
                return nook_errf(e, errno, "cannot read the image's config %s: %m", cpath);
        if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX)
                return nook_errf(e, EINVAL, "%s is not an image config (a JSON file of at most %u MiB, as nook image export writes)",
                                 cpath, CONFIG_MAX >> 20);
        *out = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
        if (!*out)
                return nook_errf(e, EINVAL, "%s:%d: not an image config: %s", cpath, je.line, je.text);
        json_t *cfg = json_object_get(*out, "config");
        if (!json_is_object(*out) || (cfg && !json_is_object(cfg))) {
                json_decref(*out);
                *out = NULL;
                return nook_errf(e, EINVAL, "%s is not an image config: it needs a JSON object, with \"config\" an object",
                                 cpath);
        }
        return 0;
}

/* What nook run reads of the image without mounting it. */
static int read_etc(struct sqsh *q, json_t *sq, struct nook_err *e)
{
        static const char *const files[] = { "etc/passwd", "etc/group" };

        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *buf = NULL;
                size_t len;
                int r = sqsh_read_file(q, files[i], SQUASHFS_ETC_MAX, &buf, &len, e);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                /* a string of JSON: no NUL inside */
                if (memchr(buf, '\0', len))
                        return nook_errf(e, EINVAL, "the image's /%s holds a NUL byte: it is not a %s file", files[i],
                                         files[i] + 4);
                json_object_set_new(sq, files[i] + 4, json_stringn(buf, len));
        }
        json_object_set_new(sq, "apt", json_boolean(sqsh_has_dir(q, "etc/apt/apt.conf.d")));
        return 0;
}

int squashfs_import(struct store *s, int fd, const char *path, const char *fallback, json_t **rec, char **name,
                    struct nook_err *e)
{
        char digest[DIGEST_STR_LEN + 1], rel[128];
        _cleanup_json_ json_t *config = NULL;
        _cleanup_(sqsh_closep) struct sqsh *q = NULL;
        _cleanup_free_ char *blob = NULL;
        uint64_t size = 0, entries = 0;
        int r = read_config(path, &config, e);

        /* the copy in the store is what is checked, and what runs */
        if (r == 0)
                r = store_put_blob(s, fd, NULL, digest, &size, e);
        if (r == 0 && (store_blob_rel(digest, rel, sizeof(rel)) < 0 || asprintf(&blob, "%s/%s", s->root, rel) < 0))
                r = nook_errf(e, ENOMEM, "out of memory");
        if (r == 0)
                r = sqsh_open(blob, path, &q, &entries, e);
        json_t *sq = r == 0 ? json_pack("{s:s,s:I,s:I}", "digest", digest, "size", (json_int_t)size, "entries",
                                        (json_int_t)entries) : NULL;
        if (r == 0 && !sq)
                r = nook_errf(e, ENOMEM, "out of memory");
        if (r == 0)
                r = read_etc(q, sq, e);
        if (r == 0) {
                *rec = image_record_make(fallback, FMT_SQUASHFS, NULL, digest, config, NULL, 0);
                *name = strdup(fallback);
                if (!*rec || !*name)
                        r = nook_errf(e, ENOMEM, "out of memory");
        }
        if (r == 0)
                json_object_set(*rec, "squashfs", sq);
        json_decref(sq);
        return r;
}
