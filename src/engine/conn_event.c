/* engine/conn_event.c: the event connection driver: drives a service's
 * callbacks on readiness, for the select, poll and epoll models.
 *
 * Steady state is one read into the loop's shared buffer and one write per
 * message, no allocation. What the service does not take is kept (and
 * reading stops until output drains); what the socket refuses is queued in
 * conn_queue.c, bounded by out_limit. Half-close is the blocking driver's:
 * the peer's FIN goes to input_end; our FIN goes after output drains; a
 * graceful end is shutdown(SHUT_WR), then input is discarded until the
 * peer's EOF or the close deadline, then close (never close over unread
 * input). Once a connection reaches that last phase the service is done
 * with it (released) and only the socket lingers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/event.h"
#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define PROGRESS_ROUNDS 8   /* service callbacks in a row before others run */

static void list_push(sl__conn_list *l, sl_conn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void list_drop(sl__conn_list *l, sl_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static sl__conn_list *list_of(sl__worker *w, const sl_conn *c)
{
    return c->timed ? &w->timed : &w->live;
}

/* Progress was made: an idle timeout counts from now. */
static void touch(sl__worker *w, sl_conn *c)
{
    c->last_ms = w->now;
    if (!c->timed && w->srv->cfg.idle_timeout_ms > 0 && w->live.tail != c) {
        list_drop(&w->live, c);
        list_push(&w->live, c);
    }
}

/* Put c on the closing list, due by deadline (an earlier one is kept). */
static void set_deadline(sl__worker *w, sl_conn *c, long long deadline)
{
    if (c->timed)
        return;
    list_drop(&w->live, c);
    c->timed = true;
    c->last_ms = deadline;
    list_push(&w->timed, c);
}

/* Tell the loop what c waits for now, when that changed. */
static void sync_interest(sl__worker *w, sl_conn *c)
{
    unsigned want = 0;
    if (c->closing) {
        want = c->in_eof ? 0 : SL_EV_READ;
    } else {
        if (!c->paused && !c->throttled && !c->in_eof)
            want |= SL_EV_READ;
        if (sl__conn_pending(c) || (c->sent && c->srv->cfg.service->drained != NULL))
            want |= SL_EV_WRITE;
    }
    if (want == c->interest)
        return;
    if (sl_loop_mod(w->loop, c->fd, want, c, &w->err) < 0)
        sl__server_say(w->srv, SL_EV_WARN, c, "%s", w->err.msg);
    else
        c->interest = (uint8_t)want;
}

/* The end: release the service (if not yet), close the socket, and leave
 * the record for sl__event_reap (events of this batch may still name it). */
static void close_now(sl__worker *w, sl_conn *c, const sl_err *why)
{
    if (!c->closing) {
        sl__conn_release(c, why);
        sl__event_unadmit(w->srv);
    }
    sl_loop_del(w->loop, c->fd);
    sl_close(c->fd);
    list_drop(list_of(w, c), c);
    c->dead = true;
    c->next = w->dead;
    w->dead = c;
    w->nconns--;
    w->accept_retry = 0;    /* a paused listener may take a client again */
}

/* The service is done: FIN (what is queued is dropped), then discard
 * input until the peer's EOF or the close deadline. */
static void linger(sl__worker *w, sl_conn *c, const sl_err *why)
{
    if (!c->closing) {
        sl__conn_release(c, why);
        sl__event_unadmit(w->srv);
    }
    c->closing = true;
    sl__conn_fin(c);
    if (c->in_eof) {
        close_now(w, c, NULL);
        return;
    }
    set_deadline(w, c, w->now + w->srv->cfg.close_timeout_ms);
    sync_interest(w, c);
}

/* A failure: a reset peer is closed at once, anything else gracefully. */
static void fail(sl__worker *w, sl_conn *c, const sl_err *err)
{
    if (err->kind == SL_EPEER)
        close_now(w, c, err);
    else
        linger(w, c, err);
}

/* Offer len bytes to the service while it takes some. Returns how many it
 * took, or -1. */
static ssize_t offer(sl_conn *c, const uint8_t *data, size_t len, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    size_t took = 0;
    while (took < len && !c->paused && !c->finishing) {
        ssize_t used = svc->input(c, c->state, data + took, len - took, err);
        if (used < 0)
            return -1;
        if (used == 0)
            break;
        took += (size_t)used;
    }
    if (took > 0)
        c->sent = true;     /* drained is owed, as the blocking driver does */
    return (ssize_t)took;
}

/* A service that takes nothing while nothing is pending would stall. */
static int check_stall(const sl_conn *c, sl_err *err)
{
    if (!sl__conn_pending(c) && !c->paused && !c->finishing)
        return sl__err(err, SL_EINPUT, EPROTO, "service %s took no input",
                       c->srv->cfg.service->name);
    return 0;
}

/* Give fresh input (in the loop's buffer) to the service; keep the rest. */
static int deliver(sl_conn *c, const uint8_t *data, size_t len, sl_err *err)
{
    ssize_t took = offer(c, data, len, err);
    sl__conn_ext *x;
    if (took < 0)
        return -1;
    if ((size_t)took == len || c->finishing)
        return 0;   /* after a finish request the rest is not wanted (after a
                       mere shutdown input still goes to the service: service.h) */
    if (check_stall(c, err) < 0)
        return -1;
    x = sl__conn_ext_get(c, err);
    if (x == NULL || (x->in = malloc(len - (size_t)took)) == NULL)
        return sl__err_sys(err, "conn: keep %zu bytes of input", len - (size_t)took);
    memcpy(x->in, data + took, len - (size_t)took);
    x->in_off = 0;
    x->in_len = len - (size_t)took;
    c->throttled = true;
    return 0;
}

/* Offer the kept input again (output drained or the service resumed). */
static int redeliver(sl_conn *c, sl_err *err)
{
    sl__conn_ext *x = c->ext;
    ssize_t took = offer(c, x->in + x->in_off, x->in_len, err);
    if (took < 0)
        return -1;
    x->in_off += (size_t)took;
    x->in_len -= (size_t)took;
    if (x->in_len > 0 && !c->finishing)
        return check_stall(c, err);
    x->in_len = 0;
    c->throttled = false;
    sl__conn_ext_trim(c);
    return 0;
}

/* One step of what follows from c's state once output is written: kept
 * input, drained, FIN, end. Returns 1 to step again, 0 when settled, -1. */
static int step(sl__worker *w, sl_conn *c, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    if (sl__conn_pending(c))
        return 0;
    if (c->throttled && !c->paused)
        return redeliver(c, err) < 0 ? -1 : 1;
    if (c->sent && svc->drained != NULL) {
        c->sent = false;
        return svc->drained(c, c->state, err) < 0 ? -1 : 1;
    }
    c->sent = false;
    if (c->want_shut)
        sl__conn_fin(c);
    if (c->shut_done && c->in_eof)
        close_now(w, c, NULL);
    else if (c->shut_done && c->finishing)
        linger(w, c, NULL);
    return 0;
}

/* Run steps until c settles (bounded), then update what it waits for. */
static void progress(sl__worker *w, sl_conn *c)
{
    sl_err err;
    for (int round = 0; round < PROGRESS_ROUNDS && !c->dead && !c->closing; round++) {
        int rc = step(w, c, &err);
        if (rc < 0) {
            fail(w, c, &err);
            return;
        }
        if (rc == 0)
            break;
    }
    if (!c->dead)
        sync_interest(w, c);
}

/* A failed read as an error record (a reset is the peer's doing). */
static void read_error(sl_err *err)
{
    int e = errno;
    if (e == ECONNRESET)
        sl__err(err, SL_EPEER, e, "recv: connection reset by peer");
    else
        sl__err_sys(err, "recv");
}

/* Readable: one read into the loop's buffer. */
static void on_read(sl__worker *w, sl_conn *c)
{
    sl_err err;
    int rc;
    ssize_t n = recv(c->fd, w->rbuf, SL_IO_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (c->closing) {            /* discarding until the peer's EOF */
        if (n <= 0)
            close_now(w, c, NULL);
        return;
    }
    if (n < 0) {
        read_error(&err);
        rc = -1;
    } else if (n == 0) {
        rc = sl__conn_peer_done(c, &err);
    } else {
        c->bytes_in += (uint64_t)n;
        touch(w, c);
        rc = deliver(c, w->rbuf, (size_t)n, &err);
    }
    if (rc < 0)
        fail(w, c, &err);
    else
        progress(w, c);
}

/* Writable: write what is queued. */
static void on_write(sl__worker *w, sl_conn *c)
{
    sl_err err;
    uint64_t before = c->bytes_out;
    if (sl__conn_flush(c, &err) < 0) {
        fail(w, c, &err);
        return;
    }
    if (c->bytes_out != before)
        touch(w, c);
    progress(w, c);
}

void sl__event_conn(sl__worker *w, sl_conn *c, unsigned events)
{
    if (c->dead)
        return;
    if ((events & SL_EV_WRITE) || ((events & SL_EV_ERROR) && !(c->interest & SL_EV_READ)))
        on_write(w, c);
    if (!c->dead && (events & (SL_EV_READ | SL_EV_ERROR)) && (c->interest & SL_EV_READ))
        on_read(w, c);
}

void sl__event_open(sl__worker *w, int fd, const sl_addr *peer)
{
    char who[SL_ADDRSTRLEN];
    sl_conn *c = malloc(sizeof(*c));
    sl_err err;
    if (c == NULL || sl_loop_add(w->loop, fd, SL_EV_READ, c, &err) < 0) {
        sl__server_say(w->srv, SL_EV_REFUSED, NULL, "client %s refused: %s",
                       sl_addr_format(peer, who, sizeof(who)),
                       c == NULL ? "out of memory" : err.msg);
        free(c);
        sl_close(fd);
        sl__event_unadmit(w->srv);
        return;
    }
    if (sl__conn_init(c, w->srv, fd, peer, false, &err) < 0) {
        sl__server_say(w->srv, SL_EV_WARN, NULL, "%s", err.msg);
        sl_loop_del(w->loop, fd);
        sl_close(fd);
        free(c);
        sl__event_unadmit(w->srv);
        return;
    }
    c->interest = SL_EV_READ;
    c->last_ms = w->now;
    list_push(&w->live, c);
    w->nconns++;
    sl__conn_emit_open(c);
    progress(w, c);
}

void sl__event_stop_all(sl__worker *w)
{
    while (w->live.head != NULL) {
        sl_conn *c = w->live.head;
        c->paused = true;          /* no more input to the service */
        c->want_shut = c->finishing = true;
        c->throttled = false;
        c->sent = false;           /* nothing more is asked of it */
        if (c->ext != NULL)
            c->ext->in_len = 0;
        sl__conn_ext_trim(c);
        set_deadline(w, c, w->stop_deadline);
        progress(w, c);
    }
}

/* The deadline of c passed. */
static void expire_one(sl__worker *w, sl_conn *c, bool idle)
{
    sl_err err;
    if (idle) {
        sl__err(&err, SL_ETIMEDOUT, ETIMEDOUT, "idle for %d ms",
                w->srv->cfg.idle_timeout_ms);
        fail(w, c, &err);
    } else if (!c->closing) {
        sl__err(&err, SL_ETIMEDOUT, ETIMEDOUT,
                "server stopping: output not taken within %d ms",
                w->srv->cfg.close_timeout_ms);
        close_now(w, c, &err);
    } else {
        close_now(w, c, NULL);   /* the peer never sent its FIN: cut */
    }
}

int sl__event_expire(sl__worker *w)
{
    int idle = w->srv->cfg.idle_timeout_ms;
    long long next = -1;
    while (w->timed.head != NULL && w->timed.head->last_ms <= w->now)
        expire_one(w, w->timed.head, false);
    while (idle > 0 && w->live.head != NULL && w->live.head->last_ms + idle <= w->now)
        expire_one(w, w->live.head, true);
    if (w->timed.head != NULL)
        next = w->timed.head->last_ms - w->now;
    if (idle > 0 && w->live.head != NULL) {
        long long t = w->live.head->last_ms + idle - w->now;
        next = next < 0 || t < next ? t : next;
    }
    return next < 0 ? -1 : (int)(next + 1);
}

void sl__event_reap(sl__worker *w)
{
    while (w->dead != NULL) {
        sl_conn *c = w->dead;
        w->dead = c->next;
        free(c);
    }
}
