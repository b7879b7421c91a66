/* socklab/dgram.h: how a server answers on its datagram (UDP) sockets:
 * each datagram echoed whole to its sender, from the address it was sent
 * to; a datagram larger than the buffer is reported, never echoed cut;
 * nothing is sent to port 0, to well-known reflector ports, to forged
 * broadcast or multicast sources, or in reply to a broadcast; an optional
 * per-source rate limit. */
#ifndef SOCKLAB_DGRAM_H
#define SOCKLAB_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"
#include "socklab/server.h"

/* The largest UDP payload over IPv4 (65,535 - 20 IP - 8 UDP) and over
 * IPv6 without jumbograms (65,535 - 8 UDP). */
#define SL_UDP_MAX_V4 65507
#define SL_UDP_MAX_V6 65527

/* Bytes read per datagram by default: fits the largest datagram of both. */
#define SL_DGRAM_BUFFER_DEFAULT 65536

/* Source addresses remembered by the rate limiter (the least recently
 * seen is forgotten first). */
#define SL_DGRAM_RATE_SOURCES 4096

typedef struct sl_dgram_config {
    size_t buffer;     /* bytes read per datagram, 1..65536; 0: the default */
    unsigned rate;     /* datagrams/s answered per source address; 0: no limit */
    unsigned burst;    /* datagrams a quiet source may send at once; 0: rate */
    bool quiet;        /* no SL_EV_INFO event per datagram echoed (problems
                        * are still reported) */
} sl_dgram_config;

typedef struct sl_dgram_stats {
    uint64_t received;      /* datagrams read */
    uint64_t echoed;        /* datagrams echoed whole */
    uint64_t bytes;         /* bytes echoed */
    uint64_t truncated;     /* larger than the buffer: reported, not echoed */
    uint64_t refused;       /* port 0, reflector port or impossible source */
    uint64_t not_unicast;   /* sent to a broadcast or multicast address */
    uint64_t rate_limited;  /* over the per-source rate */
    uint64_t send_failed;   /* the echo could not be sent (buffer full, ...) */
} sl_dgram_stats;

/* Set how srv serves its datagram sockets: after adding them, before
 * sl_server_run (without it, the defaults). */
int sl_server_set_dgram(sl_server *srv, const sl_dgram_config *cfg, sl_err *err);

/* What srv's datagram sockets did so far (zeros when none was served). */
void sl_server_dgram_stats(const sl_server *srv, sl_dgram_stats *out);

/* Why a datagram from src must not be answered, or NULL when it may be:
 * port 0 (no reply can be addressed to it), the port of a well-known UDP
 * service that answers whatever it receives (an echo server answering it
 * makes a loop or an amplifier: see docs/udp.md), or a source address no
 * datagram can really come from (unspecified, broadcast, multicast). */
const char *sl_dgram_refusal(const sl_addr *src);

/* The name of a reflector port ("chargen"), or NULL when port is not one. */
const char *sl_dgram_reflector_name(uint16_t port);

/* The i-th reflector port, ascending from i = 0; 0 past the last. */
uint16_t sl_dgram_reflector_port(size_t i);

#endif
