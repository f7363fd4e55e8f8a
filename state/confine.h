/* What confines a sandbox's command, as its run state records it for nook
   enter: one table of the spec's confinement fields (name, kind, place),
   through which they are both written and read, so that a knob cannot
   reach the state on one side only. Every other field of struct
   nook_spec is listed as not confinement, and tests/check-confine (make
   check) fails on a field that is in neither list. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"
#include "spec/spec.h"

/* What nook enter needs besides the spec: what the state recorded of the
   command's identity. */
struct run_confine {
        bool image;                     /* an image's sandbox */
        uid_t nest_uid;                 /* the command's ids, for a nested namespace */
        gid_t nest_gid;
        unsigned long long pid1_start;  /* pid 1's start time (not in the table:
                                           the state file's own field) */
};

enum confine_kind {
        CONFINE_BOOL,           /* bool */
        CONFINE_ID,             /* uid_t, gid_t */
        CONFINE_UINT,           /* unsigned */
        CONFINE_INT,            /* int */
        CONFINE_U64,            /* uint64_t, at most INT64_MAX */
        CONFINE_CHARS,          /* char[N]: a string that must fit, never cut */
        CONFINE_SECCOMP,        /* enum spec_seccomp, by name */
        CONFINE_STRV,           /* char **, with its count n_NAME */
        CONFINE_LIMITS,         /* struct spec_limit_value[SPEC_LIMIT_COUNT], by name */
        CONFINE_NET_RULES,      /* struct net_rule *, with its count n_NAME */
};

struct confine_field {
        const char *name;       /* the field's name in its struct, and its key in the state */
        enum confine_kind kind;
        size_t offset;
        size_t size;            /* of the field */
        size_t count_offset;    /* STRV, NET_RULES: of its count (size_t) */
};

/* struct nook_spec's confinement, struct net_rule's fields (all of them),
   struct run_confine's (but pid1_start). */
extern const struct confine_field confine_spec_fields[];
extern const size_t confine_n_spec_fields;
extern const struct confine_field confine_rule_fields[];
extern const size_t confine_n_rule_fields;
extern const struct confine_field confine_run_fields[];
extern const size_t confine_n_run_fields;
/* The names of struct nook_spec's other fields (checked by the compiler:
   each is a field). */
extern const char *const confine_not_spec_fields[];
extern const size_t confine_n_not_spec_fields;

/* The names in the state file of the limits (SPEC_LIMIT_*), and of the
   seccomp modes. */
const char *confine_limit_name(enum spec_limit l);

/* What the run state's "confine" holds, from the spec and c; NULL when
   out of memory. */
json_t *confine_to_json(const struct nook_spec *s, const struct run_confine *c);

/* Fills s (spec_init()ed) and c from k, the "confine" of a state file:
   0, -ENOMEM, or -EPROTO (e says which key) when k holds a key this nook
   does not know or a value it does not write: nook enter must apply all
   that confined the command, or nothing. A key that is missing keeps its
   spec_init() value (the nook that wrote it had no such knob). States of
   earlier nooks (limits by position, seccomp as true or false) are read
   too. */
int confine_from_json(json_t *k, struct nook_spec *s, struct run_confine *c, struct nook_err *e);
