/* cli/bench_progress.c: mode-dependent defaults and option checks for
 * `socklab bench`, and the progress line it keeps on a terminal. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>

#include "cli/cli.h"
#include "cli/bench_cli.h"

/* Loopback IPv4 targets get enough 127.0.0.x sources for the ports a
 * mode needs: about 28,000 ephemeral ports per source address. */
static int default_sources(const bench_opts *o)
{
    if (strncmp(o->cfg.target.host, "127.", 4) != 0 || o->cfg.family == AF_INET6)
        return 0;
    if (o->cfg.mode == SL_BENCH_CONNECT)
        return 16;   /* TIME_WAIT holds each port ~1 s even with tw_reuse */
    if (o->cfg.mode == SL_BENCH_HOLD && o->cfg.connections > 20000)
        return (o->cfg.connections + 19999) / 20000;
    return 0;
}

/* Fill --sources N (or the default) as 127.0.0.1 .. 127.0.0.N. */
static void fill_sources(bench_opts *o)
{
    int n = o->nsources > 0 ? o->nsources : default_sources(o);
    if (o->cfg.nsources > 0 || n == 0)
        return;
    for (int i = 0; i < n; i++) {
        snprintf(o->src_text[i], sizeof(o->src_text[i]), "127.0.0.%d", i + 1);
        o->cfg.sources[i] = o->src_text[i];
    }
    o->cfg.nsources = n;
}

void bench_check_options(bench_opts *o)
{
    sl_bench_config *c = &o->cfg;
    if (c->mode == SL_BENCH_BULK && !o->size_set)
        c->msg_size = 64 * 1024;
    if (c->count > 0 && !o->duration_set)
        c->duration_ms = 0;
    if (c->rate > 0 && (c->mode == SL_BENCH_BULK || c->mode == SL_BENCH_HOLD))
        cli_usage_error("--rate cannot be used with -m %s", sl_bench_mode_name(c->mode));
    if (c->count > 0 && c->mode == SL_BENCH_HOLD)
        cli_usage_error("--count cannot be used with -m hold (use -d)");
    if (c->mode == SL_BENCH_UDP && (c->msg_size < 8 || c->msg_size > 65507))
        cli_usage_error("--size: a udp message is 8 to 65507 bytes");
    if (c->mode != SL_BENCH_BULK && c->msg_size > (64u << 20))
        cli_usage_error("--size: at most 64M per message");
    if (o->procs > 0 && c->mode != SL_BENCH_HOLD)
        cli_usage_error("--procs is for -m hold only");
    if (o->nsources > 0 && c->nsources > 0)
        cli_usage_error("--sources cannot be used with --source");
    if (o->server_pid > 0 && kill(o->server_pid, 0) < 0)
        cli_usage_error("--server-pid: no process %d", o->server_pid);
    fill_sources(o);
}

/* Called by the engine every progress_ms: the line, and memory samples. */
static void on_progress(const sl_bench_stats *s, void *arg)
{
    bench_opts *o = arg;
    double secs = (double)s->elapsed_ns / 1e9;
    if (o->server_pid > 0 && !s->warming && s->elapsed_ns > 0) {
        long long kb = bench_tree_memory_kb(o->server_pid);
        if (kb >= 0) {
            o->mem_hold_kb = kb;
            o->mem_hold_conns = s->open_conns;
        }
    }
    if (!o->tty)
        return;
    fprintf(stderr, "\r\033[K%s %s%.1f s  %llu ops (%.0f/s)  open %llu  errors %llu",
            sl_bench_mode_name(o->cfg.mode), s->warming ? "warm-up " : "", secs,
            (unsigned long long)s->ops, secs > 0 ? (double)s->ops / secs : 0.0,
            (unsigned long long)s->open_conns,
            (unsigned long long)(s->resets + s->short_reads + s->mismatches
                                 + s->connect_errors + s->timeouts));
    o->line_shown = true;
}

void bench_progress_setup(bench_opts *o)
{
    o->tty = !o->quiet && isatty(STDERR_FILENO);
    o->mem_before_kb = o->mem_hold_kb = -1;
    if (o->server_pid > 0) {
        o->mem_before_kb = bench_tree_memory_kb(o->server_pid);
        o->cfg.progress_ms = 250;
    }
    if (o->tty || o->server_pid > 0) {
        o->cfg.progress = on_progress;
        o->cfg.progress_arg = o;
    }
}

void bench_progress_end(bench_opts *o)
{
    if (o->line_shown)
        fprintf(stderr, "\r\033[K");
}
