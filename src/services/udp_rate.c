/* services/udp_rate.c: the per-source rate limit of the datagram server: a
 * token bucket per source address in a table of bounded size. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/dgram_internal.h"
#include "net/err_internal.h"

/* Credit is kept in thousandths of a datagram, so that a refill of
 * elapsed_ms * rate thousandths is exact in integers. */
#define MILLI 1000u

bool sl__addr_key(const sl_addr *a, uint8_t key[16])
{
    if (a->u.sa.sa_family == AF_INET6) {
        memcpy(key, &a->u.in6.sin6_addr, 16);
        return true;
    }
    if (a->u.sa.sa_family == AF_INET) {
        memset(key, 0, 10);
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, &a->u.in4.sin_addr, 4);
        return true;
    }
    return false;
}

/* A seed nobody outside can guess (the clock only if getrandom fails). */
static uint64_t random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec;
    }
    return s | 1;
}

int sl__rate_init(sl__rate_table *t, unsigned rate, unsigned burst, size_t capacity,
                  sl_err *err)
{
    size_t sets = 1;
    memset(t, 0, sizeof(*t));
    if (rate == 0)
        return sl__err(err, SL_EINPUT, EINVAL, "udp rate limit: the rate must be > 0");
    while (sets * SL__RATE_WAYS < capacity && sets < ((size_t)1 << 24))
        sets <<= 1;
    t->e = calloc(sets * SL__RATE_WAYS, sizeof(*t->e));
    if (t->e == NULL)
        return sl__err_sys(err, "udp rate limit: calloc");
    t->rate = rate;
    t->burst = burst > 0 ? burst : rate;
    t->nsets = sets;
    t->seed = random_seed();
    return 0;
}

/* The set a key falls into: a seeded multiply-xorshift mix of its words. */
static size_t set_of(const sl__rate_table *t, const uint8_t key[16])
{
    uint64_t w[2], h = t->seed;
    memcpy(w, key, 16);
    for (int i = 0; i < 2; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 33;
    }
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 29;
    return (size_t)(h & (t->nsets - 1));
}

/* The entry for key in its set, or a free or least recently seen one
 * (then *fresh is true and the caller fills it). */
static sl__rate_entry *find(sl__rate_table *t, const uint8_t key[16], bool *fresh)
{
    sl__rate_entry *set = &t->e[set_of(t, key) * SL__RATE_WAYS];
    sl__rate_entry *victim = &set[0];
    for (int i = 0; i < SL__RATE_WAYS; i++) {
        if (set[i].last_ms != 0 && memcmp(set[i].key, key, 16) == 0) {
            *fresh = false;
            return &set[i];
        }
        if (set[i].last_ms < victim->last_ms)
            victim = &set[i];      /* free entries (0) sort first */
    }
    *fresh = true;
    return victim;
}

bool sl__rate_allow(sl__rate_table *t, const sl_addr *src, long long now_ms)
{
    uint64_t full = (uint64_t)t->burst * MILLI;
    uint8_t key[16];
    bool fresh;
    sl__rate_entry *e;

    if (!sl__addr_key(src, key))
        return true;
    e = find(t, key, &fresh);
    if (fresh) {
        memcpy(e->key, key, 16);
        e->credit = full;
    } else if (now_ms > e->last_ms) {
        /* Cap the gap first: the product must not overflow. */
        uint64_t gap = (uint64_t)(now_ms - e->last_ms);
        if (gap > 86400000u)
            gap = 86400000u;
        e->credit += gap * t->rate;
        if (e->credit > full)
            e->credit = full;
    }
    e->last_ms = now_ms > 0 ? now_ms : 1;
    if (e->credit < MILLI)
        return false;
    e->credit -= MILLI;
    return true;
}

size_t sl__rate_count(const sl__rate_table *t)
{
    size_t n = 0;
    for (size_t i = 0; t->e != NULL && i < t->nsets * SL__RATE_WAYS; i++)
        n += t->e[i].last_ms != 0;
    return n;
}

void sl__rate_free(sl__rate_table *t)
{
    free(t->e);
    t->e = NULL;
}
