/* net/addr_internal.h: address helpers shared inside src/net. */
#ifndef SL_ADDR_INTERNAL_H
#define SL_ADDR_INTERNAL_H

#include <stdint.h>
#include "socklab/addr.h"

/* Fill a from family (AF_INET: 4 raw bytes, else AF_INET6: 16) and a port
 * already in network order, as the kernel and the wire give them. */
void sl__addr_raw(sl_addr *a, int family, const void *raw, uint16_t port_be);

#endif
