/* bench/conn.c: opening and closing the load engine's connections:
 * nonblocking connects spread over several source addresses, the result
 * of each connect, and the first echo that proves the connection works. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bench/bench_internal.h"
#include "net/err_internal.h"

/* Bind fd to source address src with the port left to connect(), so one
 * source address serves every destination (IP_BIND_ADDRESS_NO_PORT: the
 * port is picked with the whole 4-tuple known, not reserved at bind). */
static int bind_source(int fd, const sl_addr *src)
{
    int one = 1;
#ifdef IP_BIND_ADDRESS_NO_PORT
    if (src->u.sa.sa_family == AF_INET)
        (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#else
    (void)one;
#endif
    return bind(fd, &src->u.sa, src->len);
}

void sl__bench_open_failed(bench *b, bconn *c, const char *why, int code)
{
    char where[SL_ADDRSTRLEN];
    b->st->connect_errors++;
    if (b->first_error.kind == SL_OK) {
        sl_addr_format(&b->target, where, sizeof(where));
        sl__err(&b->first_error, SL_ESYS, code, "%s %s: %s", why, where, strerror(code));
    }
    sl__bench_close(b, c, true);
    sl__bench_unopened(b, c);
}

int sl__bench_open(bench *b, bconn *c)
{
    int fd, rc, e;
    fd = socket(b->target.u.sa.sa_family, b->socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->fd = -1;
        sl__bench_open_failed(b, c, "socket", errno);
        return -1;
    }
    c->fd = fd;
    c->open_ns = b->now;
    c->deadline_ns = b->now + (uint64_t)b->cfg->timeout_ms * 1000000u;
    c->out_off = c->in_off = c->msg_end = 0;
    b->st->opened++;
    if (b->nsrc > 0 && bind_source(fd, &b->src[c->id % (uint32_t)b->nsrc]) < 0) {
        sl__bench_open_failed(b, c, "bind source", errno);
        return -1;
    }
    do
        rc = connect(fd, &b->target.u.sa, b->target.len);
    while (rc < 0 && errno == EINTR);
    e = errno;
    if (rc < 0 && e != EINPROGRESS) {
        sl__bench_open_failed(b, c, "connect", e);
        return -1;
    }
    c->state = B_CONNECTING;
    c->want_write = true;
    if (sl_loop_add(b->loop, fd, SL_EV_READ | SL_EV_WRITE, c, NULL) < 0) {
        sl__bench_open_failed(b, c, "event loop add", errno);
        return -1;
    }
    if (rc == 0)            /* UDP, or a TCP connect that finished at once */
        sl__bench_connected(b, c);
    return 0;
}

/* True when fd's connect has completed. */
static bool peer_known(int fd)
{
    sl_addr peer;
    peer.len = sizeof(peer.u);
    return getpeername(fd, &peer.u.sa, &peer.len) == 0;
}

void sl__bench_connected(bench *b, bconn *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr != 0) {
        sl__bench_open_failed(b, c, "connect", soerr);
        return;
    }
    if (b->socktype == SOCK_STREAM && !peer_known(c->fd))
        return;   /* a stale wake-up from an earlier socket: still connecting */
    if (b->socktype == SOCK_STREAM) {
        int one = 1;   /* small messages must go out at once, not wait for ACKs */
        (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    sl__bench_want_write(b, c, false);
    if (b->cfg->mode == SL_BENCH_FILE) {
        c->state = B_BUSY;    /* start_ns: when this fetch was due (engine.c) */
        return;
    }
    c->state = b->cfg->mode == SL_BENCH_CONNECT ? B_BUSY : B_CHECKING;
    sl__bench_send_msg(b, c, b->cfg->mode == SL_BENCH_CONNECT ? c->start_ns : b->now);
}

void sl__bench_close(bench *b, bconn *c, bool dead)
{
    if (c->fd >= 0) {
        sl_loop_del(b->loop, c->fd);
        close(c->fd);
    }
    c->fd = -1;
    c->want_write = false;
    c->state = dead ? B_DEAD : B_FREE;
}

void sl__bench_want_write(bench *b, bconn *c, bool on)
{
    if (c->want_write == on)
        return;
    c->want_write = on;
    (void)sl_loop_mod(b->loop, c->fd, SL_EV_READ | (on ? SL_EV_WRITE : 0u), c, NULL);
}
