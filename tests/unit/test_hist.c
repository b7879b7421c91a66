/* tests/unit/test_hist.c: the bench histogram: exact small values, bounded
 * relative error over the whole range, quantiles against a sorted copy,
 * merging, and the mode names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/socklab.h"
#include "t.h"

static void empty(void)
{
    sl_hist *h = sl_hist_new(NULL);
    T_CHECK(h != NULL);
    if (h == NULL)
        return;
    T_EQ_INT(sl_hist_count(h), 0);
    T_EQ_INT(sl_hist_min(h), 0);
    T_EQ_INT(sl_hist_max(h), 0);
    T_EQ_INT(sl_hist_quantile(h, 0.5), 0);
    T_CHECK(sl_hist_mean(h) == 0.0);
    sl_hist_free(h);
}

static void small_values_exact(void)
{
    sl_hist *h = sl_hist_new(NULL);
    for (uint64_t v = 0; v < 100; v++)
        sl_hist_record(h, v);
    T_EQ_INT(sl_hist_count(h), 100);
    T_EQ_INT(sl_hist_min(h), 0);
    T_EQ_INT(sl_hist_max(h), 99);
    T_EQ_INT(sl_hist_quantile(h, 0.5), 49);
    T_EQ_INT(sl_hist_quantile(h, 0.9), 89);
    T_EQ_INT(sl_hist_quantile(h, 0.99), 98);
    T_EQ_INT(sl_hist_quantile(h, 1.0), 99);
    T_EQ_INT(sl_hist_count_le(h, 9), 10);
    T_CHECK(sl_hist_mean(h) > 49.49 && sl_hist_mean(h) < 49.51);
    sl_hist_free(h);
}

/* Every value's bucket contains it and is narrower than the bound. */
static void buckets_bound_error(void)
{
    uint64_t v = 1, lo, hi;
    int bad = 0;
    for (int i = 0; i < 4000; i++) {
        sl_hist_bucket_range(v, &lo, &hi);
        if (lo > v || hi < v || (double)(hi - lo) > (double)lo * SL_HIST_REL_ERROR + 0.5)
            bad++;
        v = v + v / 97 + 1;
        if (v > UINT64_MAX / 2)
            v = 7;
    }
    sl_hist_bucket_range(UINT64_MAX, &lo, &hi);
    T_EQ_INT(hi == UINT64_MAX, 1);
    T_EQ_INT(bad, 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles of a wide random distribution are within the relative bound
 * of the true order statistics, and never below them. */
static void quantiles_against_sorted(void)
{
    enum { N = 20000 };
    static uint64_t vals[N];
    const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
    sl_hist *h = sl_hist_new(NULL);
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        vals[i] = (x % 1000000u) * (1u + (x >> 60)) + 1000u;   /* 1 µs .. 16 ms in ns */
        sl_hist_record(h, vals[i]);
    }
    qsort(vals, N, sizeof(vals[0]), cmp_u64);
    for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        size_t rank = (size_t)(qs[k] * N + 0.999999);
        uint64_t truth = vals[rank - 1], got = sl_hist_quantile(h, qs[k]);
        T_CHECK(got >= truth);
        T_CHECK((double)(got - truth) <= (double)truth * SL_HIST_REL_ERROR);
    }
    T_EQ_INT(sl_hist_min(h), vals[0]);
    T_EQ_INT(sl_hist_max(h), vals[N - 1]);
    T_EQ_INT(sl_hist_quantile(h, 1.0), vals[N - 1]);
    T_EQ_INT(sl_hist_count_le(h, UINT64_MAX), N);
    sl_hist_free(h);
}

static void merge_and_reset(void)
{
    sl_hist *a = sl_hist_new(NULL), *b = sl_hist_new(NULL);
    sl_hist_record_n(a, 1000, 3);
    sl_hist_record(b, 5);
    sl_hist_record(b, 1u << 30);
    sl_hist_merge(a, b);
    T_EQ_INT(sl_hist_count(a), 5);
    T_EQ_INT(sl_hist_min(a), 5);
    T_EQ_INT(sl_hist_max(a), 1u << 30);
    T_CHECK(sl_hist_quantile(a, 0.5) >= 1000 && sl_hist_quantile(a, 0.5) < 1010);
    sl_hist_reset(a);
    T_EQ_INT(sl_hist_count(a), 0);
    T_EQ_INT(sl_hist_quantile(a, 0.99), 0);
    sl_hist_free(a);
    sl_hist_free(b);
}

static void mode_names(void)
{
    T_EQ_INT(sl_bench_mode_parse("echo"), SL_BENCH_ECHO);
    T_EQ_INT(sl_bench_mode_parse("udp"), SL_BENCH_UDP);
    T_EQ_INT(sl_bench_mode_parse("nope"), -1);
    T_EQ_STR(sl_bench_mode_name(SL_BENCH_HOLD), "hold");
}

/* A configuration the engine cannot run is refused, not started. */
static void bad_config(void)
{
    sl_bench_config cfg;
    sl_bench_result res;
    sl_err e;
    sl_bench_config_init(&cfg);
    sl_endpoint_parse("127.0.0.1:9", &cfg.target, NULL);
    cfg.mode = SL_BENCH_UDP;
    cfg.msg_size = 4;
    T_EQ_INT(sl_bench_run(&cfg, &res, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    cfg.msg_size = 64;
    cfg.connections = 0;
    T_EQ_INT(sl_bench_run(&cfg, &res, &e), -1);
}

int main(void)
{
    T_RUN(empty);
    T_RUN(small_values_exact);
    T_RUN(buckets_bound_error);
    T_RUN(quantiles_against_sorted);
    T_RUN(merge_and_reset);
    T_RUN(mode_names);
    T_RUN(bad_config);
    return T_DONE();
}
