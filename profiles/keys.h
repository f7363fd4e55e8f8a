/* The profile keys: which exist, in which section, whether they repeat,
   which `nook run` option matches each, and how a value changes the spec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "spec/spec.h"

enum key_flags {
        KEY_LIST = 1 << 0,      /* repeatable, values accumulate; an empty value clears */
        KEY_META = 1 << 1,      /* about the profile itself (Include, Description) */
        KEY_LATER = 1 << 2,     /* known, arrives with a later feature: refused for now */
        KEY_FLAG = 1 << 3,      /* its option takes no value (sets the key to `flag_value`) */
};

struct key_def {
        const char *section;
        const char *key;
        unsigned flags;
        const char *option;     /* the matching `nook run` option, without "--" */
        const char *flag_value; /* for KEY_FLAG options */
        int (*apply)(struct nook_spec *s, const char *value, struct nook_err *e);
        const char *later;      /* KEY_LATER: the feature that will bring it */
};

extern const struct key_def key_table[];
extern const size_t key_table_size;

/* The key, or NULL. Sections and keys are case-sensitive, as in systemd. */
const struct key_def *key_lookup(const char *section, const char *key);
bool key_section_known(const char *section);

/* The closest known key of a section (or of any section when section is
   unknown), for "did you mean" hints; NULL when none is close. */
const char *key_suggest(const char *section, const char *key);
const char *key_suggest_section(const char *section);
/* The section that does have this key, when the key is in the wrong one. */
const char *key_home_section(const char *key);

const struct key_def *key_by_option(const char *option);
