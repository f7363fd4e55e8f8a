#include "spec/narrow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

static const struct {
        const char *name;
        int af;
} families[] = {
        { "unix", AF_UNIX },   { "inet", AF_INET },   { "inet6", AF_INET6 }, { "netlink", AF_NETLINK },
        { "packet", AF_PACKET }, { "bluetooth", AF_BLUETOOTH }, { "can", AF_CAN }, { "alg", AF_ALG },
        { "vsock", AF_VSOCK }, { "xdp", AF_XDP },
};

const char *spec_socket_family_name(int af)
{
        for (size_t i = 0; i < ARRAY_SIZE(families); i++)
                if (families[i].af == af)
                        return families[i].name;
        return NULL;
}

/* Calls fn for each comma-separated word of list (spaces around a word
   ignored); an empty word is an error. */
static int each_word(const char *list, const char *what, int (*fn)(struct nook_spec *, const char *, struct nook_err *),
                     struct nook_spec *s, struct nook_err *e)
{
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;
        int r = 0;

        if (!copy)
                return nook_errf(e, ENOMEM, "out of memory");
        if (!*list || strstr(list, ",,") || list[0] == ',' || list[strlen(list) - 1] == ',')
                return nook_errf(e, EINVAL, "'%s' is not a list of %s (names separated by commas)", nook_val(list), what);
        for (char *w = strtok_r(copy, ",", &save); r == 0 && w; w = strtok_r(NULL, ",", &save)) {
                w += strspn(w, " \t");
                size_t n = strlen(w);
                while (n && (w[n - 1] == ' ' || w[n - 1] == '\t'))
                        w[--n] = '\0';
                r = n ? fn(s, w, e) : nook_errf(e, EINVAL, "'%s' is not a list of %s", nook_val(list), what);
        }
        return r;
}

static bool has(char *const *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], name) == 0)
                        return true;
        return false;
}

/* An entry of /etc: a relative path without "." or ".." components. */
static int one_etc(struct nook_spec *s, const char *name, struct nook_err *e)
{
        if (name[0] == '/' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strncmp(name, "../", 3) == 0 ||
            strncmp(name, "./", 2) == 0 || strstr(name, "/../") || strstr(name, "/./") || strstr(name, "//") ||
            (strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0) || name[strlen(name) - 1] == '/' ||
            strlen(name) > 255)
                return nook_errf(e, EINVAL, "'%s' is not an entry of /etc (a name such as fonts or ssl/certs, without '..')",
                                 nook_val(name));
        if (has(s->private_etc, s->n_private_etc, name))
                return 0;
        return strv_push(&s->private_etc, &s->n_private_etc, name) < 0 ? nook_errf(e, ENOMEM, "out of memory") : 0;
}

/* A program's name, as it is in /usr/bin: no slash. */
static int one_bin(struct nook_spec *s, const char *name, struct nook_err *e)
{
        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strlen(name) > 255)
                return nook_errf(e, EINVAL, "'%s' is not a program name (a name in /usr/bin, such as ls, without '/')",
                                 nook_val(name));
        if (has(s->private_bin, s->n_private_bin, name))
                return 0;
        return strv_push(&s->private_bin, &s->n_private_bin, name) < 0 ? nook_errf(e, ENOMEM, "out of memory") : 0;
}

static int one_family(struct nook_spec *s, const char *name, struct nook_err *e)
{
        s->socket_families_set = true;
        if (strcmp(name, "none") == 0)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(families); i++)
                if (strcmp(families[i].name, name) == 0) {
                        s->socket_families |= UINT64_C(1) << families[i].af;
                        return 0;
                }
        return nook_errf(e, EINVAL, "'%s' is not a socket family (unix, inet, inet6, netlink, packet, bluetooth, can, alg, vsock, xdp, or none)",
                         nook_val(name));
}

int spec_add_private_etc(struct nook_spec *s, const char *list, struct nook_err *e)
{
        return each_word(list, "entries of /etc", one_etc, s, e);
}

int spec_add_private_bin(struct nook_spec *s, const char *list, struct nook_err *e)
{
        return each_word(list, "programs", one_bin, s, e);
}

int spec_add_socket_families(struct nook_spec *s, const char *list, struct nook_err *e)
{
        return each_word(list, "socket families", one_family, s, e);
}

int spec_set_machine_id(struct nook_spec *s, const char *v, struct nook_err *e)
{
        if (strcmp(v, "random") == 0)
                s->machine_id_random = true;
        else if (strcmp(v, "host") == 0)
                s->machine_id_random = false;
        else
                return nook_errf(e, EINVAL, "machine id '%s' is not one of random, host", nook_val(v));
        return 0;
}
