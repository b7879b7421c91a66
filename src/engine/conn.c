/* engine/conn.c: the per-connection record and the calls a service makes
 * on it, the same under every model. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "engine/engine.h"
#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

int sl__conn_init(sl_conn *c, sl_server *srv, int fd, const sl_addr *peer,
                  bool blocking, sl_err *err)
{
    const sl_service *svc = srv->cfg.service;
    memset(c, 0, sizeof(*c));
    c->srv = srv;
    c->fd = fd;
    c->peer = *peer;
    c->blocking = blocking;
    c->file_fd = -1;
    c->id = atomic_fetch_add(&srv->next_id, 1);
    c->started_ms = sl_now_ms();
    if (svc->state_size > 0) {
        c->state = calloc(1, svc->state_size);
        if (c->state == NULL)
            return sl__err_sys(err, "conn: calloc");
    }
    atomic_fetch_add(&srv->active, 1);
    if (svc->open != NULL && svc->open(c, c->state, srv->cfg.service_config, err) < 0) {
        atomic_fetch_sub(&srv->active, 1);
        free(c->state);
        c->state = NULL;
        return -1;
    }
    return 0;
}

void sl__conn_release(sl_conn *c, const sl_err *why)
{
    const sl_service *svc = c->srv->cfg.service;
    sl_event ev;
    if (svc->close != NULL)
        svc->close(c, c->state, why);
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_CLOSE;
    ev.conn_id = c->id;
    ev.peer = &c->peer;
    ev.bytes_in = c->bytes_in;
    ev.bytes_out = c->bytes_out;
    ev.duration_ms = sl_now_ms() - c->started_ms;
    ev.err = why;
    sl__server_emit(c->srv, &ev);
    free(c->state);
    c->state = NULL;
    free(c->out);
    c->out = NULL;
    atomic_fetch_sub(&c->srv->active, 1);
    sl__server_count(c->srv);
}

size_t sl_conn_room(const sl_conn *c)
{
    size_t limit = c->srv->cfg.out_limit;
    if (c->blocking)
        return SIZE_MAX;   /* blocking writes are their own back-pressure */
    return c->out_len >= limit ? 0 : limit - c->out_len;
}

int sl_conn_send(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    if (c->shut_done || c->want_shut)
        return sl__err(err, SL_EINPUT, EPIPE, "send after shutdown");
    return c->blocking ? sl__conn_send_blocking(c, data, len, err)
                       : sl__conn_send_event(c, data, len, err);
}

int sl_conn_send_file(sl_conn *c, int fd, off_t off, uint64_t len, sl_err *err)
{
    if (c->file_left > 0)
        return sl__err(err, SL_EINPUT, EBUSY, "send_file: a file is already queued");
    c->file_fd = fd;
    c->file_off = off;
    c->file_left = len;
    return c->blocking ? sl__conn_flush_file_blocking(c, err) : 0;
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

const sl_addr *sl_conn_peer(const sl_conn *c)
{
    return &c->peer;
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
