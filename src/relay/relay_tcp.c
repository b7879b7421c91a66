/* relay/relay_tcp.c: TCP connection pairs. Each accepted client gets a
 * nonblocking connection to the target and two directions (up: client to
 * target, down: target to client). A direction reads into a bounded buffer
 * (no reading while it is full: the slow side throttles the fast one),
 * stamps each chunk with its release time (delay, jitter), and writes what
 * is released, as fast as the rate limit and a stall allow. A FIN read on
 * one side is passed on as shutdown(SHUT_WR) once the buffer has drained;
 * the pair is closed when both directions are done. A reset on one side is
 * passed on as a reset (SO_LINGER 0) on the other. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>

#include "relay/relay_internal.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define RELAY_BUF_FIRST (16 * 1024)
#define RELAY_ROUNDS 16            /* reads/writes per wake: others get a turn */
#define NEVER (-1LL)

struct relay_pair {
    sl_relay *r;
    uint64_t id;
    sl_addr peer;
    int cfd, tfd;                  /* client and target sockets */
    bool connecting;               /* the target's connect is in progress */
    bool draining;                 /* cut with FIN: discard input until EOFs */
    bool c_eof, t_eof;             /* draining: EOF seen from each side */
    long long started_ms, deadline; /* connect or drain deadline */
    relay_dir up, down;
    unsigned cev, tev;             /* what each socket is watched for */
    long long wake;                /* next timer, NEVER for none */
    relay_pair *prev, *next;
};

/* ---- one direction ---------------------------------------------------- */

static bool cut_reached_in(const sl_relay *r, const relay_dir *d)
{
    return d->faulty && r->cfg.faults.cut && d->in >= r->cfg.faults.cut_after;
}

/* Make room at the end of d's buffer (compact, grow up to the bound).
 * Returns the bytes that may be read now. */
static size_t dir_room(relay_dir *d, size_t limit)
{
    if (d->len >= limit)
        return 0;
    if (d->off > 0 && d->off + d->len == d->cap) {
        memmove(d->buf, d->buf + d->off, d->len);
        d->off = 0;
    }
    if (d->off + d->len == d->cap && d->cap < limit) {
        size_t cap = d->cap == 0 ? RELAY_BUF_FIRST : d->cap * 2;
        uint8_t *nb;
        if (cap > limit)
            cap = limit;
        nb = realloc(d->buf, cap);
        if (nb == NULL)
            return 0;      /* no memory now: read later, when some drained */
        d->buf = nb;
        d->cap = cap;
    }
    return d->cap - d->off - d->len;
}

/* Record that bytes up to d->in were read now: release time stamped. */
static void dir_stamp(sl_relay *r, relay_dir *d, long long now)
{
    long long at = now;
    relay_seg *last = NULL;
    if (d->faulty && (r->cfg.faults.delay_ms > 0 || r->cfg.faults.jitter_ms > 0)) {
        at = now + r->cfg.faults.delay_ms + sl__relay_jitter(r);
        r->stats.delayed++;
    }
    if (d->seg_n > 0)
        last = &d->seg[(d->seg_head + d->seg_n - 1) % RELAY_SEGS];
    if (last != NULL && at < last->at)
        at = last->at;     /* a stream keeps its order whatever the jitter */
    if (at <= now && d->seg_n == 0) {
        d->released = d->in;
        return;
    }
    if (last != NULL && last->at == at) {
        last->end = d->in;
        return;
    }
    d->seg[(d->seg_head + d->seg_n) % RELAY_SEGS] = (relay_seg){ d->in, at };
    d->seg_n++;
}

/* Invert the byte at the flip offset if it is among the n bytes just read. */
static void dir_flip(relay_pair *p, relay_dir *d, uint8_t *data, size_t n)
{
    const sl_relay_faults *f = &p->r->cfg.faults;
    if (!d->faulty || !f->flip || f->flip_at < d->in || f->flip_at >= d->in + n)
        return;
    data[f->flip_at - d->in] ^= 0xff;
    p->r->stats.flips++;
    sl__relay_say(p->r, SL_EV_INFO, p->id, &p->peer, "flipped the byte at offset %llu %s",
                  (unsigned long long)f->flip_at, d == &p->up ? "up" : "down");
}

