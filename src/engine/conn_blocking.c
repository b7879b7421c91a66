/* engine/conn_blocking.c: the one-connection driver: one connection per
 * thread of control (the iterative, fork and threads models).
 *
 * Threads share a process, so a stop cannot be aimed at one of them: the
 * socket is nonblocking and the driver waits in poll() on the client and
 * the server's stop pipe together, so a stop is never lost between two
 * calls (a flag checked before a blocking read would race with it), and
 * the idle timeout is the poll timeout. A read that left the queue empty
 * waits before the next read, so a request-response client costs poll,
 * recv and send per message.
 *
 * A fork child serves its one client alone in its process, so there the
 * socket blocks and recv() is the wait: recv and send per message, as the
 * book's server does. A stop arrives as SIGTERM, which the fork model's
 * parent sends to every child and sends again until each has ended, so a
 * signal that lands between the flag check and recv() only delays the
 * stop by one round; the idle timeout is SO_RCVTIMEO and SO_SNDTIMEO. */
#include <errno.h>
#include <poll.h>
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

#define STOP_CHECK 32

enum { WAIT_READY = 1, WAIT_TIMEOUT = 0, WAIT_STOP = -2, WAIT_ERROR = -1 };

/* True when the client's socket blocks: a fork child's (see the top). */
static bool blocks(const sl_server *srv)
{
    return srv->forked_child;
}

/* Wait until the client is ready for events, the idle timeout passes or
 * the server stops. */
static int wait_io(const sl_conn *c, short events, sl_err *err)
{
    struct pollfd p[2] = {
        { .fd = c->fd, .events = events, .revents = 0 },
        { .fd = c->srv->stop_pipe[0], .events = POLLIN, .revents = 0 },
    };
    int idle = c->srv->cfg.idle_timeout_ms > 0 ? c->srv->cfg.idle_timeout_ms : -1;
    for (;;) {
        int rc = poll(p, 2, idle);
        if (rc < 0 && errno == EINTR && sl__server_stopping(c->srv))
            return WAIT_STOP;   /* a forked child's own signal sets only the flag */
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return sl__err_sys(err, "poll");
        if (rc == 0)
            return WAIT_TIMEOUT;
        if (p[0].revents != 0)
            return WAIT_READY;
        return WAIT_STOP;
    }
}

/* After a call on the client failed with e (EAGAIN or EINTR): what now.
 * On a blocking socket EAGAIN means the SO_*TIMEO idle timeout passed and
 * EINTR a signal, the stop's or another's; on a nonblocking one, wait. */
static int blocked(const sl_conn *c, short events, int e, sl_err *err)
{
    if (sl__server_stopping(c->srv))
        return WAIT_STOP;
    if (e == EINTR)
        return WAIT_READY;
    if (blocks(c->srv))
        return WAIT_TIMEOUT;
    return wait_io(c, events, err);
}

/* Turn a wait result that is not READY into an error record. */
static int wait_error(const sl_conn *c, int rc, const char *what, sl_err *err)
{
    if (rc == WAIT_TIMEOUT)
        return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT, "%s: idle for %d ms", what,
                       c->srv->cfg.idle_timeout_ms);
    if (rc == WAIT_STOP)
        return sl__err(err, SL_ESYS, ECANCELED, "%s: server stopping", what);
    return -1;
}

/* Error record for a failed transfer. */
static int io_error(const char *what, sl_err *err)
{
    if (errno == ECONNRESET || errno == EPIPE)
        return sl__err(err, SL_EPEER, errno, "%s: connection reset by peer", what);
    return sl__err_sys(err, "%s", what);
}

int sl__conn_send_blocking(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = blocked(c, POLLOUT, errno, err);
            if (rc != WAIT_READY)
                return wait_error(c, rc, "send", err);
            continue;
        }
        if (n < 0)
            return io_error("send", err);
        p += n;
        len -= (size_t)n;
        c->bytes_out += (uint64_t)n;
    }
    return 0;
}

int sl__conn_send_file_blocking(sl_conn *c, int fd, off_t off, uint64_t len,
                                sl_err *err)
{
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
        ssize_t n = sendfile(c->fd, fd, &off, chunk);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = blocked(c, POLLOUT, errno, err);
            if (rc != WAIT_READY)
                return wait_error(c, rc, "sendfile", err);
            continue;
        }
        if (n < 0)
            return io_error("sendfile", err);
        if (n == 0)
            return sl__err(err, SL_ESYS, EIO, "sendfile: the file ended %llu bytes early",
                           (unsigned long long)len);
        len -= (uint64_t)n;
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
    c->sent = false;
    if (svc->drained != NULL)
        return svc->drained(c, c->state, err);
    return 0;
}

/* After open: whatever the service sent is written; say so. */
static int opened(sl_conn *c, sl_err *err)
{
    const sl_service *svc = c->srv->cfg.service;
    if (!c->sent || svc->drained == NULL)
        return 0;
    c->sent = false;
    return svc->drained(c, c->state, err);
}

