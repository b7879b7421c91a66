/* engine/conn.c: the per-connection record and the calls a service makes
 * on it, the same under every model. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/engine.h"
#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

/* Keep peer compactly, or whole in peer_full when it does not fit. */
static int peer_store(sl_conn *c, const sl_addr *peer, sl_err *err)
{
    if (peer->len <= sizeof(c->peer.u)) {
        c->peer.len = peer->len;
        memcpy(&c->peer.u, &peer->u, peer->len);
        return 0;
    }
    c->peer_full = malloc(sizeof(*c->peer_full));
    if (c->peer_full == NULL)
        return sl__err_sys(err, "conn: malloc");
    *c->peer_full = *peer;
    return 0;
}

void sl__conn_peer_get(const sl_conn *c, sl_addr *out)
{
    if (c->peer_full != NULL) {
        *out = *c->peer_full;
        return;
    }
    memset(out, 0, sizeof(*out));
    out->len = c->peer.len;
    memcpy(&out->u, &c->peer.u, c->peer.len);
}

int sl__conn_init(sl_conn *c, sl_server *srv, int fd, const sl_addr *peer,
                  bool blocking, sl_err *err)
{
    const sl_service *svc = srv->cfg.service;
    memset(c, 0, sizeof(*c));
    c->srv = srv;
    c->fd = fd;
    c->blocking = blocking;
    c->id = atomic_fetch_add(&srv->sh->next_id, 1);
    c->started_ms = sl_now_ms();
    c->last_ms = c->started_ms;
    if (peer_store(c, peer, err) < 0)
        return -1;
    if (svc->state_size > 0) {
        c->state = calloc(1, svc->state_size);
        if (c->state == NULL) {
            free(c->peer_full);
            return sl__err_sys(err, "conn: calloc");
        }
    }
    atomic_fetch_add(&srv->sh->active, 1);
    if (svc->open != NULL && svc->open(c, c->state, srv->cfg.service_config, err) < 0) {
        atomic_fetch_sub(&srv->sh->active, 1);
        free(c->state);
        c->state = NULL;
        free(c->peer_full);
        c->peer_full = NULL;
        sl__conn_ext_drop(c);
        return -1;
    }
    return 0;
}

void sl__conn_release(sl_conn *c, const sl_err *why)
{
    const sl_service *svc = c->srv->cfg.service;
    sl_addr peer;
    sl_event ev;
    if (svc->close != NULL)
        svc->close(c, c->state, why);
    sl__conn_peer_get(c, &peer);
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_CLOSE;
    ev.conn_id = c->id;
    ev.peer = &peer;
    ev.bytes_in = c->bytes_in;
    ev.bytes_out = c->bytes_out;
    ev.duration_ms = sl_now_ms() - c->started_ms;
    ev.err = why;
    sl__server_emit(c->srv, &ev);
    free(c->state);
    c->state = NULL;
    free(c->peer_full);
    c->peer_full = NULL;
    sl__conn_ext_drop(c);
    atomic_fetch_sub(&c->srv->sh->active, 1);
    sl__server_count(c->srv);
}

/* Report that c was accepted. */
void sl__conn_emit_open(const sl_conn *c)
{
    sl_addr peer;
    sl_event ev;
    sl__conn_peer_get(c, &peer);
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_OPEN;
    ev.conn_id = c->id;
    ev.peer = &peer;
    sl__server_emit(c->srv, &ev);
}

size_t sl_conn_room(const sl_conn *c)
{
    size_t limit = c->srv->cfg.out_limit, queued = sl__conn_queued(c);
    if (c->blocking)
        return SIZE_MAX;   /* blocking writes are their own back-pressure */
    if (c->ext != NULL && c->ext->file_left > 0)
        return 0;          /* bytes sent now would overtake the file */
    return queued >= limit ? 0 : limit - queued;
}

int sl_conn_send(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    if (c->shut_done || c->want_shut)
        return sl__err(err, SL_EINPUT, EPIPE, "send after shutdown");
    if (len == 0)
        return 0;
    c->sent = true;
    return c->blocking ? sl__conn_send_blocking(c, data, len, err)
                       : sl__conn_send_event(c, data, len, err);
}

int sl_conn_send_file(sl_conn *c, int fd, off_t off, uint64_t len, sl_err *err)
{
    sl__conn_ext *x;
    if (c->shut_done || c->want_shut)
        return sl__err(err, SL_EINPUT, EPIPE, "send_file after shutdown");
    if (c->blocking)
        return sl__conn_send_file_blocking(c, fd, off, len, err);
    if (c->ext != NULL && c->ext->file_left > 0)
        return sl__err(err, SL_EINPUT, EBUSY, "send_file: a file is already queued");
    if (len == 0)
        return 0;
    x = sl__conn_ext_get(c, err);
    if (x == NULL)
        return -1;
    x->file_fd = fd;
    x->file_off = off;
    x->file_left = len;
    c->sent = true;
    return 0;   /* sent by the event driver when the socket is writable */
}

void sl_conn_shutdown(sl_conn *c)
{
    c->want_shut = true;
}

void sl_conn_finish(sl_conn *c)
{
    c->want_shut = true;
    c->finishing = true;
}

void sl_conn_pause(sl_conn *c)
{
    c->paused = true;
}

void sl_conn_resume(sl_conn *c)
{
    c->paused = false;
}

/* The full address is made on first use: most connections never ask, and
 * the compact form keeps idle connections small. The record is the
 * caller's non-const connection, only touched by its own thread. */
const sl_addr *sl_conn_peer(const sl_conn *c)
{
    static const sl_addr unknown;
    sl_conn *m = (sl_conn *)(uintptr_t)c;
    if (m->peer_full == NULL) {
        sl_addr *a = malloc(sizeof(*a));
        if (a == NULL)
            return &unknown;
        sl__conn_peer_get(c, a);
        m->peer_full = a;
    }
    return m->peer_full;
}

uint64_t sl_conn_id(const sl_conn *c)
{
    return c->id;
}

uint64_t sl_conn_bytes_in(const sl_conn *c)
{
    return c->bytes_in;
}

uint64_t sl_conn_bytes_out(const sl_conn *c)
{
    return c->bytes_out;
}

void sl_conn_log(sl_conn *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sl__server_say(c->srv, SL_EV_INFO, c, "%s", msg);
}

void sl__conn_fin(sl_conn *c)
{
    if (!c->shut_done && !c->in_eof)
        shutdown(c->fd, SHUT_WR);
    c->shut_done = true;
}

int sl__conn_peer_done(sl_conn *c, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    c->in_eof = true;
    if (svc->input_end != NULL && svc->input_end(c, c->state, err) < 0)
        return -1;
    if (!c->want_shut)
        sl_conn_finish(c);
    return 0;
}
