/* libFuzzer target for the profile pipeline: arbitrary bytes go through
   keyfile_parse, profile_resolve, profile_apply and profile_print, as
   `nook profile show` and `nook run --profile` would take them.

   Nothing here touches the file system once the fuzzer runs: the search
   path is empty, and profile_resolve skips Include= (following includes is
   profile_load's job), so a fuzzed profile never opens another file. The
   variables come from a made-up host, not the one the fuzzer runs on. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "profiles/diag.h"
#include "profiles/keyfile.h"
#include "profiles/loader.h"
#include "profiles/vars.h"
#include "lib/err.h"
#include "spec/host.h"
#include "spec/spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file name with a directory, so that ${PROFILE_DIR} has one. */
#define FUZZ_FILE "/home/fuzz/.config/nook/profiles/fuzz.profile"

static struct profile_env env;  /* dirs[] empty: profile_find never searches */
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static char home[] = "/home/fuzz", cwd[] = "/home/fuzz/src";
        struct host_facts h = { .uid = 1000, .gid = 1000, .home = home, .cwd = cwd };
        struct nook_err e = { 0 };

        /* vars_init also reads USER and XDG_*: pin them, so that an input
           expands the same on every machine and a crash replays anywhere */
        setenv("USER", "fuzz", 1);
        unsetenv("XDG_RUNTIME_DIR");
        unsetenv("XDG_CONFIG_HOME");
        unsetenv("XDG_DATA_HOME");
        unsetenv("XDG_CACHE_HOME");
        if (vars_init(&env.vars, &h, &e) < 0) {
                fprintf(stderr, "fuzz-profile: vars_init: %s\n", e.msg);
                abort();
        }
        /* profile_print must format every value, but its output is of no
           interest; a real FILE keeps stdio's own paths in play */
        sink = fopen("/dev/null", "we");
        if (!sink) {
                perror("fuzz-profile: /dev/null");
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct keyfile kf;
        struct diag d;
        struct resolved r = { 0 };
        struct nook_spec spec;
        struct nook_err e = { 0 };

        keyfile_init(&kf);
        diag_init(&d);
        spec_init(&spec);

        /* Errors in the profile are the common case and are not a reason to
           stop: resolve, apply and print whatever survived, as `nook profile
           check` reports everything at once. Only running out of memory ends
           an iteration early. */
        if (keyfile_parse(&kf, (const char *)data, size, FUZZ_FILE, &d) != -ENOMEM &&
            profile_resolve(&env, &kf, &r, &d) != -ENOMEM &&
            profile_apply(&r, &spec, &d) != -ENOMEM) {
                profile_print(&r, sink);
                diag_to_err(&d, &e);
        }

        spec_free(&spec);
        resolved_free(&r);
        diag_free(&d);
        keyfile_free(&kf);
        return 0;
}