/* One read and what follows from it; with *wait_first (nonblocking
 * sockets only), wait for input before reading. A read that leaves the
 * queue empty (less than cap came) sets *wait_first; a stream that fills
 * the buffer reads on without waiting. Returns 1 to go on, 0 when the
 * server stops, -1 on error. */
static int read_once(sl_conn *c, uint8_t *buf, size_t cap, bool *wait_first, sl_err *err)
{
    ssize_t n;
    if (*wait_first && !blocks(c->srv)) {
        int rc = wait_io(c, POLLIN, err);
        if (rc != WAIT_READY)
            return rc == WAIT_STOP ? 0 : wait_error(c, rc, "recv", err);
    }
    n = recv(c->fd, buf, cap, 0);
    *wait_first = n < 0 ? errno == EAGAIN : (size_t)n < cap;
    if (n < 0 && errno == EAGAIN && !blocks(c->srv))
        return 1;    /* the next read waits first, watching the stop pipe too */
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        int rc = blocked(c, POLLIN, errno, err);
        if (rc == WAIT_STOP)
            return 0;
        return rc == WAIT_READY ? 1 : wait_error(c, rc, "recv", err);
    }
    if (n < 0)
        return io_error("recv", err);
    if (n == 0)
        return sl__conn_peer_done(c, err) < 0 ? -1 : 1;
    c->bytes_in += (uint64_t)n;
    return feed(c, buf, (size_t)n, err) < 0 ? -1 : 1;
}

/* True when the server stops. A busy client keeps reads from ever waiting
 * (where the stop pipe is watched too), so it is looked at every
 * STOP_CHECK reads that did not wait. */
static bool stop_seen(const sl_conn *c, bool waits, unsigned *reads)
{
    struct pollfd p = { .fd = c->srv->stop_pipe[0], .events = POLLIN, .revents = 0 };
    if (sl__server_stopping(c->srv))
        return true;
    if (waits || ++*reads % STOP_CHECK != 0)
        return false;
    return poll(&p, 1, 0) == 1;
}

/* Read and serve until the service and the peer are both done. */
static int serve_loop(sl_conn *c, sl_err *err)
{
    uint8_t buf[SL_IO_CHUNK];
    unsigned reads = 0;
    bool wait_first = false;
    while (!c->finishing && !(c->want_shut && c->in_eof)) {
        int rc;
        if (stop_seen(c, wait_first, &reads))
            return 0;
        if (c->want_shut)
            sl__conn_fin(c);
        rc = read_once(c, buf, sizeof(buf), &wait_first, err);
        if (rc <= 0)
            return rc;
    }
    return 0;
}

/* Half-close, then read and discard until the peer's EOF for at most the
 * close bound, so close() never discards unread input (which sends RST). */
static void close_gracefully(sl_conn *c)
{
    uint8_t buf[4096];
    long long deadline = sl_now_ms() + c->srv->cfg.close_timeout_ms;
    sl__conn_fin(c);
    while (!c->in_eof) {
        long long left = deadline - sl_now_ms();
        ssize_t n;
        if (left <= 0 || sl_wait_fd(c->fd, POLLIN, (int)left, NULL) != 1)
            break;
        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0)
            c->in_eof = true;
        else if (n < 0 && errno != EINTR && errno != EAGAIN)
            break;
    }
}

/* Put the client's socket in the mode the driver uses for it; a blocking
 * one gets the idle timeout as SO_RCVTIMEO and SO_SNDTIMEO. */
static int set_mode(const sl_server *srv, int fd, sl_err *err)
{
    int idle = srv->cfg.idle_timeout_ms;
    struct timeval tv = { .tv_sec = idle / 1000, .tv_usec = (idle % 1000) * 1000 };
    if (sl_set_nonblock(fd, !blocks(srv), err) < 0)
        return -1;
    if (!blocks(srv) || idle <= 0)
        return 0;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
        return sl__err_sys(err, "setsockopt SO_RCVTIMEO/SO_SNDTIMEO");
    return 0;
}

void sl__conn_serve_blocking(sl_server *srv, int fd, const sl_addr *peer)
{
    sl_conn c;
    sl_err err;
    int rc;

    sl_err_clear(&err);
    if (set_mode(srv, fd, &err) < 0 || sl__conn_init(&c, srv, fd, peer, true, &err) < 0) {
        sl__server_say(srv, SL_EV_WARN, NULL, "%s", err.msg);
        sl_close(fd);
        return;
    }
    sl__conn_emit_open(&c);
    rc = opened(&c, &err);
    if (rc == 0)
        rc = serve_loop(&c, &err);
    if (rc == 0 || err.kind != SL_EPEER)
        close_gracefully(&c);
    sl_close(fd);
    sl__conn_release(&c, rc < 0 ? &err : NULL);
}
