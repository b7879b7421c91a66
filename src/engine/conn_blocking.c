/* engine/conn_blocking.c: the blocking connection driver, one connection
 * per thread of control (iterative, fork and threads models). Reads block
 * on the socket; a signal that stops the server interrupts them (the
 * command line installs its handlers without SA_RESTART), and the idle
 * timeout is SO_RCVTIMEO/SO_SNDTIMEO. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

/* Set both socket timeouts to ms (0: none). */
static void set_timeouts(int fd, int ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Error for a transfer that failed with errno: idle timeout, stop, or the
 * system's reason. */
static int io_error(const sl_conn *c, const char *what, sl_err *err)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT, "%s: idle for %d ms", what,
                       c->srv->cfg.idle_timeout_ms);
    if (errno == EINTR)
        return sl__err(err, SL_ESYS, EINTR, "%s: server stopping", what);
    if (errno == ECONNRESET || errno == EPIPE)
        return sl__err(err, SL_EPEER, errno, "%s: connection reset by peer", what);
    return sl__err_sys(err, "%s", what);
}

int sl__conn_send_blocking(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR && !sl__server_stopping(c->srv))
            continue;
        if (n < 0)
            return io_error(c, "send", err);
        p += n;
        len -= (size_t)n;
        c->bytes_out += (uint64_t)n;
    }
    return 0;
}

int sl__conn_flush_file_blocking(sl_conn *c, sl_err *err)
{
    while (c->file_left > 0) {
        size_t chunk = c->file_left > (1u << 30) ? (1u << 30) : (size_t)c->file_left;
        ssize_t n = sendfile(c->fd, c->file_fd, &c->file_off, chunk);
        if (n < 0 && errno == EINTR && !sl__server_stopping(c->srv))
            continue;
        if (n < 0)
            return io_error(c, "sendfile", err);
        if (n == 0)
            return sl__err(err, SL_ESYS, EIO, "sendfile: the file ended %llu bytes early",
                           (unsigned long long)c->file_left);
        c->file_left -= (uint64_t)n;
        c->bytes_out += (uint64_t)n;
    }
    return 0;
}

/* Give len bytes to the service until all are consumed. */
static int feed(sl_conn *c, const uint8_t *buf, size_t len, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    while (len > 0) {
        ssize_t used = svc->input(c, c->state, buf, len, err);
        if (used < 0)
            return -1;
        if (used == 0)
            return sl__err(err, SL_EINPUT, EPROTO, "service %s took no input", svc->name);
        buf += used;
        len -= (size_t)used;
    }
    if (svc->drained != NULL)
        return svc->drained(c, c->state, err);
    return 0;
}

/* The peer's FIN arrived: tell the service; if it asks for nothing, end. */
static int peer_done(sl_conn *c, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    c->in_eof = true;
    if (svc->input_end != NULL && svc->input_end(c, c->state, err) < 0)
        return -1;
    if (!c->want_shut)
        sl_conn_finish(c);
    return 0;
}

/* Read and serve until the service and the peer are both done. */
static int serve_loop(sl_conn *c, sl_err *err)
{
    uint8_t buf[SL_IO_CHUNK];
    while (!c->finishing && !(c->want_shut && c->in_eof)) {
        ssize_t n;
        if (c->want_shut && !c->shut_done) {
            shutdown(c->fd, SHUT_WR);
            c->shut_done = true;
        }
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR && !sl__server_stopping(c->srv))
            continue;
        if (n < 0 && errno == EINTR)
            return 0;     /* stopping: end gracefully below */
        if (n < 0)
            return io_error(c, "recv", err);
        if (n == 0) {
            if (peer_done(c, err) < 0)
                return -1;
            continue;
        }
        c->bytes_in += (uint64_t)n;
        if (feed(c, buf, (size_t)n, err) < 0)
            return -1;
    }
    return 0;
}

/* Half-close, then read and discard until the peer's EOF for at most the
 * close bound, so close() never discards unread input (which sends RST). */
static void close_gracefully(sl_conn *c)
{
    uint8_t buf[4096];
    long long deadline = sl_now_ms() + c->srv->cfg.close_timeout_ms;
    if (!c->shut_done)
        shutdown(c->fd, SHUT_WR);
    c->shut_done = true;
    while (!c->in_eof) {
        long long left = deadline - sl_now_ms();
        ssize_t n;
        if (left <= 0)
            break;
        set_timeouts(c->fd, (int)left);
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0)
            c->in_eof = true;
        else if (n < 0 && errno != EINTR)
            break;
    }
}

void sl__conn_serve_blocking(sl_server *srv, int fd, const sl_addr *peer)
{
    sl_conn c;
    sl_err err;
    sl_event ev;
    int rc;

    sl_err_clear(&err);
    if (sl__conn_init(&c, srv, fd, peer, true, &err) < 0) {
        sl__server_say(srv, SL_EV_WARN, NULL, "%s", err.msg);
        sl_close(fd);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_OPEN;
    ev.conn_id = c.id;
    ev.peer = &c.peer;
    sl__server_emit(srv, &ev);
    if (srv->cfg.idle_timeout_ms > 0)
        set_timeouts(fd, srv->cfg.idle_timeout_ms);
    rc = serve_loop(&c, &err);
    if (rc == 0 || err.kind != SL_EPEER)
        close_gracefully(&c);
    sl_close(fd);
    sl__conn_release(&c, rc < 0 ? &err : NULL);
}
