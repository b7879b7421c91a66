/* bench/traffic.c: moving and checking the load engine's bytes. Every
 * byte that comes back is compared with the byte that was sent; a stream
 * reads whenever it is readable, whatever it is writing, so a server that
 * blocks on its own writes can never deadlock it. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "bench/bench_internal.h"

/* The pattern bytes of c's stream from offset off (contiguous for up to
 * BENCH_CHUNK bytes). */
static const uint8_t *pat_at(const bench *b, const bconn *c, uint64_t off)
{
    return b->pattern + (c->base + off) % BENCH_PERIOD;
}

/* How far c's stream may be written now. */
static uint64_t out_target(const bench *b, const bconn *c)
{
    if (b->cfg->mode == SL_BENCH_BULK && c->state == B_BUSY)
        return c->in_off + b->cfg->inflight;
    return c->msg_end;
}

/* A socket error on c: a failed opening, or a reset during the run. */
static void conn_error(bench *b, bconn *c, int code)
{
    if (c->state == B_CONNECTING || c->state == B_CHECKING) {
        sl__bench_open_failed(b, c, c->state == B_CONNECTING ? "connect" : "first echo", code);
        return;
    }
    b->st->resets++;
    sl__bench_lost(b, c);
}

/* Write c's stream up to its target; wait for writability on EAGAIN. */
static void flush_out(bench *b, bconn *c)
{
    uint64_t target = out_target(b, c);
    size_t most = b->cfg->mode == SL_BENCH_BULK ? b->cfg->msg_size : BENCH_CHUNK;
    while (c->out_off < target) {
        uint64_t left = target - c->out_off;
        size_t len = left < most ? (size_t)left : most;
        ssize_t n;
        if (len > BENCH_CHUNK)
            len = BENCH_CHUNK;
        n = send(c->fd, pat_at(b, c, c->out_off), len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            sl__bench_want_write(b, c, true);
            return;
        }
        if (n < 0) {
            conn_error(b, c, errno);
            return;
        }
        c->out_off += (uint64_t)n;
        b->st->bytes_out += (uint64_t)n;
    }
    sl__bench_want_write(b, c, false);
}

/* Send one datagram: sequence, flow, then pattern bytes. */
static void send_datagram(bench *b, bconn *c)
{
    size_t size = b->cfg->msg_size;
    uint8_t *d = b->rbuf + BENCH_RBUF;   /* the send area after the read buffer */
    ssize_t n;
    c->seq++;
    memcpy(d, &c->seq, 4);
    memcpy(d + 4, &c->id, 4);
    memcpy(d + BENCH_UDP_HDR, b->pattern + (c->base + c->seq) % BENCH_PERIOD,
           size - BENCH_UDP_HDR);
    c->deadline_ns = b->now + (uint64_t)b->cfg->timeout_ms * 1000000u;
    do
        n = send(c->fd, d, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        b->st->bytes_out += (uint64_t)n;
    /* A datagram the kernel would not take is lost like one the network
     * dropped: the deadline counts it. */
}

void sl__bench_send_msg(bench *b, bconn *c, uint64_t start_ns)
{
    c->start_ns = start_ns;
    if (c->state != B_CHECKING)
        c->state = B_BUSY;
    if (b->socktype == SOCK_DGRAM) {
        send_datagram(b, c);
        return;
    }
    if (b->cfg->mode == SL_BENCH_BULK && c->state == B_BUSY) {
        flush_out(b, c);
        return;
    }
    c->msg_end = c->out_off + b->cfg->msg_size;
    flush_out(b, c);
}

/* Count the bytes of buf (len, at stream offset c->in_off) that differ
 * from what was sent; bytes beyond what was sent are all wrong. */
static uint64_t check_bytes(const bench *b, const bconn *c, const uint8_t *buf,
                            size_t len)
{
    uint64_t off = c->in_off, bad = 0;
    size_t done = 0;
    if (off + len > c->out_off) {
        uint64_t extra = off + len - c->out_off;
        bad += extra;
        len -= (size_t)extra;
    }
    while (done < len) {
        size_t n = len - done < BENCH_CHUNK ? len - done : BENCH_CHUNK;
        const uint8_t *p = pat_at(b, c, off + done);
        if (memcmp(buf + done, p, n) != 0) {
            for (size_t i = 0; i < n; i++)
                bad += buf[done + i] != p[i];
        }
        done += n;
    }
    return bad;
}

/* The peer ended its stream: the end of a file, a short echo, or a server
 * that dropped an idle connection. */
static void stream_eof(bench *b, bconn *c)
{
    if (b->cfg->mode == SL_BENCH_FILE && c->state == B_BUSY) {
        /* The seed's file client answers the half-close; so do we. */
        static const char thanks[] = "Thank you\n";
        (void)send(c->fd, thanks, sizeof(thanks) - 1, MSG_NOSIGNAL);
        sl__bench_done(b, c);
        return;
    }
    if (c->state == B_CHECKING) {
        sl__bench_open_failed(b, c, "first echo (the server closed)", ECONNRESET);
        return;
    }
    if (c->in_off < c->out_off)
        b->st->short_reads++;
    else
        b->st->resets++;
    sl__bench_lost(b, c);
}

/* One read on a stream: check it, then finish the message or refill. */
static void read_stream(bench *b, bconn *c)
{
    ssize_t n = recv(c->fd, b->rbuf, BENCH_RBUF, 0);
    uint64_t bad;
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_error(b, c, errno);
        return;
    }
    if (n == 0) {
        stream_eof(b, c);
        return;
    }
    b->st->bytes_in += (uint64_t)n;
    if (b->cfg->mode != SL_BENCH_FILE) {
        bad = check_bytes(b, c, b->rbuf, (size_t)n);
        if (bad > 0) {
            b->st->mismatches++;
            b->st->mismatched_bytes += bad;
        }
    }
    c->in_off += (uint64_t)n;
    if (b->cfg->mode == SL_BENCH_BULK && c->state == B_BUSY) {
        if (!c->want_write)
            flush_out(b, c);
        return;
    }
    if ((c->state == B_BUSY || c->state == B_CHECKING) && b->cfg->mode != SL_BENCH_FILE
        && c->in_off >= c->msg_end)
        sl__bench_done(b, c);
}

