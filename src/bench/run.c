/* bench/run.c: sl_bench_run: set up the target, the sources, the buffers
 * and the loop, then drive the phases (open, warm up, measure) until the
 * duration, the count or a stop request ends the run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <time.h>
#include <sys/timerfd.h>

#include "bench/bench_internal.h"
#include "net/err_internal.h"

#define MAX_EVENTS 256
#define SCAN_NS 10000000u     /* deadlines are checked every 10 ms */
#define UDP_TRIES 3u          /* first datagrams sent before a flow is given up */

/* Resolve the target (numeric or /etc/hosts names; the first address). */
static int resolve_target(bench *b, sl_err *err)
{
    struct addrinfo *ai = NULL;
    const sl_bench_config *cfg = b->cfg;
    b->socktype = cfg->mode == SL_BENCH_UDP ? SOCK_DGRAM : SOCK_STREAM;
    if (cfg->target.is_unix)
        return sl__err(err, SL_EINPUT, EINVAL, "bench: unix sockets are not supported");
    if (sl_resolve(&cfg->target, cfg->family, b->socktype, false, &ai, err) < 0)
        return -1;
    sl_addr_set(&b->target, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

/* Parse the numeric source addresses (port 0: picked at connect). */
static int parse_sources(bench *b, sl_err *err)
{
    for (int i = 0; i < b->cfg->nsources; i++) {
        sl_addr *a = &b->src[i];
        const char *s = b->cfg->sources[i];
        memset(a, 0, sizeof(*a));
        if (inet_pton(AF_INET, s, &a->u.in4.sin_addr) == 1) {
            a->u.in4.sin_family = AF_INET;
            a->len = sizeof(a->u.in4);
        } else if (inet_pton(AF_INET6, s, &a->u.in6.sin6_addr) == 1) {
            a->u.in6.sin6_family = AF_INET6;
            a->len = sizeof(a->u.in6);
        } else {
            return sl__err(err, SL_EINPUT, EINVAL,
                           "bench: source '%.60s' is not a numeric address", s);
        }
        if (a->u.sa.sa_family != b->target.u.sa.sa_family)
            return sl__err(err, SL_EINPUT, EINVAL,
                           "bench: source %.60s is not of the target's family", s);
    }
    b->nsrc = b->cfg->nsources;
    return 0;
}

/* Fill the pattern: one period of a cheap pseudo-random sequence
 * (xorshift), then its repetition, so p[i] == p[i % BENCH_PERIOD]. */
static void fill_pattern(uint8_t *p, size_t len)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = i < BENCH_PERIOD ? (uint8_t)(x >> 24) : p[i - BENCH_PERIOD];
    }
}

/* Allocate everything the run needs. */
static int setup(bench *b, sl_err *err)
{
    int n = b->cfg->connections;
    if (resolve_target(b, err) < 0 || parse_sources(b, err) < 0)
        return -1;
    b->n = n;
    b->conns = calloc((size_t)n, sizeof(*b->conns));
    b->idle = calloc((size_t)n, sizeof(*b->idle));
    b->pattern = malloc(BENCH_PERIOD + BENCH_CHUNK);
    b->rbuf = malloc(BENCH_RBUF + BENCH_CHUNK);   /* + the datagram send area */
    if (b->conns == NULL || b->idle == NULL || b->pattern == NULL || b->rbuf == NULL)
        return sl__err_sys(err, "bench: out of memory for %d connections", n);
    fill_pattern(b->pattern, BENCH_PERIOD + BENCH_CHUNK);
    for (int i = 0; i < n; i++) {
        b->conns[i].fd = -1;
        b->conns[i].id = (uint32_t)i;
        b->conns[i].base = (uint32_t)(((uint64_t)i * 7919u) % BENCH_PERIOD);
    }
    b->res->latency = sl_hist_new(err);
    b->res->connect_latency = b->res->latency ? sl_hist_new(err) : NULL;
    if (b->res->connect_latency == NULL)
        return -1;
    b->loop = sl_loop_new(b->cfg->backend, n + 16, err);
    if (b->loop == NULL)
        return -1;
    b->res->backend = sl_loop_backend(b->loop);
    return 0;
}

