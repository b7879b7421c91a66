/* cli/bench_report.c: the report of `socklab bench`: a readable summary,
 * a text histogram on request, or JSON. Latencies are printed in
 * microseconds. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/bench_cli.h"
#include "cli/json.h"

static const double quantiles[] = { 0.5, 0.9, 0.99, 0.999 };
static const char *const qnames[] = { "p50", "p90", "p99", "p99_9" };
static const char *const qlabels[] = { "p50", "p90", "p99", "p99.9" };

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static double per_s(uint64_t n, long long ns)
{
    return ns > 0 ? (double)n * 1e9 / (double)ns : 0.0;
}

/* What one operation is called in this mode. */
static const char *op_name(sl_bench_mode m)
{
    switch (m) {
    case SL_BENCH_CONNECT: return "connections";
    case SL_BENCH_UDP: return "round trips (datagrams)";
    case SL_BENCH_FILE: return "files";
    case SL_BENCH_HOLD: return "connections held";
    default: return "round trips";
    }
}

/* Percentiles of h in JSON, microseconds. */
static void json_latency(cli_json *j, const char *key, const sl_hist *h)
{
    json_object_begin(j, key);
    json_uint(j, "count", sl_hist_count(h));
    for (size_t i = 0; i < 4; i++)
        json_double(j, qnames[i], us(sl_hist_quantile(h, quantiles[i])));
    json_double(j, "max", us(sl_hist_max(h)));
    json_double(j, "min", us(sl_hist_min(h)));
    json_double(j, "mean", sl_hist_mean(h) / 1000.0);
    json_object_end(j);
}

static void json_errors(cli_json *j, const sl_bench_stats *s)
{
    json_object_begin(j, "errors");
    json_uint(j, "resets", s->resets);
    json_uint(j, "short", s->short_reads);
    json_uint(j, "mismatches", s->mismatches);
    json_uint(j, "mismatched_bytes", s->mismatched_bytes);
    json_uint(j, "connect", s->connect_errors);
    json_uint(j, "timeouts", s->timeouts);
    json_uint(j, "late", s->late);
    json_object_end(j);
}

/* Server memory per held connection, in bytes (-1: unknown). */
static double mem_per_conn(const bench_opts *o)
{
    if (o->mem_before_kb < 0 || o->mem_hold_kb < 0 || o->mem_hold_conns == 0)
        return -1;
    return (double)(o->mem_hold_kb - o->mem_before_kb) * 1024.0 / (double)o->mem_hold_conns;
}

/* HOST:PORT, or [IPv6]:PORT. */
static void format_target(const bench_opts *o, char *buf, size_t len)
{
    bool v6 = strchr(o->cfg.target.host, ':') != NULL;
    snprintf(buf, len, "%s%s%s:%s", v6 ? "[" : "", o->cfg.target.host, v6 ? "]" : "",
             o->cfg.target.port);
}

/* Open the JSON report with what every report starts with: mode, target. */
static void json_head(cli_json *j, const bench_opts *o)
{
    char target[SL_HOSTLEN + SL_PORTLEN + 4];
    format_target(o, target, sizeof(target));
    json_init(j, stdout);
    json_object_begin(j, NULL);
    json_str(j, "mode", sl_bench_mode_name(o->cfg.mode));
    json_str(j, "target", target);
}

