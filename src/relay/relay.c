/* relay/relay.c: the relay object: the target resolved once, the stop
 * pipe, the seeded random numbers behind jitter, drop and dup, and the
 * event loop that drives the TCP pairs (relay_tcp.c) or the UDP flows
 * (relay_udp.c) and their timers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay/relay_internal.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

char sl__relay_listen_tag, sl__relay_stop_tag;

/* splitmix64: a small, fast generator whose whole state is the seed, so a
 * run is reproduced by giving the same seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sl__relay_random(sl_relay *r)
{
    return (double)(next_random(&r->rng) >> 11) / 9007199254740992.0;
}

int sl__relay_jitter(sl_relay *r)
{
    int span = r->cfg.faults.jitter_ms;
    if (span <= 0)
        return 0;
    return (int)(next_random(&r->rng) % (uint64_t)(2 * span + 1)) - span;
}

void sl__relay_emit(const sl_relay *r, const sl_event *ev)
{
    if (r->cfg.on_event != NULL)
        r->cfg.on_event(ev, r->cfg.event_arg);
}

void sl__relay_say(const sl_relay *r, sl_event_kind kind, uint64_t id,
                   const sl_addr *peer, const char *fmt, ...)
{
    char msg[512];
    sl_event ev;
    va_list ap;
    if (r->cfg.on_event == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.conn_id = id;
    ev.peer = peer;
    ev.msg = msg;
    r->cfg.on_event(&ev, r->cfg.event_arg);
}

/* Fill the defaults and check the numbers of cfg. */
static int check_config(sl_relay_config *cfg, sl_err *err)
{
    const sl_relay_faults *f = &cfg->faults;
    if (f->delay_ms < 0 || f->jitter_ms < 0 || f->stall_ms < 0 ||
        f->drop < 0 || f->drop > 1 || f->dup < 0 || f->dup > 1)
        return sl__err(err, SL_EINPUT, EINVAL, "relay: a fault is out of range");
    if (cfg->faults.dirs == 0)
        cfg->faults.dirs = SL_RELAY_UP | SL_RELAY_DOWN;
    if (cfg->buffer == 0)
        cfg->buffer = RELAY_BUFFER_DEFAULT;
    if (cfg->connect_timeout_ms <= 0)
        cfg->connect_timeout_ms = 10000;
    if (cfg->close_timeout_ms <= 0)
        cfg->close_timeout_ms = 2000;
    if (cfg->udp_idle_ms <= 0)
        cfg->udp_idle_ms = 60000;
    if (cfg->max_clients <= 0)
        cfg->max_clients = 1024;
    return 0;
}

/* Resolve the target once; the first address is the one used. */
static int resolve_target(sl_relay *r, sl_err *err)
{
    struct addrinfo *res;
    int socktype = r->cfg.udp ? SOCK_DGRAM : SOCK_STREAM;
    if (sl_resolve(&r->cfg.target, r->cfg.family, socktype, false, &res, err) < 0)
        return -1;
    sl_addr_set(&r->target, res->ai_addr, res->ai_addrlen);
    r->target_socktype = res->ai_socktype;
    r->target_protocol = res->ai_protocol;
    sl_addrinfo_free(res);
    return 0;
}

sl_relay *sl_relay_new(const sl_relay_config *cfg, int lfd, sl_err *err)
{
    sl_relay *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        sl__err_sys(err, "relay: calloc");
        return NULL;
    }
    r->cfg = *cfg;
    r->lfd = lfd;
    atomic_init(&r->stopping, 0);
    r->stop_pipe[0] = r->stop_pipe[1] = -1;
    r->rng = cfg->seed;
    r->next_id = 1;
    if (check_config(&r->cfg, err) < 0 || resolve_target(r, err) < 0)
        goto fail;
    if (pipe2(r->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        sl__err_sys(err, "relay: pipe");
        goto fail;
    }
    if (r->cfg.udp && (r->dgram = malloc(RELAY_DGRAM_MAX)) == NULL) {
        sl__err_sys(err, "relay: malloc");
        goto fail;
    }
    if (sl_set_nonblock(lfd, true, err) < 0)
        goto fail;
    r->loop = sl_loop_new(r->cfg.backend, r->cfg.max_clients * 2 + 8, err);
    if (r->loop == NULL)
        goto fail;
    return r;
fail:
    sl_relay_free(r);
    return NULL;
}