/* One datagram: the echo of the outstanding one, a late one, or junk. */
static void read_datagram(bench *b, bconn *c)
{
    size_t size = b->cfg->msg_size;
    uint32_t seq, id;
    ssize_t n = recv(c->fd, b->rbuf, BENCH_RBUF, MSG_TRUNC);
    if (n < 0) {
        if (errno == ECONNREFUSED && c->state == B_CHECKING)
            sl__bench_open_failed(b, c, "first echo", errno);
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            b->st->resets++;   /* e.g. ICMP port unreachable; the flow goes on */
        return;
    }
    b->st->bytes_in += (uint64_t)n;
    if ((size_t)n < BENCH_UDP_HDR) {
        b->st->short_reads++;
        return;
    }
    memcpy(&seq, b->rbuf, 4);
    memcpy(&id, b->rbuf + 4, 4);
    if (id == c->id && (seq != c->seq || (c->state != B_BUSY && c->state != B_CHECKING))) {
        b->st->late++;
        return;
    }
    if (id != c->id || (size_t)n != size
        || memcmp(b->rbuf + BENCH_UDP_HDR, b->pattern + (c->base + seq) % BENCH_PERIOD,
                  size - BENCH_UDP_HDR) != 0) {
        b->st->mismatches++;
        b->st->mismatched_bytes += (size_t)n > size ? (size_t)n - size : 1;
    }
    sl__bench_done(b, c);
}

void sl__bench_ready(bench *b, bconn *c, unsigned events)
{
    int fd = c->fd;
    if (c->state == B_CONNECTING) {
        if (events & (SL_EV_WRITE | SL_EV_ERROR))
            sl__bench_connected(b, c);
        return;
    }
    if (fd < 0 || c->state == B_FREE || c->state == B_DEAD)
        return;   /* closed earlier in this batch of events */
    if (events & (SL_EV_READ | SL_EV_ERROR)) {
        if (b->socktype == SOCK_DGRAM)
            read_datagram(b, c);
        else
            read_stream(b, c);
    }
    /* The read may have ended c, or ended it and opened a new socket. */
    if (c->fd == fd && c->state != B_CONNECTING && c->state != B_FREE
        && c->state != B_DEAD && (events & SL_EV_WRITE) && c->want_write)
        flush_out(b, c);
}
