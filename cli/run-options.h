/* `nook run`'s command line: argv into struct run_args (the options that
   are profile keys as keyfile entries, the others as they are), its first
   word told apart as a profile, an image or the command; the usage text. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "profiles/keyfile.h"
#include "spec/spec.h"

struct profile_env;

/* A result of its own, beside 0 and the negative errnos: --help or
   --version was printed, and nothing is to run (exit status 0). Passed up
   unchanged by run_spec_from_argv and run_prepare. */
enum { RUN_HELP_PRINTED = 1 };

/* `nook run` arguments before any profile is read. */
struct run_args {
        struct keyfile cli;     /* options that are profile keys, in order */
        struct nook_spec direct;/* what is not a key: --fd, -v */
        char *profile;          /* --profile, or a first word naming one */
        bool noprofile;
        bool dashdash;          /* "--" ended the options */
        char **command;         /* NULL when none was given */
        char **args;            /* words after PROFILE: appended to its Command= */
        bool quiet;             /* a look ahead: --help and --version print nothing */
        char *user;             /* -u/--user USER[:GROUP] */
        char *entrypoint;       /* --entrypoint: replaces an image's ("" clears it) */
        bool rm;                /* --rm: accepted, every sandbox is removed anyway */
};

void run_args_init(struct run_args *a);
void run_args_free(struct run_args *a);
/* Parses argv (argv[0] is "run"). pe, when given, tells profile names from
   commands. Returns 0, RUN_HELP_PRINTED, or a negative errno with e
   filled. */
int run_args_parse(struct run_args *a, int argc, char **argv, const struct profile_env *pe, struct nook_err *e);

void run_usage(FILE *out);