static void report_json(const bench_opts *o, const sl_bench_result *r)
{
    const sl_bench_stats *s = &r->stats;
    cli_json j;
    json_head(&j, o);
    json_int(&j, "connections", o->cfg.connections);
    json_uint(&j, "size", o->cfg.msg_size);
    json_double(&j, "rate", o->cfg.rate);
    json_double(&j, "warmup_s", (double)o->cfg.warmup_ms / 1000.0);
    json_double(&j, "elapsed_s", (double)s->elapsed_ns / 1e9);
    json_str(&j, "backend", r->backend);
    json_int(&j, "sources", o->cfg.nsources);
    json_uint(&j, "ops", s->ops);
    json_double(&j, "ops_per_s", per_s(s->ops, s->elapsed_ns));
    json_uint(&j, "bytes_out", s->bytes_out);
    json_uint(&j, "bytes_in", s->bytes_in);
    json_double(&j, "mb_per_s_out", per_s(s->bytes_out, s->elapsed_ns) / 1e6);
    json_double(&j, "mb_per_s_in", per_s(s->bytes_in, s->elapsed_ns) / 1e6);
    json_uint(&j, "open", s->open_conns);
    json_uint(&j, "peak_open", r->peak_open);
    json_uint(&j, "opened", s->opened);
    json_double(&j, "cpu_user_s", o->cpu_user_s);
    json_double(&j, "cpu_sys_s", o->cpu_sys_s);
    json_double(&j, "wall_s", o->wall_s);
    json_latency(&j, "latency_us", r->latency);
    json_latency(&j, "connect_latency_us", r->connect_latency);
    json_errors(&j, s);
    if (o->server_pid > 0) {
        json_object_begin(&j, "server_memory");
        json_int(&j, "before_kib", o->mem_before_kb);
        json_int(&j, "holding_kib", o->mem_hold_kb);
        json_uint(&j, "holding_connections", o->mem_hold_conns);
        json_double(&j, "bytes_per_connection", mem_per_conn(o));
        json_object_end(&j);
    }
    json_object_end(&j);
    json_finish(&j);
}

/* "p50 41.2  p90 ..." on one line, microseconds. */
static void text_latency(const char *label, const sl_hist *h)
{
    if (sl_hist_count(h) == 0)
        return;
    printf("  %-18s", label);   /* µ is two bytes, one column */
    for (size_t i = 0; i < 4; i++)
        printf("%s %.1f  ", qlabels[i], us(sl_hist_quantile(h, quantiles[i])));
    printf("max %.1f  mean %.1f\n", us(sl_hist_max(h)), sl_hist_mean(h) / 1000.0);
}

/* A histogram in rows four to an octave, from min to max: each row
 * counts the values above the previous edge and at most its own. */
static void text_histogram(const sl_hist *h)
{
    enum { ROWS = 200 };
    double edge[ROWS], maxv = (double)sl_hist_max(h);
    uint64_t total = sl_hist_count(h), cum[ROWS], most = 1;
    int rows = 0;
    if (total == 0)
        return;
    edge[0] = sl_hist_min(h) > 0 ? (double)sl_hist_min(h) : 1.0;
    for (rows = 0; rows < ROWS; rows++) {
        if (rows > 0)
            edge[rows] = edge[rows - 1] * 1.189207115;   /* 2^(1/4) */
        uint64_t lo, hi;
        sl_hist_bucket_range((uint64_t)edge[rows], &lo, &hi);
        edge[rows] = (double)hi;          /* rows end on bucket edges: exact counts */
        cum[rows] = sl_hist_count_le(h, hi);
        if (edge[rows] >= maxv || rows == ROWS - 1) {
            cum[rows] = total;
            rows++;
            break;
        }
    }
    for (int i = 0; i < rows; i++) {
        uint64_t n = cum[i] - (i > 0 ? cum[i - 1] : 0);
        most = n > most ? n : most;
    }
    printf("  latency histogram: up to µs, count, cumulative\n");
    for (int i = 0; i < rows; i++) {
        uint64_t n = cum[i] - (i > 0 ? cum[i - 1] : 0);
        int bar = (int)((double)n * 50.0 / (double)most + 0.5);
        printf("  %12.1f %10llu %7.3f%% |%.*s\n", edge[i] / 1000.0, (unsigned long long)n,
               100.0 * (double)cum[i] / (double)total, bar,
               "##################################################");
    }
}

