/* libFuzzer target for the run state reader: each input is the text of a
   run directory's "state" file, read as `nook ps`, `nook stop` and
   `nook enter` read it (runstate_parse), and its confinement as
   `nook enter` rebuilds it (runstate_parse_confinement). A state file is
   written by nook itself, but any process of the user can rewrite it, so
   its reader must hold against anything. Pure: nothing else is read. */
#include <stdint.h>
#include <stdlib.h>

#include "state/runstate.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct run_state st;
        struct nook_spec spec;
        struct run_confine c = { 0 };

        if (runstate_parse((const char *)data, size, &st) == 0)
                run_state_free(&st);
        spec_init(&spec);
        struct nook_err e = { 0 };
        runstate_parse_confinement((const char *)data, size, &spec, &c, &e);
        spec_free(&spec);
        return 0;
}
