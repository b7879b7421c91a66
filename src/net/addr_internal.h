/* net/addr_internal.h: address helpers shared inside the library (not installed). */
#ifndef SL_ADDR_INTERNAL_H
#define SL_ADDR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "socklab/addr.h"

/* Fill a from family (AF_INET: 4 raw bytes, else AF_INET6: 16) and a port
 * already in network order, as the kernel and the wire give them. */
void sl__addr_raw(sl_addr *a, int family, const void *raw, uint16_t port_be);

/* The IPv4 address of a (AF_INET, or an IPv4-mapped AF_INET6 address)
 * into *v4; false for other addresses. */
bool sl__addr_v4(const sl_addr *a, struct in_addr *v4);

#endif
