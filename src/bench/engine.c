/* bench/engine.c: the load engine's loop: open the connections a few at a
 * time, warm up, measure for a duration or a count, in closed loop (each
 * connection sends again as soon as its echo is back) or open loop (a
 * fixed rate; latency counted from when each request was due, so a
 * stalled server cannot hide its stalls), then report. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_internal.h"


static const char *const mode_names[] = { "echo", "bulk", "connect", "hold", "udp", "file" };

uint64_t sl__bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *sl_bench_mode_name(sl_bench_mode mode)
{
    return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

int sl_bench_mode_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
        if (strcmp(name, mode_names[i]) == 0)
            return (int)i;
    return -1;
}

void sl_bench_config_init(sl_bench_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = SL_BENCH_ECHO;
    cfg->connections = 1;
    cfg->msg_size = 64;
    cfg->duration_ms = 5000;
    cfg->inflight = 256 * 1024;
    cfg->open_batch = 8;
    cfg->timeout_ms = 5000;
    cfg->progress_ms = 1000;
}

void sl_bench_result_free(sl_bench_result *res)
{
    sl_hist_free(res->latency);
    sl_hist_free(res->connect_latency);
    res->latency = res->connect_latency = NULL;
}

/* Modes whose connections live for the whole run (opened first). */
static bool long_lived(const bench *b)
{
    return b->cfg->mode != SL_BENCH_CONNECT && b->cfg->mode != SL_BENCH_FILE;
}

static void push_idle(bench *b, bconn *c)
{
    c->state = c->fd >= 0 ? B_IDLE : c->state;
    b->idle[b->nidle++] = (int)c->id;
}

void sl__bench_done(bench *b, bconn *c)
{
    if (c->state == B_CHECKING) {
        sl_hist_record(b->res->connect_latency, b->now - c->open_ns);
        sl__bench_opened(b, c);
        return;
    }
    if (b->phase == P_DONE) {   /* the count was met earlier in this batch */
        if (!long_lived(b))
            sl__bench_close(b, c, false);
        c->state = c->fd >= 0 ? B_IDLE : B_FREE;
        return;
    }
    sl_hist_record(b->res->latency, b->now - c->start_ns);
    b->st->ops++;
    b->t_last_op = b->now;
    if (b->phase == P_MEASURE && b->cfg->count > 0 && b->st->ops >= b->cfg->count)
        b->phase = P_DONE;
    if (!long_lived(b)) {
        sl__bench_close(b, c, false);
        push_idle(b, c);
    } else if (b->cfg->rate > 0 || b->phase == P_DONE) {
        push_idle(b, c);
    } else {
        sl__bench_send_msg(b, c, b->now);
    }
}

void sl__bench_opened(bench *b, bconn *c)
{
    b->st->open_conns++;
    if (b->st->open_conns > b->res->peak_open)
        b->res->peak_open = b->st->open_conns;
    b->opening--;
    push_idle(b, c);
}

void sl__bench_unopened(bench *b, bconn *c)
{
    if (long_lived(b)) {
        b->opening--;
        return;
    }
    c->state = B_FREE;      /* a connect-mode slot tries again */
    push_idle(b, c);
}

void sl__bench_lost(bench *b, bconn *c)
{
    if (!long_lived(b)) {    /* a connect-mode cycle failed: the slot goes on */
        sl__bench_close(b, c, false);
        push_idle(b, c);
        return;
    }
    sl__bench_close(b, c, true);
    b->st->open_conns--;
}
