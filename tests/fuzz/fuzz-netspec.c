/* libFuzzer target for the network options: PublishPort= (spec_add_port),
   Allow= and Deny= (spec_add_net_rule), and the nftables ruleset made of
   them (egress_ruleset). Each input line is one option, chosen by its
   first byte: 'P' PublishPort=, 'A' Allow=, 'D' Deny=, 'L' toggles
   AllowHostLoopback=, 'S' toggles slirp (the gateway guard); any other line
   is tried as all three. Pure code: nothing touches the system. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netns/egress.h"
#include "lib/err.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nook_spec spec;
        struct nook_err e = { 0 };
        char *buf = malloc(size + 1);

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        spec_init(&spec);
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                switch (line[0]) {
                case 'P': spec_add_port(&spec, line + 1, &e); break;
                case 'A': spec_add_net_rule(&spec, true, line + 1, &e); break;
                case 'D': spec_add_net_rule(&spec, false, line + 1, &e); break;
                case 'L': spec.host_loopback = !spec.host_loopback; break;
                case 'S': spec.slirp = !spec.slirp; break;
                default:
                        spec_add_port(&spec, line, &e);
                        spec_add_net_rule(&spec, true, line, &e);
                        spec_add_net_rule(&spec, false, line, &e);
                }
        }
        struct net_config net = spec_net_config(&spec);
        free(egress_ruleset(&net));
        spec_free(&spec);
        free(buf);
        return 0;
}
