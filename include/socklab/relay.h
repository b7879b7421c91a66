/* socklab/relay.h: a relay that forwards TCP connections (or UDP datagrams)
 * to a target and injects faults on request: delay and jitter, a bandwidth
 * limit, a cut after N bytes (FIN or RST), a flipped byte, a stall, and for
 * UDP dropped and duplicated datagrams. Without faults it is a faithful
 * relay: half-close passes through (a FIN on one side becomes
 * shutdown(SHUT_WR) on the other) and a reset becomes a reset. Each
 * direction buffers at most a bounded number of bytes: when the receiving
 * side is slow, the relay stops reading the sending side. */
#ifndef SOCKLAB_RELAY_H
#define SOCKLAB_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"
#include "socklab/server.h"

/* The directions faults act on. */
enum { SL_RELAY_UP = 1u << 0,     /* client to target */
       SL_RELAY_DOWN = 1u << 1 }; /* target to client */

typedef struct sl_relay_faults {
    unsigned dirs;            /* SL_RELAY_UP | SL_RELAY_DOWN; 0 means both */
    int delay_ms;             /* hold each chunk (datagram) this long */
    int jitter_ms;            /* plus or minus up to this (TCP keeps order) */
    uint64_t rate;            /* TCP: bytes per second per direction; 0: no limit */
    bool cut;                 /* TCP: cut the connection ... */
    uint64_t cut_after;       /* ... once this many bytes passed a direction */
    bool cut_rst;             /* ... with RST (else FIN both ways) */
    bool flip;                /* TCP: invert the byte at offset flip_at */
    uint64_t flip_at;
    bool stall;               /* TCP: stop forwarding for stall_ms ... */
    uint64_t stall_after;     /* ... once this many bytes passed a direction */
    int stall_ms;
    double drop;              /* UDP: probability a datagram is dropped */
    double dup;               /* UDP: probability a datagram is sent twice */
} sl_relay_faults;

typedef struct sl_relay_config {
    sl_endpoint target;       /* resolved once, when the relay is made */
    int family;               /* of the target: AF_UNSPEC, AF_INET, AF_INET6 */
    bool udp;                 /* relay datagrams (the listener is a UDP socket) */
    sl_relay_faults faults;
    uint64_t seed;            /* of the random choices (jitter, drop, dup) */
    size_t buffer;            /* bytes held per direction; 0: 256 KiB */
    int connect_timeout_ms;   /* to the target; 0: 10 s */
    int close_timeout_ms;     /* bound on draining after a FIN cut; 0: 2 s */
    int udp_idle_ms;          /* a UDP flow is forgotten after this; 0: 60 s */
    int max_clients;          /* connections (flows) at once; 0: 1024 */
    const char *backend;      /* event loop; NULL: the best built */
    sl_event_fn on_event;     /* open, close (bytes_in: up, bytes_out: down),
                               * info lines for every fault injected */
    void *event_arg;
} sl_relay_config;

/* What a relay did, in all (sl_relay_stats). */
typedef struct sl_relay_stats {
    uint64_t clients;         /* connections (flows) relayed */
    uint64_t bytes_up, bytes_down;
    uint64_t cuts, flips, stalls, dropped, duplicated, delayed, resets;
} sl_relay_stats;

typedef struct sl_relay sl_relay;

/* A relay from the listening socket lfd (a stream listener, or a bound
 * datagram socket with cfg->udp) to cfg->target. lfd stays the caller's. */
sl_relay *sl_relay_new(const sl_relay_config *cfg, int lfd, sl_err *err);

/* Relay until sl_relay_stop. Returns 0 on a clean stop, -1 on failure. */
int sl_relay_run(sl_relay *r, sl_err *err);

/* Ask sl_relay_run to return (open connections are closed). Safe from a
 * signal handler and from another thread. */
void sl_relay_stop(sl_relay *r);

/* Figures so far. */
void sl_relay_stats_get(const sl_relay *r, sl_relay_stats *out);

/* The target's resolved address. */
const sl_addr *sl_relay_target(const sl_relay *r);

void sl_relay_free(sl_relay *r);

#endif