static void teardown(bench *b)
{
    for (int i = 0; b->conns != NULL && i < b->n; i++)
        if (b->conns[i].fd >= 0)
            sl__bench_close(b, &b->conns[i], true);
    if (b->timer_fd >= 0)
        close(b->timer_fd);
    if (b->loop != NULL)
        sl_loop_free(b->loop);
    free(b->conns);
    free(b->idle);
    free(b->pattern);
    free(b->rbuf);
}

static bool long_lived(const bench *b);

/* Enter phase p at b->now: the measured phase starts from zero. */
static void enter_phase(bench *b, bphase p)
{
    uint64_t open = b->st->open_conns, opened = b->st->opened;
    uint64_t failed = b->st->connect_errors;
    b->phase = p;
    b->t_phase = b->now;
    b->t_ticket0 = b->now;
    b->tickets_sent = 0;
    b->t_last_op = b->now;
    if (p == P_MEASURE) {
        memset(b->st, 0, sizeof(*b->st));
        b->st->open_conns = open;
        b->st->opened = opened;
        if (long_lived(b))   /* failures while opening stay in the report */
            b->st->connect_errors = failed;
        sl_hist_reset(b->res->latency);
        b->t_measure = b->now;
        b->t_end = b->cfg->duration_ms > 0
                   ? b->now + (uint64_t)b->cfg->duration_ms * 1000000u : 0;
    }
    b->st->warming = p == P_WARMUP;
}

static bool long_lived(const bench *b)
{
    return b->cfg->mode != SL_BENCH_CONNECT && b->cfg->mode != SL_BENCH_FILE;
}

static bool pending(const bconn *c)
{
    return c->state == B_CONNECTING || c->state == B_CHECKING;
}

/* Keep up to open_batch connections opening at once. */
static void open_more(bench *b)
{
    while (b->opening < b->cfg->open_batch && b->open_next < b->n) {
        bconn *c = &b->conns[b->open_next++];
        b->opening++;
        (void)sl__bench_open(b, c);
    }
    while (b->open_lo < b->open_next && !pending(&b->conns[b->open_lo]))
        b->open_lo++;
}

/* Start the next operation on an idle connection (or a free slot). */
static void start_op(bench *b, bconn *c, uint64_t start_ns)
{
    if (long_lived(b)) {
        if (c->state == B_IDLE)
            sl__bench_send_msg(b, c, start_ns);
        return;
    }
    if (c->state != B_FREE)
        return;
    c->start_ns = start_ns;
    (void)sl__bench_open(b, c);
}

/* Open loop: give each request that is due to an idle connection, with
 * the time it was due as its start. */
static void dispatch(bench *b)
{
    while (b->nidle > 0) {
        uint64_t due = b->t_ticket0 + (uint64_t)((double)b->tickets_sent * b->interval_ns);
        if (due > b->now)
            break;
        b->tickets_sent++;
        start_op(b, &b->conns[b->idle[--b->nidle]], due);
    }
}

/* Give work to idle connections: open more, dispatch, or start them all. */
static void kick(bench *b)
{
    int k;
    if (b->phase == P_OPEN) {
        open_more(b);
        return;
    }
    if (b->phase == P_DONE || b->cfg->mode == SL_BENCH_HOLD)
        return;
    if (b->cfg->rate > 0) {
        dispatch(b);
        return;
    }
    for (k = b->nidle; k > 0 && b->nidle > 0; k--)
        start_op(b, &b->conns[b->idle[--b->nidle]], b->now);
}

/* A deadline passed on c: a connect or first echo that took too long, a
 * lost datagram, or a connect-mode cycle that stalled. */
static void expire(bench *b, bconn *c)
{
    if (c->state == B_CHECKING && b->socktype == SOCK_DGRAM && c->seq < UDP_TRIES) {
        sl__bench_send_msg(b, c, b->now);   /* datagrams get lost: try again */
        return;
    }
    if (pending(c)) {
        sl__bench_open_failed(b, c, c->state == B_CONNECTING ? "connect" : "first echo",
                              ETIMEDOUT);
        return;
    }
    if (c->state != B_BUSY || b->cfg->mode == SL_BENCH_FILE)
        return;
    b->st->timeouts++;
    if (b->cfg->mode == SL_BENCH_CONNECT) {
        sl__bench_close(b, c, false);
        c->state = B_FREE;
        b->idle[b->nidle++] = (int)c->id;
    } else if (b->cfg->rate > 0) {
        c->state = B_IDLE;
        b->idle[b->nidle++] = (int)c->id;
    } else {
        sl__bench_send_msg(b, c, b->now);
    }
}

