#include "netns/resolv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool loopback(const char *addr)
{
        return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* Appends the non-loopback "nameserver" lines of text; true when text had
   a loopback one (a local stub). */
static bool copy_servers(FILE *out, const char *text)
{
        bool stub = false;
        const char *p = text;

        while (p && *p) {
                size_t n = strcspn(p, "\n");
                /* the whole line, however long: a cut one could name
                   another server */
                char *line = strndup(p, n);
                p += n + (p[n] == '\n');
                char addr[128];
                int got = line ? sscanf(line, " nameserver %127s", addr) : 0;
                free(line);
                if (got != 1)
                        continue;
                if (loopback(addr))
                        stub = true;
                else
                        fprintf(out, "nameserver %s\n", addr);
        }
        return stub;
}

char *resolv_conf_make(const struct net_config *s, const char *host_resolv, const char *resolved_upstream)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        fputs("# written by nook for this sandbox\n", f);
        if (s->n_dns) {
                for (size_t i = 0; i < s->n_dns; i++)
                        fprintf(f, "nameserver %s\n", s->dns[i]);
        } else {
                fputs("nameserver 10.0.2.3\n", f);
                if (copy_servers(f, host_resolv) && resolved_upstream)
                        copy_servers(f, resolved_upstream);
        }
        fclose(f);
        return out;
}

char *hosts_make(const char *hostname)
{
        char *out = NULL;

        if (asprintf(&out, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", hostname) < 0)
                return NULL;
        return out;
}
