/* nook.conf(5) as every command of nook's reads it: the site file (the
   configure-time path, or $NOOK_CONF_SITE in its place for tests), the
   user's, the environment; [Run] RuntimeDir= handed to the run directory. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "profiles/conf.h"
#include "profiles/diag.h"
#include "profiles/vars.h"

/* The site file: $NOOK_CONF_SITE when set, else NOOK_SYSCONF_CONF. */
const char *cli_conf_site_file(void);
/* $XDG_CONFIG_HOME/nook/nook.conf (vs: its XDG default), to free; NULL
   only on ENOMEM. */
char *cli_conf_user_file(const struct vars *vs);

/* Loads the configuration into c (every problem into d, -EINVAL then) and,
   when it is good, makes RuntimeDir= the run directories' fallback base. */
int cli_conf_load(struct nook_conf *c, const struct vars *vs, struct diag *d);

/* The same for a command: a bad configuration prints every problem
   ("nook: FILE:LINE: ...") and fills e, for exit status 125. */
int cli_conf_load_or_fail(struct nook_conf *c, const struct vars *vs, struct nook_err *e);

/* For commands without variables of their own (ps, enter, nook-image):
   the host facts and variables read here. */
int cli_conf_load_simple(struct nook_conf *c, struct nook_err *e);

/* The directories of every [Store] Shared= of c, in order, pushed onto *v
   (a vector to free): 0 or -ENOMEM. */
int cli_conf_shared_dirs(const struct nook_conf *c, char ***v, size_t *n);

/* For the image commands: [Store] Path= into *store unless one is given
   (--store), and every Shared= onto *shared; the configuration is kept for
   the life of the process. A bad configuration is printed: -EINVAL. */
int cli_conf_image_stores(const char **store, char ***shared, size_t *n);

/* The same without a word: a bad configuration leaves the defaults (for
   nook doctor, whose run directory line follows RuntimeDir=). */
void cli_conf_load_quietly(struct nook_conf *c);