static void report_text(const bench_opts *o, const sl_bench_result *r)
{
    const sl_bench_stats *s = &r->stats;
    double secs = (double)s->elapsed_ns / 1e9;
    char size[48] = "";
    if (o->cfg.mode != SL_BENCH_FILE && o->cfg.mode != SL_BENCH_HOLD)
        snprintf(size, sizeof(size), " %zu B %s,", o->cfg.msg_size,
                 o->cfg.mode == SL_BENCH_BULK ? "writes" : "messages");
    char target[SL_HOSTLEN + SL_PORTLEN + 4];
    format_target(o, target, sizeof(target));
    printf("bench %s %s: %d %s,%s %.2f s measured (warm-up %.2f s), %s, %s loop\n",
           sl_bench_mode_name(o->cfg.mode), target,
           o->cfg.connections, o->cfg.mode == SL_BENCH_UDP ? "flows" : "connections",
           size, secs, (double)o->cfg.warmup_ms / 1000.0,
           o->cfg.rate > 0 ? "open loop" : "closed loop", r->backend ? r->backend : "?");
    if (o->cfg.rate > 0)
        printf("  rate asked       %.0f/s\n", o->cfg.rate);
    if (o->cfg.mode == SL_BENCH_HOLD)
        printf("  %-16s %llu\n", op_name(o->cfg.mode), (unsigned long long)s->open_conns);
    else
        printf("  %-16s %llu (%.1f/s)\n", op_name(o->cfg.mode), (unsigned long long)s->ops,
               per_s(s->ops, s->elapsed_ns));
    printf("  throughput       %.2f MB/s out, %.2f MB/s in\n",
           per_s(s->bytes_out, s->elapsed_ns) / 1e6, per_s(s->bytes_in, s->elapsed_ns) / 1e6);
    text_latency("latency (µs)", r->latency);
    text_latency("connect (µs)", r->connect_latency);
    printf("  connections      %llu open at the end, %llu at most, %llu opened\n",
           (unsigned long long)s->open_conns, (unsigned long long)r->peak_open,
           (unsigned long long)s->opened);
    printf("  errors           resets %llu, short echoes %llu, mismatched echoes %llu (%llu bytes),"
           " connect failures %llu, timeouts %llu, late %llu\n",
           (unsigned long long)s->resets, (unsigned long long)s->short_reads,
           (unsigned long long)s->mismatches, (unsigned long long)s->mismatched_bytes,
           (unsigned long long)s->connect_errors, (unsigned long long)s->timeouts,
           (unsigned long long)s->late);
    printf("  client cpu       %.2f s user, %.2f s system in %.2f s (%.0f%% of one CPU)\n",
           o->cpu_user_s, o->cpu_sys_s, o->wall_s,
           o->wall_s > 0 ? 100.0 * (o->cpu_user_s + o->cpu_sys_s) / o->wall_s : 0.0);
    if (o->server_pid > 0)
        printf("  server memory    %lld KiB before, %lld KiB holding %llu: %.0f B per connection\n",
               o->mem_before_kb, o->mem_hold_kb, (unsigned long long)o->mem_hold_conns,
               mem_per_conn(o));
    if (o->histogram)
        text_histogram(r->latency);
}

int bench_report(const bench_opts *o, const sl_bench_result *res)
{
    const sl_bench_stats *s = &res->stats;
    if (o->json)
        report_json(o, res);
    else
        report_text(o, res);
    fflush(stdout);
    if (s->mismatches > 0 || s->short_reads > 0) {
        cli_error("the server's echoes were wrong: %llu mismatched, %llu short",
                  (unsigned long long)s->mismatches, (unsigned long long)s->short_reads);
        return CLI_FAIL;
    }
    return CLI_OK;
}

void bench_report_failure(const bench_opts *o, const sl_err *err)
{
    cli_json j;
    json_head(&j, o);
    json_str(&j, "error", err->msg);
    json_object_end(&j);
    json_finish(&j);
}
