/* engine/dgram_internal.h: the pieces behind the datagram server shared by
 * engine/dgram.c and services/udp_*.c (sl__ names; not installed). */
#ifndef SL_DGRAM_INTERNAL_H
#define SL_DGRAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"

/* A per-source token bucket table of bounded size: a set-associative
 * array keyed by the source address (not the port: a flood from one host
 * through many ports is one source), with a seeded hash so that a sender
 * cannot choose addresses that collide. When a set is full, the source
 * seen least recently is forgotten (it starts again with a full bucket). */
typedef struct sl__rate_entry {
    uint8_t key[16];          /* IPv6, or IPv4 as ::ffff:a.b.c.d */
    uint64_t credit;          /* thousandths of a datagram */
    long long last_ms;        /* last refill; 0: the entry is free */
} sl__rate_entry;

typedef struct sl__rate_table {
    unsigned rate;            /* datagrams per second */
    unsigned burst;           /* bucket size in datagrams */
    uint64_t seed;
    size_t nsets;             /* a power of two */
    sl__rate_entry *e;        /* nsets * SL__RATE_WAYS entries */
} sl__rate_table;

#define SL__RATE_WAYS 4

/* Make a table for up to capacity sources (rounded up to whole sets).
 * rate must be > 0; burst 0 means rate. */
int sl__rate_init(sl__rate_table *t, unsigned rate, unsigned burst, size_t capacity,
                  sl_err *err);

/* True when src may be answered at time now_ms (monotonic, > 0); takes
 * one token from its bucket. */
bool sl__rate_allow(sl__rate_table *t, const sl_addr *src, long long now_ms);

/* Sources remembered now. */
size_t sl__rate_count(const sl__rate_table *t);

void sl__rate_free(sl__rate_table *t);

/* The 16-byte key of an IPv4 or IPv6 address (IPv4 mapped into IPv6);
 * false for other families. */
bool sl__addr_key(const sl_addr *a, uint8_t key[16]);

#endif