/* One read from d->from. Returns 1 on progress, 0 for none, -1 on error. */
static int dir_read(relay_pair *p, relay_dir *d, long long now, sl_err *err)
{
    const sl_relay_faults *f = &p->r->cfg.faults;
    size_t room;
    ssize_t n;
    if (d->eof || d->seg_n == RELAY_SEGS || cut_reached_in(p->r, d))
        return 0;
    room = dir_room(d, p->r->cfg.buffer);
    if (room == 0)
        return 0;
    if (d->faulty && f->cut && f->cut_after - d->in < room)
        room = (size_t)(f->cut_after - d->in);   /* never read past the cut */
    do
        n = recv(d->from, d->buf + d->off + d->len, room, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n < 0)
        return sl__err_sys(err, "recv from the %s", d == &p->up ? "client" : "target");
    if (n == 0) {
        d->eof = true;
        return 1;
    }
    dir_flip(p, d, d->buf + d->off + d->len, (size_t)n);
    d->in += (uint64_t)n;
    d->len += (size_t)n;
    dir_stamp(p->r, d, now);
    return 1;
}

/* Move the chunks whose time has come to the released part. */
static void dir_release(relay_dir *d, long long now)
{
    while (d->seg_n > 0 && d->seg[d->seg_head].at <= now) {
        d->released = d->seg[d->seg_head].end;
        d->seg_head = (d->seg_head + 1) % RELAY_SEGS;
        d->seg_n--;
    }
}

/* The stall: bytes up to stall_after go, then nothing for stall_ms. */
static uint64_t dir_stall(relay_pair *p, relay_dir *d, long long now, uint64_t can)
{
    const sl_relay_faults *f = &p->r->cfg.faults;
    if (!d->faulty || !f->stall)
        return can;
    if (!d->stalled && d->out < f->stall_after)
        return can < f->stall_after - d->out ? can : f->stall_after - d->out;
    if (!d->stalled) {
        d->stalled = true;
        d->stall_until = now + f->stall_ms;
        p->r->stats.stalls++;
        sl__relay_say(p->r, SL_EV_INFO, p->id, &p->peer, "stalled %s after %llu bytes for %d ms",
                      d == &p->up ? "up" : "down", (unsigned long long)d->out, f->stall_ms);
    }
    return now < d->stall_until ? 0 : can;
}

/* The rate limit: a token bucket refilled at rate bytes/s, holding at most
 * a twentieth of a second's worth (so bursts stay short). */
static uint64_t burst_of(uint64_t rate)
{
    return rate / 20 > 0 ? rate / 20 : 1;
}

static uint64_t dir_rate(const sl_relay *r, relay_dir *d, long long now, uint64_t can)
{
    uint64_t rate = r->cfg.faults.rate, burst = burst_of(rate);
    if (!d->faulty || rate == 0)
        return can;
    if (now > d->tokens_ms) {
        d->tokens += (double)(now - d->tokens_ms) * (double)rate / 1000.0;
        d->tokens_ms = now;
    }
    if (d->tokens > (double)burst)
        d->tokens = (double)burst;
    return (double)can < d->tokens ? can : (uint64_t)d->tokens;
}

/* Write what may go now. Returns 1 on progress, 0 for none, -1 on error. */
static int dir_write(relay_pair *p, relay_dir *d, long long now, sl_err *err)
{
    uint64_t can;
    ssize_t n;
    dir_release(d, now);
    can = dir_rate(p->r, d, now, dir_stall(p, d, now, d->released - d->out));
    if (can == 0)
        return 0;
    do
        n = send(d->to, d->buf + d->off, (size_t)can, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        d->blocked = true;
        return 0;
    }
    if (n < 0)
        return sl__err_sys(err, "send to the %s", d == &p->up ? "target" : "client");
    d->blocked = (uint64_t)n < can;
    d->out += (uint64_t)n;
    d->off += (size_t)n;
    d->len -= (size_t)n;
    if (d->len == 0)
        d->off = 0;
    d->tokens -= (double)n;
    if (d == &p->up)
        p->r->stats.bytes_up += (uint64_t)n;
    else
        p->r->stats.bytes_down += (uint64_t)n;
    return 1;
}

/* When d's input ended and everything was written, pass the FIN on. */
static void dir_pass_fin(relay_dir *d)
{
    if (d->eof && d->len == 0 && !d->shut) {
        shutdown(d->to, SHUT_WR);
        d->shut = true;
        free(d->buf);
        d->buf = NULL;
        d->cap = d->off = 0;
    }
}

