#include "spec/fake-ids.h"

#include <errno.h>
#include <string.h>

#include "lib/cleanup.h"

int spec_fake_ids_parse(const char *v, enum spec_fake_ids *out, struct nook_err *e)
{
        static const struct { const char *word; enum spec_fake_ids mode; } words[] = {
                { "auto", SPEC_FAKE_IDS_AUTO }, { "yes", SPEC_FAKE_IDS_YES }, { "true", SPEC_FAKE_IDS_YES },
                { "on", SPEC_FAKE_IDS_YES }, { "1", SPEC_FAKE_IDS_YES }, { "no", SPEC_FAKE_IDS_NO },
                { "false", SPEC_FAKE_IDS_NO }, { "off", SPEC_FAKE_IDS_NO }, { "0", SPEC_FAKE_IDS_NO },
        };

        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strcmp(v, words[i].word) == 0) {
                        *out = words[i].mode;
                        return 0;
                }
        return nook_errf(e, EINVAL, "FakeIds '%s' is not one of yes, no, auto", nook_val(v));
}

int spec_fake_ids_resolve(struct nook_spec *s, bool one_id, enum spec_fake_ids dflt, struct nook_err *e)
{
        bool possible = s->image && s->seccomp == SPEC_SECCOMP_DEFAULT;

        s->fake_ids = false;
        switch (s->fake_ids_want) {
        case SPEC_FAKE_IDS_NO:
                return 0;
        case SPEC_FAKE_IDS_YES:
                if (!s->image)
                        return nook_errf(e, EINVAL, "FakeIds=yes (--fake-ids) fakes owners and ids in an image sandbox; a host sandbox keeps your own: drop it, or give an image");
                if (!possible)
                        return nook_errf(e, EINVAL, "FakeIds=yes is made by the seccomp filter: drop Seccomp=none (--seccomp none), or use FakeIds=no");
                s->fake_ids = true;
                return 0;
        case SPEC_FAKE_IDS_AUTO:
                break;
        }
        if (dflt == SPEC_FAKE_IDS_NO)
                return 0;
        s->fake_ids = possible && (one_id || dflt == SPEC_FAKE_IDS_YES);
        return 0;
}
