/* relay/relay_udp.c: UDP flows. Each client address that sends to the
 * relay gets a flow: a socket connected to the target, so the target's
 * answers come back on it and go out from the relay's port to that client.
 * Faults act per datagram: dropped or duplicated with a probability, held
 * for the delay (jitter may reorder, as networks do). A flow silent for
 * udp_idle_ms is forgotten. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "relay/relay_internal.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

struct relay_flow {
    sl_relay *r;
    uint64_t id;
    sl_addr peer;
    int fd;                        /* connected to the target */
    long long started_ms, last_ms;
    uint64_t bytes_up, bytes_down;
    relay_flow *prev, *next;
};

struct relay_dgram {
    relay_dgram *next;
    relay_flow *flow;
    bool up;
    long long at;
    size_t len;
    uint8_t data[];
};

static bool faulty(const sl_relay *r, bool up)
{
    return (r->cfg.faults.dirs & (up ? SL_RELAY_UP : SL_RELAY_DOWN)) != 0;
}

/* Send one datagram on its way now. Errors of one datagram (the target's
 * port closed: ECONNREFUSED from an ICMP) are counted, not fatal. */
static ssize_t send_once(sl_relay *r, relay_flow *f, bool up, const uint8_t *data,
                         size_t len)
{
    if (up)
        return send(f->fd, data, len, MSG_NOSIGNAL);
    return sendto(r->lfd, data, len, MSG_NOSIGNAL, &f->peer.u.sa, f->peer.len);
}

static void deliver(sl_relay *r, relay_flow *f, bool up, const uint8_t *data, size_t len)
{
    ssize_t n = send_once(r, f, up, data, len);
    if (n < 0 && (errno == ECONNREFUSED || errno == EINTR))
        n = send_once(r, f, up, data, len);   /* the refusal was an earlier one's */
    if (n < 0) {
        r->stats.resets++;
        return;
    }
    if (up) {
        f->bytes_up += len;
        r->stats.bytes_up += len;
    } else {
        f->bytes_down += len;
        r->stats.bytes_down += len;
    }
}

/* Hold a copy of a datagram until at (the queue is kept in time order). */
static void enqueue(sl_relay *r, relay_flow *f, bool up, const uint8_t *data, size_t len,
                    long long at)
{
    relay_dgram *d, **pp;
    if (r->queued >= RELAY_UDP_QUEUE || (d = malloc(sizeof(*d) + len)) == NULL) {
        r->stats.dropped++;     /* the delay line is full: lost, as on a link */
        return;
    }
    d->flow = f;
    d->up = up;
    d->at = at;
    d->len = len;
    memcpy(d->data, data, len);
    d->next = NULL;
    if (r->queue_tail != NULL && r->queue_tail->at <= at) {
        r->queue_tail->next = d;
        r->queue_tail = d;
    } else {
        for (pp = &r->queue; *pp != NULL && (*pp)->at <= at; pp = &(*pp)->next)
            ;
        d->next = *pp;
        *pp = d;
        if (d->next == NULL)
            r->queue_tail = d;
    }
    r->queued++;
}

/* One datagram through the faults: dropped, sent once or twice, now or later. */
static void forward(sl_relay *r, relay_flow *f, bool up, const uint8_t *data, size_t len,
                    long long now)
{
    const sl_relay_faults *fl = &r->cfg.faults;
    int copies = 1;
    f->last_ms = now;
    if (faulty(r, up) && fl->drop > 0 && sl__relay_random(r) < fl->drop) {
        r->stats.dropped++;
        return;
    }
    if (faulty(r, up) && fl->dup > 0 && sl__relay_random(r) < fl->dup) {
        r->stats.duplicated++;
        copies = 2;
    }
    for (int i = 0; i < copies; i++) {
        if (faulty(r, up) && (fl->delay_ms > 0 || fl->jitter_ms > 0)) {
            r->stats.delayed++;
            enqueue(r, f, up, data, len, now + fl->delay_ms + sl__relay_jitter(r));
        } else {
            deliver(r, f, up, data, len);
        }
    }
}

