/* bench/hist.c: a log-bucketed histogram. Each power of two is split into
 * 2^SL_HIST_SUB_BITS equal buckets, so a bucket's width is at most
 * 1/2^SL_HIST_SUB_BITS of its lowest value: the relative error is bounded
 * whatever the range (a nanosecond and a minute in one histogram). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/bench.h"
#include "net/err_internal.h"

#define SUB (1u << SL_HIST_SUB_BITS)
/* Values below SUB have one bucket each; then 64 - SUB_BITS octaves. */
#define NBUCKETS ((size_t)(64 - SL_HIST_SUB_BITS + 1) * SUB)

struct sl_hist {
    uint64_t count, min, max;
    double sum;
    uint64_t bucket[NBUCKETS];
};

/* The index of v's bucket. */
static size_t bucket_of(uint64_t v)
{
    unsigned e, shift;
    if (v < SUB)
        return (size_t)v;
    e = 63u - (unsigned)__builtin_clzll(v);
    shift = e - SL_HIST_SUB_BITS;
    return (size_t)(shift + 1) * SUB + (size_t)((v >> shift) - SUB);
}

/* The lowest and highest value of bucket i. */
static void bucket_bounds(size_t i, uint64_t *lo, uint64_t *hi)
{
    unsigned shift;
    uint64_t mant;
    if (i < SUB) {
        *lo = *hi = i;
        return;
    }
    shift = (unsigned)(i / SUB) - 1;
    mant = SUB + i % SUB;
    *lo = mant << shift;
    *hi = *lo + ((UINT64_C(1) << shift) - 1);
}

sl_hist *sl_hist_new(sl_err *err)
{
    sl_hist *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        sl__err_sys(err, "histogram: calloc");
        return NULL;
    }
    sl_hist_reset(h);
    return h;
}

void sl_hist_free(sl_hist *h)
{
    free(h);
}

void sl_hist_reset(sl_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void sl_hist_record_n(sl_hist *h, uint64_t value, uint64_t n)
{
    if (n == 0)
        return;
    h->bucket[bucket_of(value)] += n;
    h->count += n;
    h->sum += (double)value * (double)n;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void sl_hist_record(sl_hist *h, uint64_t value)
{
    sl_hist_record_n(h, value, 1);
}

void sl_hist_merge(sl_hist *dst, const sl_hist *src)
{
    size_t i;
    if (src->count == 0)
        return;
    for (i = 0; i < NBUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t sl_hist_count(const sl_hist *h) { return h->count; }
uint64_t sl_hist_min(const sl_hist *h) { return h->count ? h->min : 0; }
uint64_t sl_hist_max(const sl_hist *h) { return h->max; }
double sl_hist_mean(const sl_hist *h) { return h->count ? h->sum / (double)h->count : 0.0; }

/* Walk the buckets until rank values are covered; report that bucket's
 * highest value (so a percentile never understates), within [min, max]. */
uint64_t sl_hist_quantile(const sl_hist *h, double q)
{
    uint64_t rank, seen = 0, lo, hi;
    size_t i;
    if (h->count == 0)
        return 0;
    if (q <= 0.0)
        return h->min;
    if (q >= 1.0)
        return h->max;
    rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank == 0)
        rank = 1;
    for (i = 0; i < NBUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            break;
    }
    bucket_bounds(i < NBUCKETS ? i : NBUCKETS - 1, &lo, &hi);
    if (hi > h->max)
        hi = h->max;
    if (hi < h->min)
        hi = h->min;
    return hi;
}

uint64_t sl_hist_count_le(const sl_hist *h, uint64_t v)
{
    size_t last = bucket_of(v), i;
    uint64_t n = 0, lo, hi;
    for (i = 0; i < last; i++)
        n += h->bucket[i];
    bucket_bounds(last, &lo, &hi);
    if (v == hi)
        n += h->bucket[last];
    return n;
}

void sl_hist_bucket_range(uint64_t v, uint64_t *lo, uint64_t *hi)
{
    bucket_bounds(bucket_of(v), lo, hi);
}
