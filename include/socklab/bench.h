/* socklab/bench.h: the load generator behind `socklab bench`: a
 * log-bucketed latency histogram with bounded relative error, and a load
 * engine (echo, bulk, connect, hold, udp, file) on one event loop. */
#ifndef SOCKLAB_BENCH_H
#define SOCKLAB_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"

/* ---- histogram ---------------------------------------------------------
 * Values (nanoseconds, or any unsigned count) go into buckets that are
 * 2^SL_HIST_SUB_BITS per power of two: a value is known to within
 * SL_HIST_REL_ERROR of itself (values below 2^SL_HIST_SUB_BITS exactly). */
#define SL_HIST_SUB_BITS 7
#define SL_HIST_REL_ERROR (1.0 / (1 << SL_HIST_SUB_BITS))

typedef struct sl_hist sl_hist;

sl_hist *sl_hist_new(sl_err *err);
void sl_hist_free(sl_hist *h);

/* Forget every value. */
void sl_hist_reset(sl_hist *h);

/* Count value once (n times). */
void sl_hist_record(sl_hist *h, uint64_t value);
void sl_hist_record_n(sl_hist *h, uint64_t value, uint64_t n);

/* Add every value of src to dst. */
void sl_hist_merge(sl_hist *dst, const sl_hist *src);

uint64_t sl_hist_count(const sl_hist *h);
uint64_t sl_hist_min(const sl_hist *h);     /* exact; 0 when empty */
uint64_t sl_hist_max(const sl_hist *h);     /* exact; 0 when empty */
double sl_hist_mean(const sl_hist *h);      /* exact; 0 when empty */

/* The value at quantile q (0..1): the smallest recorded bucket's highest
 * value below which at least q of the values fall, clamped to [min, max].
 * Within SL_HIST_REL_ERROR of the true order statistic; 0 when empty. */
uint64_t sl_hist_quantile(const sl_hist *h, double q);

/* How many values are <= v (counted by bucket: exact at bucket edges). */
uint64_t sl_hist_count_le(const sl_hist *h, uint64_t v);

/* The bucket holding v: its lowest and highest value. */
void sl_hist_bucket_range(uint64_t v, uint64_t *lo, uint64_t *hi);

/* ---- load engine ------------------------------------------------------- */

typedef enum sl_bench_mode {
    SL_BENCH_ECHO,      /* one message per connection at a time, whole echo back */
    SL_BENCH_BULK,      /* stream both ways at once, bounded bytes in flight */
    SL_BENCH_CONNECT,   /* connect, one echo, close, again */
    SL_BENCH_HOLD,      /* open connections, check each, keep them idle */
    SL_BENCH_UDP,       /* one datagram per flow at a time, echo back */
    SL_BENCH_FILE,      /* read a stream to its end (a file-server), again */
} sl_bench_mode;

#define SL_BENCH_MAX_SOURCES 64

/* Figures while running (every progress_ms) and at the end. */
typedef struct sl_bench_stats {
    uint64_t ops;            /* round trips, connections, datagrams, files */
    uint64_t bytes_out, bytes_in;
    uint64_t resets;         /* ECONNRESET/EPIPE and other socket errors */
    uint64_t short_reads;    /* end of stream before the whole echo */
    uint64_t mismatches;     /* echoes with bytes that differ from those sent */
    uint64_t mismatched_bytes;
    uint64_t connect_errors; /* refused, timed out, failed first echo */
    uint64_t timeouts;       /* udp: datagrams not echoed in time (lost) */
    uint64_t late;           /* udp: echoes that came after their timeout */
    uint64_t open_conns;     /* connections (flows) open and checked */
    uint64_t opened;         /* connections opened in all */
    long long elapsed_ns;    /* of the measured phase */
    bool warming;            /* still in warm-up */
} sl_bench_stats;

typedef void (*sl_bench_progress_fn)(const sl_bench_stats *now, void *arg);

typedef struct sl_bench_config {
    sl_bench_mode mode;
    sl_endpoint target;
    int family;                  /* AF_UNSPEC, AF_INET, AF_INET6 */
    int connections;             /* concurrent connections or flows */
    size_t msg_size;             /* bytes per message (bulk: per write) */
    long long duration_ms;       /* measured time; 0: run until count */
    uint64_t count;              /* ops to measure; 0: run for duration */
    long long warmup_ms;         /* load before measuring, not counted */
    double rate;                 /* ops/s in all (open loop); 0: closed loop */
    size_t inflight;             /* bulk: bytes unanswered per connection */
    int open_batch;              /* connections being opened at once */
    int timeout_ms;              /* connect/first echo/udp loss timeout */
    const char *backend;         /* event loop; NULL: the best built */
    const char *sources[SL_BENCH_MAX_SOURCES];  /* source addresses, numeric */
    int nsources;
    sl_bench_progress_fn progress;
    void *progress_arg;
    int progress_ms;
    const volatile sig_atomic_t *stop;  /* non-zero: end now (signals) */
} sl_bench_config;

typedef struct sl_bench_result {
    sl_bench_stats stats;
    sl_hist *latency;            /* ns; from the intended send time */
    sl_hist *connect_latency;    /* ns; connect()+first echo of each connection */
    uint64_t peak_open;          /* most connections open at once */
    const char *backend;         /* the loop backend used */
} sl_bench_result;

/* Fill cfg with the defaults (echo, 1 connection, 64 B, 5 s, ...). */
void sl_bench_config_init(sl_bench_config *cfg);

/* Name of a mode ("echo"), and the mode of a name (-1 when unknown). */
const char *sl_bench_mode_name(sl_bench_mode mode);
int sl_bench_mode_parse(const char *name);

/* Run the workload cfg describes and fill res (which owns two histograms:
 * free them with sl_bench_result_free). Errors of single connections are
 * counted in res; -1 only when the run itself cannot go on (no connection
 * could be opened, the loop failed). */
int sl_bench_run(const sl_bench_config *cfg, sl_bench_result *res, sl_err *err);

void sl_bench_result_free(sl_bench_result *res);

#endif
