/* bench/bench_internal.h: the load engine's state, shared by its files
 * (engine.c runs the loop and the clock, conn.c opens and closes
 * connections, traffic.c moves and checks the bytes). */
#ifndef SL_BENCH_INTERNAL_H
#define SL_BENCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "socklab/bench.h"
#include "socklab/loop.h"

/* Every stream carries the same pseudo-random pattern, repeating every
 * PERIOD bytes (a prime, so message sizes never line up with it); each
 * connection starts at its own offset. The buffer holds PERIOD + CHUNK
 * bytes so any chunk of up to CHUNK bytes is contiguous. */
#define BENCH_PERIOD 65521u
#define BENCH_CHUNK 65536u
#define BENCH_RBUF (256u * 1024u)
#define BENCH_UDP_HDR 8u        /* u32 sequence, u32 flow, then pattern */

typedef enum bstate {
    B_FREE,          /* no socket */
    B_CONNECTING,    /* nonblocking connect in progress */
    B_CHECKING,      /* first echo of a new connection */
    B_IDLE,          /* open and checked, nothing outstanding */
    B_BUSY,          /* a message (or a stream) is outstanding */
    B_DEAD           /* failed or closed; not reopened */
} bstate;

typedef struct bconn {
    int fd;
    uint8_t state;
    bool want_write;         /* registered for SL_EV_WRITE */
    uint32_t id;
    uint32_t seq;            /* udp: sequence of the outstanding datagram */
    uint32_t base;           /* pattern offset of this connection's stream */
    uint64_t out_off;        /* stream bytes sent */
    uint64_t in_off;         /* stream bytes received */
    uint64_t msg_end;        /* stream offset where the outstanding echo ends */
    uint64_t start_ns;       /* intended send time of the outstanding message */
    uint64_t open_ns;        /* when connect() was called */
    uint64_t deadline_ns;    /* connect / first echo / udp loss deadline */
} bconn;

typedef enum bphase { P_OPEN, P_WARMUP, P_MEASURE, P_DONE } bphase;

typedef struct bench {
    const sl_bench_config *cfg;
    sl_bench_result *res;
    sl_bench_stats *st;
    sl_loop *loop;
    bconn *conns;
    int n;
    sl_addr target;
    int socktype;
    sl_addr src[SL_BENCH_MAX_SOURCES];
    int nsrc;
    uint8_t *pattern;
    uint8_t *rbuf;
    bphase phase;
    uint64_t now;            /* ns, refreshed after each wait */
    uint64_t t_phase;        /* when the current phase began */
    uint64_t t_measure;      /* when the measured phase began (0: never) */
    uint64_t t_end;          /* end of the measured phase (0: by count) */
    uint64_t t_progress;
    /* opening: conns [open_lo, open_next) are connecting or checking */
    int open_next, open_lo, opening;
    /* open loop: ticket k is due at t_ticket0 + k * interval_ns */
    double interval_ns;
    uint64_t t_ticket0, tickets_sent;
    int timer_fd;            /* timerfd for tickets, or -1 */
    uint64_t timer_due;      /* when it is armed for (0: not armed) */
    int *idle;               /* stack of idle connection indices */
    int nidle;
    uint64_t t_scan;         /* next deadline scan */
    uint64_t t_last_op;      /* when an operation last completed */
    sl_err first_error;      /* the first connection failure, for the report */
} bench;

uint64_t sl__bench_now(void);

/* Open connection i (a socket, a nonblocking connect from the next source
 * address). Returns 0 or -1 (counted, and the connection is B_DEAD). */
int sl__bench_open(bench *b, bconn *c);
/* The connect finished (writable): check its result and send the first
 * message. */
void sl__bench_connected(bench *b, bconn *c);
/* Close c; dead: count it as gone for good. */
void sl__bench_close(bench *b, bconn *c, bool dead);
/* A connection failed while opening: count it, keep the first reason. */
void sl__bench_open_failed(bench *b, bconn *c, const char *why, int code);

/* Send a new message on c, intended at start_ns (echo, connect, udp). */
void sl__bench_send_msg(bench *b, bconn *c, uint64_t start_ns);
/* Handle readiness on c. */
void sl__bench_ready(bench *b, bconn *c, unsigned events);
/* Keep c's registration matching want (SL_EV_READ plus maybe WRITE). */
void sl__bench_want_write(bench *b, bconn *c, bool on);

/* A message on c completed (engine.c decides what comes next). */
void sl__bench_done(bench *b, bconn *c);
/* c became usable after its first echo (engine.c). */
void sl__bench_opened(bench *b, bconn *c);
/* c could not be opened (already closed and counted; engine.c). */
void sl__bench_unopened(bench *b, bconn *c);
/* c is gone during the run (engine.c). */
void sl__bench_lost(bench *b, bconn *c);

#endif
