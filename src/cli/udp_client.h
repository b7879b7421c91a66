/* cli/udp_client.h: `socklab echo-client --udp`, the seed's UDP echo
 * client, unconnected (sendto/recvfrom) or connected (connect, send/recv). */
#ifndef SL_CLI_UDP_CLIENT_H
#define SL_CLI_UDP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"

typedef struct udp_client_opts {
    const sl_endpoint *ep;
    int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
    bool connected;         /* connect(), then send/recv */
    int timeout_ms;         /* wait for each echo this long, per try */
    unsigned retries;       /* tries after the first before a loss is reported */
    bool quiet;             /* no prompt and no socket messages */
    bool generate;          /* --size/--count: generated datagrams */
    size_t size;            /* bytes per generated datagram */
    uint64_t count;         /* generated datagrams */
} udp_client_opts;

/* Defaults of the UDP client. */
#define UDP_TIMEOUT_MS_DEFAULT 1000
#define UDP_RETRIES_DEFAULT 3

/* Run the client; returns the exit status (0, or 1 on a loss, a refusal,
 * a wrong echo or another failure, after one line on stderr). */
int udp_client_run(const udp_client_opts *o);

#endif