/* Forget flow f: its socket, its queued datagrams, and report it. */
static void flow_close(sl_relay *r, relay_flow *f)
{
    relay_dgram **pp = &r->queue, *d;
    sl_event ev;
    r->queue_tail = NULL;
    while ((d = *pp) != NULL) {
        if (d->flow == f) {
            *pp = d->next;
            free(d);
            r->queued--;
        } else {
            r->queue_tail = d;
            pp = &d->next;
        }
    }
    sl_loop_del(r->loop, f->fd);
    sl_close(f->fd);
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_CLOSE;
    ev.conn_id = f->id;
    ev.peer = &f->peer;
    ev.bytes_in = f->bytes_up;
    ev.bytes_out = f->bytes_down;
    ev.duration_ms = sl_now_ms() - f->started_ms;
    sl__relay_emit(r, &ev);
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        r->flows = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    r->active--;
    free(f);
}

/* The flow of peer, made on its first datagram; NULL when refused. */
static relay_flow *flow_get(sl_relay *r, const sl_addr *peer, long long now)
{
    relay_flow *f;
    sl_event ev;
    sl_err err;
    for (f = r->flows; f != NULL; f = f->next)
        if (sl_addr_equal(&f->peer, peer))
            return f;
    if (r->active >= r->cfg.max_clients || (f = calloc(1, sizeof(*f))) == NULL)
        return NULL;
    f->fd = socket(r->target.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->fd < 0 || connect(f->fd, &r->target.u.sa, r->target.len) < 0 ||
        sl_loop_add(r->loop, f->fd, SL_EV_READ, f, &err) < 0) {
        sl__relay_say(r, SL_EV_WARN, 0, peer, "relay: flow to the target: %s", strerror(errno));
        sl_close(f->fd);
        free(f);
        return NULL;
    }
    f->r = r;
    f->id = r->next_id++;
    f->peer = *peer;
    f->started_ms = f->last_ms = now;
    f->next = r->flows;
    if (r->flows != NULL)
        r->flows->prev = f;
    r->flows = f;
    r->active++;
    r->stats.clients++;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_OPEN;
    ev.conn_id = f->id;
    ev.peer = &f->peer;
    sl__relay_emit(r, &ev);
    return f;
}

int sl__relay_udp_listener(sl_relay *r, sl_err *err)
{
    long long now = sl_now_ms();
    (void)err;
    for (int i = 0; i < RELAY_ACCEPT_BATCH; i++) {
        sl_addr peer;
        relay_flow *f;
        ssize_t n;
        memset(&peer, 0, sizeof(peer));
        peer.len = sizeof(peer.u);
        n = recvfrom(r->lfd, r->dgram, RELAY_DGRAM_MAX, MSG_TRUNC, &peer.u.sa, &peer.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 0;       /* EAGAIN, or an ICMP error of a past datagram */
        if ((size_t)n > RELAY_DGRAM_MAX) {
            sl__relay_say(r, SL_EV_WARN, 0, &peer, "relay: a %zd-byte datagram was truncated: "
                          "dropped", n);
            continue;
        }
        f = flow_get(r, &peer, now);
        if (f != NULL)
            forward(r, f, true, r->dgram, (size_t)n, now);
    }
    return 0;
}

void sl__relay_udp_flow(sl_relay *r, relay_flow *f)
{
    long long now = sl_now_ms();
    for (int i = 0; i < RELAY_ACCEPT_BATCH; i++) {
        ssize_t n = recv(f->fd, r->dgram, RELAY_DGRAM_MAX, MSG_TRUNC);
        if (n < 0 && (errno == EINTR || errno == ECONNREFUSED))
            continue;     /* ECONNREFUSED: an earlier datagram found no one */
        if (n < 0)
            return;
        if ((size_t)n > RELAY_DGRAM_MAX)
            continue;
        forward(r, f, false, r->dgram, (size_t)n, now);
    }
}

long long sl__relay_udp_timers(sl_relay *r, long long now)
{
    long long next = -1;
    relay_flow *f, *n;
    while (r->queue != NULL && r->queue->at <= now) {
        relay_dgram *d = r->queue;
        r->queue = d->next;
        if (r->queue == NULL)
            r->queue_tail = NULL;
        r->queued--;
        deliver(r, d->flow, d->up, d->data, d->len);
        free(d);
    }
    if (r->queue != NULL)
        next = r->queue->at;
    for (f = r->flows; f != NULL; f = n) {
        long long end = f->last_ms + r->cfg.udp_idle_ms;
        n = f->next;
        if (end <= now)
            flow_close(r, f);
        else if (next < 0 || end < next)
            next = end;
    }
    return next;
}

void sl__relay_udp_close_all(sl_relay *r)
{
    while (r->flows != NULL)
        flow_close(r, r->flows);
}
