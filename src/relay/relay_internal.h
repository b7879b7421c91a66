/* relay/relay_internal.h: the relay's records, shared by its files:
 * relay.c (the object, the loop, timers), relay_tcp.c (connection pairs)
 * and relay_udp.c (datagram flows). */
#ifndef SL_RELAY_INTERNAL_H
#define SL_RELAY_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "socklab/loop.h"
#include "socklab/relay.h"

#define RELAY_BUFFER_DEFAULT (256 * 1024)
#define RELAY_SEGS 256            /* chunks in flight per direction (delay) */
#define RELAY_EVENTS 64
#define RELAY_ACCEPT_BATCH 64
#define RELAY_DGRAM_MAX 65536     /* bigger than any UDP payload */
#define RELAY_UDP_QUEUE 4096      /* delayed datagrams held at once */

/* A chunk read at one time: bytes up to stream offset end are released at at. */
typedef struct relay_seg {
    uint64_t end;
    long long at;
} relay_seg;

/* One direction of a TCP pair: bytes read from `from` wait in buf for
 * their release time, then are written to `to`. */
typedef struct relay_dir {
    int from, to;
    bool faulty;                  /* the faults act on this direction */
    uint8_t *buf;
    size_t cap, off, len;         /* pending bytes are buf[off, off + len) */
    relay_seg seg[RELAY_SEGS];
    unsigned seg_head, seg_n;
    uint64_t in, out, released;   /* stream offsets: read, written, releasable */
    bool eof;                     /* no more input (FIN read, or cut) */
    bool shut;                    /* FIN passed on: shutdown(to, SHUT_WR) */
    bool blocked;                 /* the last write would have blocked */
    bool stalled;                 /* the stall began (it happens once) */
    long long stall_until;
    double tokens;                /* rate limit: bytes that may go now */
    long long tokens_ms;
} relay_dir;

typedef struct relay_pair relay_pair;
typedef struct relay_flow relay_flow;
typedef struct relay_dgram relay_dgram;

struct sl_relay {
    sl_relay_config cfg;
    sl_addr target;
    int target_socktype, target_protocol;
    int lfd;
    int stop_pipe[2];
    atomic_int stopping;          /* set by sl_relay_stop: a signal or a thread */
    sl_loop *loop;
    unsigned listen_events;       /* what the listener is watched for */
    long long listen_paused_until; /* after EMFILE: accept again then */
    uint64_t rng;
    uint64_t next_id;
    int active;
    sl_relay_stats stats;
    relay_pair *pairs;            /* open TCP pairs, a list */
    relay_pair *dead;             /* closed this round, freed after it */
    relay_flow *flows;            /* UDP flows */
    relay_dgram *queue, *queue_tail;  /* delayed datagrams, by release time */
    unsigned queued;
    uint8_t *dgram;               /* one datagram's buffer */
};

/* Markers used as loop data for the listener and the stop pipe. */
extern char sl__relay_listen_tag, sl__relay_stop_tag;

/* A uniform number in [0, 1) and in [-span, span], from the relay's seed. */
double sl__relay_random(sl_relay *r);
int sl__relay_jitter(sl_relay *r);

/* Report an event or a line through the configured hook. */
void sl__relay_say(const sl_relay *r, sl_event_kind kind, uint64_t id,
                   const sl_addr *peer, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void sl__relay_emit(const sl_relay *r, const sl_event *ev);

/* TCP: accept what is queued; serve a ready pair; timers; close all. */
int sl__relay_tcp_accept(sl_relay *r, sl_err *err);
void sl__relay_tcp_ready(sl_relay *r, relay_pair *p);
long long sl__relay_tcp_timers(sl_relay *r, long long now);
void sl__relay_tcp_reap(sl_relay *r);
void sl__relay_tcp_close_all(sl_relay *r);

/* UDP: datagrams on the listener; on a flow; timers; close all. */
int sl__relay_udp_listener(sl_relay *r, sl_err *err);
void sl__relay_udp_flow(sl_relay *r, relay_flow *f);
long long sl__relay_udp_timers(sl_relay *r, long long now);
void sl__relay_udp_close_all(sl_relay *r);

#endif