/* Check deadlines every SCAN_NS where they matter. */
static void scan_deadlines(bench *b)
{
    int lo = 0, hi = b->n;
    if (b->now < b->t_scan)
        return;
    b->t_scan = b->now + SCAN_NS;
    if (b->phase == P_OPEN) {
        lo = b->open_lo;
        hi = b->open_next;
    } else if (long_lived(b) && b->cfg->mode != SL_BENCH_UDP) {
        return;
    }
    for (int i = lo; i < hi; i++)
        if (b->conns[i].deadline_ns <= b->now && b->conns[i].fd >= 0)
            expire(b, &b->conns[i]);
}

/* Move to the next phase when the current one is over. */
static void advance(bench *b, bool *failed)
{
    const sl_bench_config *cfg = b->cfg;
    if (cfg->stop != NULL && *cfg->stop) {
        b->phase = P_DONE;
    } else if (b->phase == P_OPEN && b->open_next >= b->n && b->opening == 0) {
        if (b->st->open_conns == 0) {
            *failed = true;
            b->phase = P_DONE;
            return;
        }
        enter_phase(b, cfg->warmup_ms > 0 ? P_WARMUP : P_MEASURE);
    } else if (b->phase == P_WARMUP
               && b->now >= b->t_phase + (uint64_t)cfg->warmup_ms * 1000000u) {
        enter_phase(b, P_MEASURE);
    } else if (b->phase == P_MEASURE) {
        if ((b->t_end != 0 && b->now >= b->t_end)
            || (long_lived(b) && b->st->open_conns == 0))
            b->phase = P_DONE;
        /* A count that a stalled server never reaches must still end. */
        if (b->t_end == 0 && cfg->mode != SL_BENCH_HOLD
            && b->now > b->t_last_op + (uint64_t)cfg->timeout_ms * 1000000u) {
            sl__err(&b->first_error, SL_ETIMEDOUT, ETIMEDOUT,
                    "bench: nothing completed for %d ms; stopped", cfg->timeout_ms);
            b->phase = P_DONE;
        }
    }
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* How long the loop may sleep: until the next phase change, deadline scan,
 * progress report or ticket (tickets have their own timer when they can). */
static int wait_ms(const bench *b)
{
    uint64_t next = b->now + 1000000000u;
    const sl_bench_config *cfg = b->cfg;
    if (cfg->progress != NULL)
        next = min_u64(next, b->t_progress);
    if (b->phase == P_WARMUP)
        next = min_u64(next, b->t_phase + (uint64_t)cfg->warmup_ms * 1000000u);
    if (b->phase == P_MEASURE && b->t_end != 0)
        next = min_u64(next, b->t_end);
    if (b->phase == P_MEASURE && b->t_end == 0)
        next = min_u64(next, b->t_last_op + (uint64_t)cfg->timeout_ms * 1000000u + 1);
    if (b->phase == P_OPEN || !long_lived(b) || cfg->mode == SL_BENCH_UDP)
        next = min_u64(next, b->t_scan);
    if (cfg->rate > 0 && b->nidle > 0 && b->timer_fd < 0)
        next = min_u64(next, b->t_ticket0 + (uint64_t)((double)b->tickets_sent * b->interval_ns));
    if (next <= b->now)
        return 0;
    return (int)((next - b->now + 999999u) / 1000000u);
}

/* Arm the ticket timer for the next request due (open loop only). */
static void arm_timer(bench *b)
{
    struct itimerspec its;
    uint64_t due;
    if (b->timer_fd < 0 || b->nidle == 0 || b->phase == P_OPEN || b->phase == P_DONE)
        return;
    due = b->t_ticket0 + (uint64_t)((double)b->tickets_sent * b->interval_ns);
    if (due == b->timer_due)
        return;
    b->timer_due = due;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t)(due / 1000000000u);
    its.it_value.tv_nsec = (long)(due % 1000000000u);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    (void)timerfd_settime(b->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Report progress when it is time. */
static void progress(bench *b)
{
    if (b->cfg->progress == NULL || b->now < b->t_progress)
        return;
    b->t_progress = b->now + (uint64_t)b->cfg->progress_ms * 1000000u;
    b->st->elapsed_ns = b->phase == P_OPEN ? 0 : (long long)(b->now - b->t_phase);
    b->cfg->progress(b->st, b->cfg->progress_arg);
}

/* Handle one batch of events, with the clock read before each. */
static void handle(bench *b, const sl_loop_event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        b->now = sl__bench_now();
        if (ev[i].data == &b->timer_fd) {
            uint64_t ticks;
            ssize_t r = read(b->timer_fd, &ticks, sizeof(ticks));
            (void)r;
            b->timer_due = 0;
            continue;
        }
        sl__bench_ready(b, ev[i].data, ev[i].events);
    }
    b->now = sl__bench_now();
}

/* The open-loop timer: nanosecond wake-ups for requests that are due. */
static int open_timer(bench *b, sl_err *err)
{
    b->timer_fd = -1;
    if (b->cfg->rate <= 0)
        return 0;
    b->interval_ns = 1e9 / b->cfg->rate;
    b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (b->timer_fd < 0)
        return 0;   /* the loop's millisecond timeout does the job, coarser */
    return sl_loop_add(b->loop, b->timer_fd, SL_EV_READ, &b->timer_fd, err);
}

/* Refuse configurations the engine cannot run. */
static int validate(const sl_bench_config *cfg, sl_err *err)
{
    if ((unsigned)cfg->mode > SL_BENCH_FILE)
        return sl__err(err, SL_EINPUT, EINVAL, "bench: unknown mode %d", (int)cfg->mode);
    if (cfg->connections < 1 || cfg->open_batch < 1 || cfg->timeout_ms < 1)
        return sl__err(err, SL_EINPUT, EINVAL, "bench: connections, batch and timeout must be positive");
    if (cfg->msg_size < 1 || (cfg->mode == SL_BENCH_UDP
                              && (cfg->msg_size < BENCH_UDP_HDR || cfg->msg_size > 65507)))
        return sl__err(err, SL_EINPUT, EINVAL,
                       "bench: message size %zu is out of range for %s", cfg->msg_size,
                       sl_bench_mode_name(cfg->mode));
    if (cfg->mode == SL_BENCH_BULK && cfg->inflight < 1)
        return sl__err(err, SL_EINPUT, EINVAL, "bench: bytes in flight must be positive");
    if (cfg->duration_ms <= 0 && cfg->count == 0 && cfg->mode != SL_BENCH_HOLD)
        return sl__err(err, SL_EINPUT, EINVAL, "bench: give a duration or a count");
    return 0;
}

/* Run the phases until done; -1 when the loop fails. */
static int drive(bench *b, bool *failed, sl_err *err)
{
    sl_loop_event ev[MAX_EVENTS];
    while (b->phase != P_DONE) {
        int n;
        kick(b);
        arm_timer(b);
        n = sl_loop_wait(b->loop, ev, MAX_EVENTS, wait_ms(b), err);
        if (n < 0)
            return -1;
        handle(b, ev, n);
        scan_deadlines(b);
        advance(b, failed);
        progress(b);
    }
    return 0;
}

int sl_bench_run(const sl_bench_config *cfg, sl_bench_result *res, sl_err *err)
{
    bench b;
    bool failed = false;
    memset(res, 0, sizeof(*res));
    memset(&b, 0, sizeof(b));
    b.cfg = cfg;
    b.res = res;
    b.st = &res->stats;
    b.timer_fd = -1;
    if (validate(cfg, err) < 0 || setup(&b, err) < 0 || open_timer(&b, err) < 0)
        goto fail;
    b.now = sl__bench_now();
    b.t_progress = b.now + (uint64_t)cfg->progress_ms * 1000000u;
    if (long_lived(&b)) {
        b.phase = P_OPEN;
    } else {
        for (int i = 0; i < b.n; i++)
            b.idle[b.nidle++] = i;
        enter_phase(&b, cfg->warmup_ms > 0 ? P_WARMUP : P_MEASURE);
    }
    if (drive(&b, &failed, err) < 0)
        goto fail;
    if (failed) {
        *err = b.first_error;
        goto fail;
    }
    res->stats.elapsed_ns = b.t_measure != 0 ? (long long)(b.now - b.t_measure) : 0;
    res->stats.warming = false;
    if (b.first_error.kind == SL_ETIMEDOUT && err != NULL)
        *err = b.first_error;   /* a note for the caller; the run still counts */
    teardown(&b);
    return 0;
fail:
    teardown(&b);
    sl_bench_result_free(res);
    return -1;
}
