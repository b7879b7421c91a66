/* net/lookup_internal.h: pieces of the lookup shared between its files. */
#ifndef SL_LOOKUP_INTERNAL_H
#define SL_LOOKUP_INTERNAL_H

#include "socklab/lookup.h"

/* Add an alias (unless it is the name or already listed) or an address
 * (unless already listed) to h; beyond the limits h->truncated is set. */
void sl__host_alias(sl_hostinfo *h, const char *name);
void sl__host_addr(sl_hostinfo *h, int family, const void *bytes);

/* Read the hosts: line of nsswitch.conf into o->nsswitch and say whether
 * the hosts file is consulted first. */
bool sl__nsswitch_files_first(sl_lookup_origin *o);

/* Scan the hosts file for name (forward; family AF_UNSPEC, AF_INET or
 * AF_INET6) or, when name is NULL, for the address (family, bytes). Sets
 * o->hosts_line to the first matching line (0: none) and adds the other
 * names of matching lines to h's aliases (forward: every matching line;
 * reverse: the first, as the files backend answers). */
void sl__hosts_scan(const char *name, int family, const unsigned char *bytes,
                    sl_lookup_origin *o, sl_hostinfo *h);

#endif
