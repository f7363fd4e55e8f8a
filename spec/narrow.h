/* What narrows a sandbox beyond its mounts and the default filter, as
   firejail's most used directives do (doc/nook.profile.5):
   PrivateEtc= and PrivateBin= (a host sandbox's /etc, /usr/bin and
   /usr/sbin show only the entries listed), MachineId=random,
   SocketFamilies= (socket(2) of any other family fails) and
   MemoryDenyWriteExecute= (as systemd's: no memory both writable and
   executable). */
#pragma once

#include <stdint.h>

#include "lib/err.h"
#include "spec/spec.h"

/* Each takes one value of its key: names separated by commas (or one
   name), checked, appended. */
int spec_add_private_etc(struct nook_spec *s, const char *list, struct nook_err *e);
int spec_add_private_bin(struct nook_spec *s, const char *list, struct nook_err *e);
/* "random" or "host". */
int spec_set_machine_id(struct nook_spec *s, const char *v, struct nook_err *e);
/* unix, inet, inet6, netlink, packet, bluetooth, can, alg, vsock, xdp,
   or none (no family at all). */
int spec_add_socket_families(struct nook_spec *s, const char *list, struct nook_err *e);

/* The name of address family af as SocketFamilies= takes it, or NULL. */
const char *spec_socket_family_name(int af);