/* The next time d needs a wake-up that no descriptor event will bring. */
static long long dir_wake(const sl_relay *r, const relay_dir *d, long long now)
{
    long long t = NEVER;
    if (d->blocked)
        return NEVER;
    if (d->seg_n > 0)
        t = d->seg[d->seg_head].at;
    if (d->released > d->out) {
        long long w = NEVER;
        if (d->stalled && d->stall_until > now)
            w = d->stall_until;
        else if (d->faulty && r->cfg.faults.rate > 0) {
            uint64_t want = d->released - d->out, burst = burst_of(r->cfg.faults.rate);
            double need = (double)(want < burst ? want : burst) - d->tokens;
            w = now + 1 + (long long)(need > 0 ? need * 1000.0 / (double)r->cfg.faults.rate : 0);
        }
        if (w != NEVER && (t == NEVER || w < t))
            t = w;
    }
    return t;
}

static bool dir_wants_input(const sl_relay *r, const relay_dir *d)
{
    return !d->eof && d->seg_n < RELAY_SEGS && d->len < r->cfg.buffer &&
           !cut_reached_in(r, d);
}

/* ---- a pair ------------------------------------------------------------ */

static void dir_init(relay_dir *d, int from, int to, bool faulty)
{
    memset(d, 0, sizeof(*d));
    d->from = from;
    d->to = to;
    d->faulty = faulty;
}