void sl_relay_stop(sl_relay *r)
{
    int saved = errno;
    ssize_t n;
    r->stopping = 1;
    n = write(r->stop_pipe[1], "x", 1);
    (void)n;
    errno = saved;
}

void sl_relay_stats_get(const sl_relay *r, sl_relay_stats *out)
{
    *out = r->stats;
}

const sl_addr *sl_relay_target(const sl_relay *r)
{
    return &r->target;
}

void sl_relay_free(sl_relay *r)
{
    if (r == NULL)
        return;
    if (r->loop != NULL) {
        sl__relay_tcp_close_all(r);
        sl__relay_udp_close_all(r);
        sl_loop_free(r->loop);
    }
    sl_close(r->stop_pipe[0]);
    sl_close(r->stop_pipe[1]);
    free(r->dgram);
    free(r);
}

/* Watch or unwatch the listener: unwatched for a while after EMFILE, so the
 * loop does not spin on a client it cannot take. */
static int listener_interest(sl_relay *r, long long now, sl_err *err)
{
    unsigned want = now >= r->listen_paused_until ? SL_EV_READ : 0;
    if (want == r->listen_events)
        return 0;
    r->listen_events = want;
    return sl_loop_mod(r->loop, r->lfd, want, &sl__relay_listen_tag, err);
}

/* Run every due timer; returns the wait until the next one (ms, -1: none). */
static int timers(sl_relay *r, sl_err *err)
{
    long long now = sl_now_ms();
    long long next = r->cfg.udp ? sl__relay_udp_timers(r, now)
                                : sl__relay_tcp_timers(r, now);
    if (listener_interest(r, now, err) < 0)
        return -2;
    if (r->listen_events == 0 && (next < 0 || r->listen_paused_until < next))
        next = r->listen_paused_until;
    if (next < 0)
        return -1;
    now = sl_now_ms();
    return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

/* Handle one ready descriptor. */
static int dispatch(sl_relay *r, const sl_loop_event *ev, sl_err *err)
{
    if (ev->data == &sl__relay_stop_tag) {
        r->stopping = 1;
        return 0;
    }
    if (ev->data == &sl__relay_listen_tag)
        return r->cfg.udp ? sl__relay_udp_listener(r, err) : sl__relay_tcp_accept(r, err);
    if (r->cfg.udp)
        sl__relay_udp_flow(r, ev->data);
    else
        sl__relay_tcp_ready(r, ev->data);
    return 0;
}

int sl_relay_run(sl_relay *r, sl_err *err)
{
    sl_loop_event ev[RELAY_EVENTS];
    int rc = 0;
    r->listen_events = SL_EV_READ;
    if (sl_loop_add(r->loop, r->lfd, SL_EV_READ, &sl__relay_listen_tag, err) < 0 ||
        sl_loop_add(r->loop, r->stop_pipe[0], SL_EV_READ, &sl__relay_stop_tag, err) < 0)
        return -1;
    while (!r->stopping && rc == 0) {
        int timeout = timers(r, err), n;
        if (timeout == -2)
            return -1;
        n = sl_loop_wait(r->loop, ev, RELAY_EVENTS, timeout, err);
        if (n < 0)
            return -1;
        for (int i = 0; i < n && rc == 0; i++)
            rc = dispatch(r, &ev[i], err);
        sl__relay_tcp_reap(r);
    }
    sl__relay_tcp_close_all(r);
    sl__relay_udp_close_all(r);
    sl_loop_del(r->loop, r->lfd);
    sl_loop_del(r->loop, r->stop_pipe[0]);
    return rc;
}
