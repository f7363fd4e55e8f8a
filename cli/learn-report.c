#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cli/learn-report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

void learn_put_text(FILE *f, const char *s)
{
        for (; *s; s++)
                fputc((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s, f);
}

static size_t dir_len(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash == path ? 1 : (size_t)(slash - path);
}

/* By directory, then by name. */
static int cmp_by_dir(const void *a, const void *b)
{
        const char *p = (*(const struct obs_path *const *)a)->path;
        const char *q = (*(const struct obs_path *const *)b)->path;
        size_t lp = dir_len(p), lq = dir_len(q);
        int c = memcmp(p, q, lp < lq ? lp : lq);

        if (c)
                return c;
        if (lp != lq)
                return lp < lq ? -1 : 1;
        return strcmp(p, q);
}

/* What the files of one directory were used for. */
struct dir_sum {
        unsigned long read, written, run, made, removed, missing;
};

static void dir_add(struct dir_sum *d, const struct obs_path *p)
{
        struct stat st;
        bool exists = lstat(p->path, &st) == 0;

        if (!exists && !(p->access & (OBS_CREATE | OBS_REMOVE | OBS_MKDIR))) {
                d->missing++;
                return;
        }
        d->run += !!(p->access & OBS_EXEC);
        d->read += (p->access & (OBS_READ | OBS_EXEC)) == OBS_READ;
        d->written += !!(p->access & OBS_WRITE);
        d->made += !!(p->access & (OBS_CREATE | OBS_MKDIR));
        d->removed += !!(p->access & OBS_REMOVE);
}

static void dir_print(FILE *f, const char *path, size_t len, const struct dir_sum *d)
{
        static const char *const names[] = { "read", "written", "run", "made", "removed", "looked for, missing" };
        const unsigned long n[] = { d->read, d->written, d->run, d->made, d->removed, d->missing };
        const char *sep = "";
        _cleanup_free_ char *dir = strndup(path, len);

        fputs("  ", f);
        learn_put_text(f, dir ? dir : "?");
        fputs(": ", f);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (n[i]) {
                        fprintf(f, "%s%lu %s", sep, n[i], names[i]);
                        sep = ", ";
                }
        fputc('\n', f);
}

static int report_files(FILE *f, const struct observed *o)
{
        _cleanup_free_ const struct obs_path **v = calloc(o->n_paths + 1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_paths; i++)
                v[i] = &o->paths[i];
        qsort(v, o->n_paths, sizeof(*v), cmp_by_dir);
        fprintf(f, "Files, by directory (%zu paths):\n", o->n_paths);
        struct dir_sum d = { 0 };
        for (size_t i = 0; i < o->n_paths; i++) {
                dir_add(&d, v[i]);
                size_t len = dir_len(v[i]->path);
                const char *next = i + 1 < o->n_paths ? v[i + 1]->path : NULL;
                if (next && dir_len(next) == len && memcmp(next, v[i]->path, len) == 0)
                        continue;
                dir_print(f, v[i]->path, len, &d);
                d = (struct dir_sum){ 0 };
        }
        return 0;
}

/* Programs run (not those a PATH search tried and did not find), or
   device nodes, with how they were used. */
static void report_paths(FILE *f, const struct observed *o, bool devices)
{
        struct stat st;

        fputs(devices ? "Devices:\n" : "Programs run:\n", f);
        for (size_t i = 0; i < o->n_paths; i++) {
                const struct obs_path *p = &o->paths[i];
                if (devices ? !learn_is_device(p->path) : (!(p->access & OBS_EXEC) || stat(p->path, &st) < 0))
                        continue;
                fputs("  ", f);
                learn_put_text(f, p->path);
                fputs(" (", f);
                if (devices)
                        fprintf(f, "%s%s, ", p->access & OBS_READ ? "r" : "", p->access & OBS_WRITE ? "w" : "");
                fprintf(f, "%lu time%s, first by ", p->count, p->count == 1 ? "" : "s");
                learn_put_text(f, p->prog);
                fputs(")\n", f);
        }
}

static void report_network(FILE *f, const struct observed *o)
{
        fputs("Network destinations:\n", f);
        for (size_t i = 0; i < o->n_nets; i++) {
                const struct obs_net *n = &o->nets[i];
                fputs("  ", f);
                if (n->family == AF_UNIX) {
                        fputs("unix socket ", f);
                        learn_put_text(f, n->addr);
                } else {
                        fprintf(f, "%s%s%s:%u", n->family == AF_INET6 ? "[" : "", n->addr,
                                n->family == AF_INET6 ? "]" : "", n->port);
                        if (n->port == 53 && !n->bound)
                                fputs(" (a name server)", f);
                }
                if (n->bound)
                        fputs(" (listened on)", f);
                fprintf(f, " (%lu time%s, first by ", n->count, n->count == 1 ? "" : "s");
                learn_put_text(f, n->prog);
                fputs(")\n", f);
        }
}

bool learn_is_device(const char *path)
{
        struct stat st;

        return str_has_prefix(path, "/dev/") && stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

void learn_put_over(FILE *f, const struct observed *o, const char *lead)
{
        if (!o->over)
                return;
        fprintf(f, "%s%lu uses were not recorded: the run went past what nook keeps of one run (%d paths,\n"
                "%s%u MiB of names, %d destinations); what is here misses them\n",
                lead, o->over, OBS_MAX_PATHS, lead, OBS_MAX_PATH_BYTES >> 20, OBS_MAX_NETS);
}

int learn_report_write(FILE *f, const struct observed *o, char *const *argv, struct nook_err *e)
{
        fputs("nook learn: what one run of", f);
        for (size_t i = 0; argv[i]; i++) {
                fputc(' ', f);
                learn_put_text(f, argv[i]);
        }
        fprintf(f, " used (%lu calls observed)\n", o->notifications);
        learn_put_over(f, o, "  ");
        int r = report_files(f, o);
        if (r < 0)
                return nook_errf(e, -r, "cannot write the report: %m");
        report_paths(f, o, false);
        report_paths(f, o, true);
        report_network(f, o);
        if (fflush(f) != 0 || ferror(f))
                return nook_errf(e, EIO, "cannot write the report");
        return 0;
}