/* Make both sockets send RST when closed. */
static void set_reset(int fd)
{
    struct linger lg = { 1, 0 };
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Close both sockets, report, and move p to the dead list (freed after the
 * round, as the round may still hold events for it). */
static void pair_close(relay_pair *p, const sl_err *why)
{
    sl_relay *r = p->r;
    sl_event ev;
    sl_loop_del(r->loop, p->cfd);
    sl_close(p->cfd);
    if (p->tfd >= 0) {
        sl_loop_del(r->loop, p->tfd);
        sl_close(p->tfd);
    }
    p->cfd = p->tfd = -1;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_CLOSE;
    ev.conn_id = p->id;
    ev.peer = &p->peer;
    ev.bytes_in = p->up.out;
    ev.bytes_out = p->down.out;
    ev.duration_ms = sl_now_ms() - p->started_ms;
    ev.err = why;
    sl__relay_emit(r, &ev);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        r->pairs = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->next = r->dead;
    p->prev = NULL;
    r->dead = p;
    r->active--;
}

/* A socket error on one side: reset the other too, as the peer would see. */
static void pair_abort(relay_pair *p, const sl_err *why)
{
    set_reset(p->cfd);
    set_reset(p->tfd);
    p->r->stats.resets++;
    pair_close(p, why);
}

/* The cut fault: RST both ways, or FIN both ways and drain until EOFs. */
static void pair_cut(relay_pair *p, const relay_dir *d, long long now)
{
    sl_relay *r = p->r;
    r->stats.cuts++;
    sl__relay_say(r, SL_EV_INFO, p->id, &p->peer, "cut %s after %llu bytes with %s",
                  d == &p->up ? "up" : "down", (unsigned long long)d->out,
                  r->cfg.faults.cut_rst ? "RST" : "FIN");
    if (r->cfg.faults.cut_rst) {
        set_reset(p->cfd);
        set_reset(p->tfd);
        pair_close(p, NULL);
        return;
    }
    shutdown(p->cfd, SHUT_WR);
    shutdown(p->tfd, SHUT_WR);
    p->draining = true;
    p->c_eof = p->up.eof;
    p->t_eof = p->down.eof;
    p->deadline = now + r->cfg.close_timeout_ms;
}

/* Read and discard from fd; true once its EOF (or an error) is seen. */
static bool drain_one(int fd)
{
    uint8_t scrap[16384];
    for (int i = 0; i < RELAY_ROUNDS; i++) {
        ssize_t n = recv(fd, scrap, sizeof(scrap), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
    return false;
}

static int watch(sl_relay *r, int fd, unsigned *have, unsigned want, void *data)
{
    if (*have == want)
        return 0;
    *have = want;
    return sl_loop_mod(r->loop, fd, want, data, NULL);
}

/* Register what each socket must be watched for, and the next timer. */
static int pair_watch(relay_pair *p, long long now)
{
    sl_relay *r = p->r;
    unsigned c = 0, t = 0;
    long long w1, w2;
    if (p->connecting) {
        t = SL_EV_WRITE;
        p->wake = p->deadline;
    } else if (p->draining) {
        c = p->c_eof ? 0 : SL_EV_READ;
        t = p->t_eof ? 0 : SL_EV_READ;
        p->wake = p->deadline;
    } else {
        c = (dir_wants_input(r, &p->up) ? SL_EV_READ : 0) |
            (p->down.blocked ? SL_EV_WRITE : 0);
        t = (dir_wants_input(r, &p->down) ? SL_EV_READ : 0) |
            (p->up.blocked ? SL_EV_WRITE : 0);
        w1 = dir_wake(r, &p->up, now);
        w2 = dir_wake(r, &p->down, now);
        p->wake = w1 == NEVER ? w2 : (w2 == NEVER || w1 < w2) ? w1 : w2;
    }
    if (watch(r, p->cfd, &p->cev, c, p) < 0 || watch(r, p->tfd, &p->tev, t, p) < 0)
        return -1;
    return 0;
}

/* The target's connect finished (or failed, or timed out). Returns 1 when
 * connected, 0 while in progress, -1 on failure (err filled). */
static int pair_connected(relay_pair *p, long long now, sl_err *err)
{
    char where[SL_ADDRSTRLEN];
    int soerr = 0, rc;
    socklen_t len = sizeof(soerr);
    sl_addr_format(&p->r->target, where, sizeof(where));
    rc = sl_wait_fd(p->tfd, POLLOUT, 0, err);
    if (rc < 0)
        return -1;
    if (rc == 0 && now < p->deadline)
        return 0;
    if (rc == 0)
        return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT, "connect %s: timed out after %d ms",
                       where, p->r->cfg.connect_timeout_ms);
    if (getsockopt(p->tfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return sl__err_sys(err, "getsockopt SO_ERROR");
    if (soerr != 0) {
        errno = soerr;
        return sl__err_sys(err, "connect %s", where);
    }
    p->connecting = false;
    return 1;
}

/* Move both directions as far as they go now. Returns -1 on a socket error. */
static int pair_move(relay_pair *p, long long now, sl_err *err)
{
    const sl_relay_faults *f = &p->r->cfg.faults;
    relay_dir *dirs[2] = { &p->up, &p->down };
    for (int round = 0; round < RELAY_ROUNDS; round++) {
        int progress = 0, rc;
        for (int i = 0; i < 2; i++) {
            relay_dir *d = dirs[i];
            if ((rc = dir_read(p, d, now, err)) < 0)
                return -1;
            progress |= rc;
            if ((rc = dir_write(p, d, now, err)) < 0)
                return -1;
            progress |= rc;
            if (d->faulty && f->cut && d->out >= f->cut_after) {
                pair_cut(p, d, now);
                return 0;
            }
            dir_pass_fin(d);
        }
        if (!progress)
            break;
    }
    return 0;
}

/* Serve p after an event or a timer. */
static void pair_pump(relay_pair *p, long long now)
{
    sl_err err;
    int rc;
    sl_err_clear(&err);
    if (p->connecting && (rc = pair_connected(p, now, &err)) <= 0) {
        if (rc < 0) {
            set_reset(p->cfd);      /* the client learns as it would directly */
            pair_close(p, &err);
        }
        return;
    }
    if (p->draining) {
        if (!p->c_eof)
            p->c_eof = drain_one(p->cfd);
        if (!p->t_eof)
            p->t_eof = drain_one(p->tfd);
        if ((p->c_eof && p->t_eof) || now >= p->deadline)
            pair_close(p, NULL);
        else
            pair_watch(p, now);
        return;
    }
    if (pair_move(p, now, &err) < 0) {
        pair_abort(p, &err);
        return;
    }
    if (!p->draining && p->up.shut && p->down.shut)
        pair_close(p, NULL);
    else if (pair_watch(p, now) < 0)
        pair_abort(p, NULL);
}

void sl__relay_tcp_ready(sl_relay *r, relay_pair *p)
{
    (void)r;
    if (p->cfd >= 0)
        pair_pump(p, sl_now_ms());
}

/* A new pair for the accepted client fd: linked into the relay, counted,
 * announced. NULL (fd closed) when out of memory. */
static relay_pair *pair_new(sl_relay *r, int fd, const sl_addr *peer)
{
    const sl_relay_faults *f = &r->cfg.faults;
    relay_pair *p = calloc(1, sizeof(*p));
    sl_event ev;
    if (p == NULL) {
        sl__relay_say(r, SL_EV_WARN, 0, peer, "relay: out of memory: client closed");
        sl_close(fd);
        return NULL;
    }
    p->r = r;
    p->id = r->next_id++;
    p->peer = *peer;
    p->cfd = fd;
    p->started_ms = sl_now_ms();
    p->deadline = p->started_ms + r->cfg.connect_timeout_ms;
    p->tfd = socket(r->target.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    r->target_protocol);
    dir_init(&p->up, p->cfd, p->tfd, (f->dirs & SL_RELAY_UP) != 0);
    dir_init(&p->down, p->tfd, p->cfd, (f->dirs & SL_RELAY_DOWN) != 0);
    p->next = r->pairs;
    if (r->pairs != NULL)
        r->pairs->prev = p;
    r->pairs = p;
    r->active++;
    r->stats.clients++;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SL_EV_OPEN;
    ev.conn_id = p->id;
    ev.peer = &p->peer;
    sl__relay_emit(r, &ev);
    return p;
}

/* Start relaying client fd: connect to the target without blocking. */
static void pair_open(sl_relay *r, int fd, const sl_addr *peer)
{
    relay_pair *p = pair_new(r, fd, peer);
    sl_err err;
    int rc;
    if (p == NULL)
        return;
    sl_err_clear(&err);
    if (p->tfd < 0) {
        sl__err_sys(&err, "socket");
        pair_abort(p, &err);
        return;
    }
    do
        rc = connect(p->tfd, &r->target.u.sa, r->target.len);
    while (rc < 0 && errno == EINTR);
    p->connecting = true;     /* pair_connected checks, even after rc == 0 */
    if ((rc < 0 && errno != EINPROGRESS) ||
        sl_loop_add(r->loop, p->cfd, 0, p, &err) < 0 ||
        sl_loop_add(r->loop, p->tfd, SL_EV_WRITE, p, &err) < 0) {
        if (rc < 0 && errno != EINPROGRESS)
            sl__err_sys(&err, "connect");
        pair_abort(p, &err);
        return;
    }
    p->tev = SL_EV_WRITE;
    p->wake = p->deadline;
}

int sl__relay_tcp_accept(sl_relay *r, sl_err *err)
{
    (void)err;
    for (int i = 0; i < RELAY_ACCEPT_BATCH; i++) {
        sl_addr peer;
        sl_err e;
        int fd = sl_accept(r->lfd, &peer, true, &e);
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (fd < 0) {
            /* EMFILE and the like: stop watching the listener for a while
             * rather than spin on a client that cannot be taken. */
            r->listen_paused_until = sl_now_ms() + 100;
            sl__relay_say(r, SL_EV_WARN, 0, NULL, "relay: %s (not accepting for 100 ms)",
                          e.msg);
            return 0;
        }
        if (r->active >= r->cfg.max_clients) {
            sl__relay_say(r, SL_EV_REFUSED, 0, &peer,
                          "relay: client refused: %d clients already", r->active);
            set_reset(fd);
            sl_close(fd);
            continue;
        }
        pair_open(r, fd, &peer);
    }
    return 0;
}

long long sl__relay_tcp_timers(sl_relay *r, long long now)
{
    long long next = NEVER;
    relay_pair *p, *n;
    for (p = r->pairs; p != NULL; p = n) {
        n = p->next;
        if (p->wake != NEVER && p->wake <= now)
            pair_pump(p, now);
    }
    sl__relay_tcp_reap(r);
    for (p = r->pairs; p != NULL; p = p->next)
        if (p->wake != NEVER && (next == NEVER || p->wake < next))
            next = p->wake;
    return next;
}

void sl__relay_tcp_reap(sl_relay *r)
{
    while (r->dead != NULL) {
        relay_pair *p = r->dead;
        r->dead = p->next;
        free(p->up.buf);
        free(p->down.buf);
        free(p);
    }
}

void sl__relay_tcp_close_all(sl_relay *r)
{
    while (r->pairs != NULL)
        pair_close(r->pairs, NULL);
    sl__relay_tcp_reap(r);
}
