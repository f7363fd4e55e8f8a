/* firejail's file system directives (blacklist, whitelist, read-only,
   private-etc, private-bin, ...) in nook's terms: nook's view is the
   host's /usr, /etc and /opt read-only, a fresh /proc, a minimal /dev,
   private /tmp and /run, an empty home; so a blacklist becomes Hide=
   only for what that view shows, and a whitelist becomes a bind. */
#pragma once

#include "profiles/firejail-emit.h"

/* Reads what a directive tells about the whole profile into c->f. */
void fj_fs_facts(struct fj_ctx *c, const char *word, const char *arg);

/* After every line's facts: what depends on all of them. */
void fj_fs_facts_done(struct fj_ctx *c);

/* Translates the directive when it is one of the file system's: true,
   else false (nothing done). */
bool fj_fs(struct fj_emit *m, const char *word, const char *arg);
