#include "cli/conf-load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "spec/host.h"
#include "state/rundir.h"

const char *cli_conf_site_file(void)
{
        const char *site = getenv("NOOK_CONF_SITE");

        return site && *site ? site : NOOK_SYSCONF_CONF;
}

char *cli_conf_user_file(const struct vars *vs)
{
        char *path = NULL;

        if (asprintf(&path, "%s/nook/nook.conf", vs->v[VAR_XDG_CONFIG_HOME]) < 0)
                return NULL;
        return path;
}

int cli_conf_load(struct nook_conf *c, const struct vars *vs, struct diag *d)
{
        _cleanup_free_ char *user = cli_conf_user_file(vs);

        if (!user)
                return -ENOMEM;
        int r = conf_load(c, cli_conf_site_file(), user, vs, d);
        const char *rt = conf_get(c, CONF_RUNTIME_DIR);
        /* the run directory's base and PID under it must fit rundir_base's
           buffers: refused here rather than silently replaced */
        if (r == 0 && rt && strlen(rt) > 4000)
                r = diag_add(d, c->v[CONF_RUNTIME_DIR].origin, 0, "RuntimeDir= is longer than 4000 bytes");
        if (r == 0)
                r = rundir_set_fallback(rt);
        return r;
}

int cli_conf_load_or_fail(struct nook_conf *c, const struct vars *vs, struct nook_err *e)
{
        _cleanup_(diag_free) struct diag d;

        diag_init(&d);
        int r = cli_conf_load(c, vs, &d);
        if (r == -ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        if (r == 0)
                return 0;
        if (d.n == 1)
                return diag_to_err(&d, e);
        /* every problem at once, as `nook profile check` gives them */
        for (size_t i = 0; i < d.n; i++)
                nook_say("%s", d.msgs[i]);
        return nook_errf(e, EINVAL, "the configuration has %zu problems (above): fix them (see nook.conf(5))", d.n);
}

/* The host facts and variables of a command that has none of its own. */
static int load_alone(struct nook_conf *c, bool quiet, struct nook_err *e)
{
        _cleanup_(host_facts_free) struct host_facts h = { 0 };
        _cleanup_(diag_free) struct diag d;
        struct vars vs;

        memset(c, 0, sizeof(*c));
        diag_init(&d);
        int r = host_facts_read(&h, e);
        if (r < 0)
                return r;
        r = vars_init(&vs, &h, e);
        if (r < 0)
                return r;
        r = quiet ? cli_conf_load(c, &vs, &d) : cli_conf_load_or_fail(c, &vs, e);
        vars_free(&vs);
        return r;
}

int cli_conf_load_simple(struct nook_conf *c, struct nook_err *e)
{
        return load_alone(c, false, e);
}

void cli_conf_load_quietly(struct nook_conf *c)
{
        struct nook_err e = { 0 };

        (void)load_alone(c, true, &e);
}

int cli_conf_shared_dirs(const struct nook_conf *c, char ***v, size_t *n)
{
        for (size_t i = 0; c && i < c->n_shared; i++)
                if (strv_push(v, n, c->shared[i].value) < 0)
                        return -ENOMEM;
        return 0;
}

int cli_conf_image_stores(const char **store, char ***shared, size_t *n)
{
        static struct nook_conf conf;
        struct nook_err e = { 0 };

        if (cli_conf_load_simple(&conf, &e) < 0) {
                nook_err_print(&e);
                return -EINVAL;
        }
        if (!*store)
                *store = conf_get(&conf, CONF_STORE_PATH);
        if (cli_conf_shared_dirs(&conf, shared, n) < 0) {
                fprintf(stderr, "nook: out of memory\n");
                return -EINVAL;
        }
        return 0;
}
