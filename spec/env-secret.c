/* Which of the caller's variables look like secrets (spec_env_resolve
   leaves them out of a host sandbox): by name, and for a URL with a
   password in it, by value. doc/nook.1, ENVIRONMENT, lists the rules for
   users; environment.bats tests each. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "lib/cleanup.h"
#include "spec/spec.h"

/* Names that look like secrets, compared without regard to case
   (doc/nook.1, ENVIRONMENT, lists them for users). */
static const char *const secret_exact[] = {
        "SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO", "KRB5CCNAME", "GNOME_KEYRING_CONTROL",
        "MYSQL_PWD",
};
static const char *const secret_prefix[] = { "AWS_", "BEARER" };
/* _PWD, _PASS: never PWD, OLDPWD, BYPASS, COMPASS */
static const char *const secret_suffix[] = {
        "_KEY", "_AUTH", "_CREDENTIALS", "_CREDENTIAL", "_PAT", "_DSN", "_PASS", "_PWD",
};
static const char *const secret_part[] = {
        "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "_AUTH_", "_API_KEY", "APIKEY", "_ACCESS_KEY",
        "_PRIVATE_KEY", "JWT", "WEBHOOK", "COOKIE",
};
/* Words that hold a part but are no secret, blanked out before the parts
   are looked for: TOKENIZERS_PARALLELISM is a setting. */
static const char *const secret_not[] = { "TOKENIZ" };
/* Names whose values may be URLs: with a user and password in them
   (scheme://user:pass@host), they are secrets whatever the name. */
static const char *const secret_url_suffix[] = { "_URL", "_URI", "_PROXY" };

static bool has_suffix(const char *up, size_t n, const char *const *v, size_t nv)
{
        for (size_t i = 0; i < nv; i++) {
                size_t m = strlen(v[i]);
                if (n > m && strcmp(up + n - m, v[i]) == 0)
                        return true;
        }
        return false;
}

/* name in capitals into up; false when it is longer than any variable
   anyone names (which counts as a secret's). */
static bool upper(const char *name, char up[256], size_t *n)
{
        *n = strlen(name);
        if (*n >= 256)
                return false;
        for (size_t i = 0; i <= *n; i++)
                up[i] = (char)toupper((unsigned char)name[i]);
        return true;
}

bool spec_env_looks_secret(const char *name)
{
        char up[256];
        size_t n;

        if (!upper(name, up, &n))
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(secret_exact); i++)
                if (strcmp(up, secret_exact[i]) == 0)
                        return true;
        for (size_t i = 0; i < ARRAY_SIZE(secret_prefix); i++)
                if (strncmp(up, secret_prefix[i], strlen(secret_prefix[i])) == 0)
                        return true;
        if (has_suffix(up, n, secret_suffix, ARRAY_SIZE(secret_suffix)))
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(secret_not); i++)
                for (char *p = up; (p = strstr(p, secret_not[i]));)
                        memset(p, '.', strlen(secret_not[i]));
        for (size_t i = 0; i < ARRAY_SIZE(secret_part); i++)
                if (strstr(up, secret_part[i]))
                        return true;
        return false;
}

bool spec_env_value_looks_secret(const char *name, const char *value)
{
        char up[256];
        size_t n;

        if (!upper(name, up, &n))
                return true;
        if (!has_suffix(up, n, secret_url_suffix, ARRAY_SIZE(secret_url_suffix)))
                return false;
        /* the authority: after "scheme://" (or from the start: curl takes
           user:pass@proxy:3128), up to the path */
        const char *auth = strstr(value, "://");
        auth = auth ? auth + 3 : value;
        size_t len = strcspn(auth, "/?#");
        const char *at = memrchr(auth, '@', len);
        return at && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}
