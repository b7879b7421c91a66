/* engine/dgram.c: serving datagram sockets. Each datagram is echoed whole
 * to its sender, from the address it was sent to (IP_PKTINFO/IPV6_PKTINFO:
 * a server bound to a wildcard address on a host with several addresses
 * would otherwise answer from whichever address the route picks, and the
 * client would rightly ignore the answer). Datagrams are read and answered
 * in batches (recvmmsg/sendmmsg), a bounded number per readiness, so that
 * the TCP clients of the same event loop are not starved. A datagram larger
 * than the buffer is reported and not echoed; sources that must not be
 * answered (services/udp_guard.c) and sources over the rate limit
 * (services/udp_rate.c) are reported and dropped. Reports are bounded to a
 * few lines a second, so a flood cannot turn into a flood of log lines. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/dgram_internal.h"
#include "engine/engine.h"
#include "socklab/dgram.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define BATCH 16          /* datagrams per recvmmsg/sendmmsg */
#define ROUNDS 4          /* batches per readiness: 64 datagrams, then return */
#define LOG_PER_SEC 20    /* report lines of one kind per second, at most */
#define CTRL_LEN 128      /* room for IP_PKTINFO and IPV6_PKTINFO together */

typedef union ctrl {
    struct cmsghdr align;
    uint8_t buf[CTRL_LEN];
} ctrl;

/* The buffers of one batch; one per thread serving at a time, pooled. */
typedef struct batch {
    struct batch *next;
    size_t cap;                         /* bytes per datagram */
    struct mmsghdr in[BATCH], out[BATCH];
    struct iovec iov_in[BATCH], iov_out[BATCH];
    sl_addr src[BATCH];
    ctrl cin[BATCH], cout[BATCH];
    int idx[BATCH];                     /* out[j] answers in[idx[j]] */
    uint8_t *data;                      /* BATCH * cap; pages the kernel never
                                         * writes are never made resident */
} batch;

typedef struct loglimit {
    long long window_ms;
    unsigned used;
    uint64_t hidden;
} loglimit;

struct sl__dgram {
    pthread_mutex_t lock;               /* cfg, pool, log limits */
    pthread_mutex_t rate_lock;          /* rate; taken before lock, never after */
    sl_dgram_config cfg;                /* buffer resolved, never 0 */
    bool limited;                       /* rate is in use */
    sl__rate_table rate;
    batch *pool;
    loglimit info, warn;
    atomic_bool prepared[SL_MAX_LISTENERS];
    atomic_uint_fast64_t received, echoed, bytes, truncated, refused, not_unicast,
        rate_limited, send_failed;
};

typedef struct sl__dgram dgram;

static dgram *state_new(sl_err *err)
{
    dgram *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        sl__err_sys(err, "udp: calloc");
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->rate_lock, NULL);
    d->cfg.buffer = SL_DGRAM_BUFFER_DEFAULT;
    return d;
}

static void batch_free(batch *b)
{
    if (b != NULL)
        free(b->data);
    free(b);
}

static void state_free(dgram *d)
{
    if (d == NULL)
        return;
    while (d->pool != NULL) {
        batch *b = d->pool;
        d->pool = b->next;
        batch_free(b);
    }
    sl__rate_free(&d->rate);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->rate_lock);
    free(d);
}

/* srv's datagram state, made on first use (several threads may race to
 * make it: one wins, the others free theirs). */
static dgram *state_of(sl_server *srv, sl_err *err)
{
    dgram *d = atomic_load(&srv->dgram), *none = NULL;
    if (d != NULL)
        return d;
    d = state_new(err);
    if (d == NULL)
        return NULL;
    if (!atomic_compare_exchange_strong(&srv->dgram, &none, d)) {
        state_free(d);
        d = none;
    }
    return d;
}

void sl__dgram_free(sl_server *srv)
{
    state_free(atomic_exchange(&srv->dgram, NULL));
}

static void prepare(sl_server *srv, dgram *d, int fd);

int sl_server_set_dgram(sl_server *srv, const sl_dgram_config *cfg, sl_err *err)
{
    sl__rate_table rate;
    dgram *d;
    if (cfg->buffer > SL_DGRAM_BUFFER_DEFAULT)
        return sl__err(err, SL_EINPUT, EINVAL, "udp buffer: %zu bytes is more than %d",
                       cfg->buffer, SL_DGRAM_BUFFER_DEFAULT);
    memset(&rate, 0, sizeof(rate));
    if (cfg->rate > 0 &&
        sl__rate_init(&rate, cfg->rate, cfg->burst, SL_DGRAM_RATE_SOURCES, err) < 0)
        return -1;
    d = state_of(srv, err);
    if (d == NULL) {
        sl__rate_free(&rate);
        return -1;
    }
    pthread_mutex_lock(&d->rate_lock);
    pthread_mutex_lock(&d->lock);
    d->cfg = *cfg;
    if (d->cfg.buffer == 0)
        d->cfg.buffer = SL_DGRAM_BUFFER_DEFAULT;
    sl__rate_free(&d->rate);
    d->rate = rate;
    d->limited = cfg->rate > 0;
    pthread_mutex_unlock(&d->lock);
    pthread_mutex_unlock(&d->rate_lock);
    for (int i = 0; i < srv->nlisteners; i++)   /* before datagrams queue up */
        if (srv->listen_type[i] == SOCK_DGRAM)
            prepare(srv, d, srv->listen_fd[i]);
    return 0;
}

void sl_server_dgram_stats(const sl_server *srv, sl_dgram_stats *out)
{
    dgram *d = atomic_load(&srv->dgram);
    memset(out, 0, sizeof(*out));
    if (d == NULL)
        return;
    out->received = atomic_load(&d->received);
    out->echoed = atomic_load(&d->echoed);
    out->bytes = atomic_load(&d->bytes);
    out->truncated = atomic_load(&d->truncated);
    out->refused = atomic_load(&d->refused);
    out->not_unicast = atomic_load(&d->not_unicast);
    out->rate_limited = atomic_load(&d->rate_limited);
    out->send_failed = atomic_load(&d->send_failed);
}

/* Decide under the lock whether a line of this kind may be reported now;
 * *hidden receives how many were held back in the window that ended. */
static bool log_allow(dgram *d, loglimit *l, uint64_t *hidden)
{
    long long now = sl_now_ms();
    bool ok;
    pthread_mutex_lock(&d->lock);
    *hidden = 0;
    if (now - l->window_ms >= 1000) {
        *hidden = l->hidden;
        l->window_ms = now;
        l->used = 0;
        l->hidden = 0;
    }
    ok = l->used < LOG_PER_SEC;
    if (ok)
        l->used++;
    else
        l->hidden++;
    pthread_mutex_unlock(&d->lock);
    return ok;
}

/* Report a line about a datagram from peer (may be NULL: then about the
 * socket), "udp PEER: " and the message, within the limit of its kind
 * (per-datagram INFO lines, or problems). Nothing is formatted unless the
 * line is shown. */
static void __attribute__((format(printf, 5, 6)))
say(const sl_server *srv, dgram *d, sl_event_kind kind, const sl_addr *peer,
    const char *fmt, ...)
{
    char msg[512], who[SL_ADDRSTRLEN];
    uint64_t hidden;
    sl_event ev;
    va_list ap;
    int n;
    if (srv->cfg.on_event == NULL || (kind == SL_EV_INFO && d->cfg.quiet) ||
        !log_allow(d, kind == SL_EV_INFO ? &d->info : &d->warn, &hidden))
        return;
    if (hidden > 0)
        sl__server_say(srv, kind, NULL, "udp: %llu more lines like the next were not "
                       "shown (at most %d a second)", (unsigned long long)hidden,
                       LOG_PER_SEC);
    n = snprintf(msg, sizeof(msg), "udp%s%s: ", peer ? " " : "",
                 peer ? sl_addr_format(peer, who, sizeof(who)) : "");
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.peer = peer;
    ev.msg = msg;
    sl__server_emit(srv, &ev);
}

/* Ask the kernel for each datagram's destination address, so that the
 * echo can leave from it. IP_PKTINFO on an IPv6 socket covers the IPv4
 * datagrams of a dual-stack socket (Linux); failures only lose that. */
static void prepare(sl_server *srv, dgram *d, int fd)
{
    int one = 1, i;
    sl_addr local;
    for (i = 0; i < srv->nlisteners && srv->listen_fd[i] != fd; i++)
        ;
    if (i < srv->nlisteners && atomic_load(&d->prepared[i]))
        return;
    if (sl_local_addr(fd, &local, NULL) == 0 && local.u.sa.sa_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    (void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    if (i < srv->nlisteners)
        atomic_store(&d->prepared[i], true);
}

/* A batch with datagrams of d's buffer size, from the pool or new. */
static batch *batch_get(dgram *d, sl_err *err)
{
    batch *b, *stale = NULL;
    size_t cap;
    pthread_mutex_lock(&d->lock);
    cap = d->cfg.buffer;
    while ((b = d->pool) != NULL && b->cap != cap) {   /* the size changed */
        d->pool = b->next;
        b->next = stale;
        stale = b;
    }
    if (b != NULL)
        d->pool = b->next;
    pthread_mutex_unlock(&d->lock);
    while (stale != NULL) {
        batch *next = stale->next;
        batch_free(stale);
        stale = next;
    }
    if (b != NULL)
        return b;
    b = calloc(1, sizeof(*b));
    if (b == NULL || (b->data = malloc(BATCH * cap)) == NULL) {
        free(b);
        sl__err_sys(err, "udp: buffers of %zu bytes", BATCH * cap);
        return NULL;
    }
    b->cap = cap;
    return b;
}

static void batch_put(dgram *d, batch *b)
{
    pthread_mutex_lock(&d->lock);
    b->next = d->pool;
    d->pool = b;
    pthread_mutex_unlock(&d->lock);
}

/* Errors after which the socket cannot be served any more. */
static bool fatal_errno(int e)
{
    return e == EBADF || e == ENOTSOCK || e == EINVAL || e == EFAULT ||
           e == EOPNOTSUPP;
}

/* Read up to BATCH datagrams without waiting. Returns how many (0 when
 * none was queued or after a passing error), or -1 on a fatal error. */
static int receive(const sl_server *srv, dgram *d, int fd, batch *b, sl_err *err)
{
    for (int i = 0; i < BATCH; i++) {
        struct msghdr *h = &b->in[i].msg_hdr;
        b->iov_in[i] = (struct iovec){ .iov_base = b->data + (size_t)i * b->cap,
                                       .iov_len = b->cap };
        *h = (struct msghdr){ .msg_name = &b->src[i].u, .msg_namelen = sizeof(b->src[i].u),
                              .msg_iov = &b->iov_in[i], .msg_iovlen = 1,
                              .msg_control = b->cin[i].buf,
                              .msg_controllen = sizeof(b->cin[i].buf) };
    }
    for (;;) {
        /* MSG_TRUNC: msg_len is the datagram's real length, also when cut. */
        int n = recvmmsg(fd, b->in, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
        if (n >= 0) {
            for (int i = 0; i < n; i++)
                b->src[i].len = b->in[i].msg_hdr.msg_namelen;
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (fatal_errno(errno))
            return sl__err_sys(err, "udp: recvmmsg");
        say(srv, d, SL_EV_WARN, NULL, "recvmmsg: %s", strerror(errno));
        return 0;
    }
}

/* Where a datagram was sent, from its control messages. */
typedef struct dest {
    bool has4, has6;
    struct in_pktinfo p4;
    struct in6_pktinfo p6;
} dest;

static void dest_read(struct msghdr *h, dest *out)
{
    memset(out, 0, sizeof(*out));
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(out->p4))) {
            memcpy(&out->p4, CMSG_DATA(c), sizeof(out->p4));
            out->has4 = true;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(out->p6))) {
            memcpy(&out->p6, CMSG_DATA(c), sizeof(out->p6));
            out->has6 = true;
        }
    }
}

/* True when an IPv4 destination (network order) is a broadcast or
 * multicast address. */
static bool v4_group(uint32_t addr)
{
    uint32_t a = ntohl(addr);
    return a == 0xffffffffu || (a >> 28) == 0xe;
}

/* Fill the echo's control message so it leaves from the address the
 * datagram was sent to. Returns its length (0: none needed), or -1 when
 * the datagram was not sent to one of our unicast addresses: an echo of a
 * broadcast would multiply every datagram by the number of servers. */
static int reply_control(struct msghdr *in, ctrl *out)
{
    struct msghdr m = { .msg_control = out->buf, .msg_controllen = sizeof(out->buf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    uint32_t v4;
    dest d;
    dest_read(in, &d);
    if (d.has4) {
        /* ipi_addr is the header's destination; ipi_spec_dst the local
         * address: they differ for a broadcast or multicast. */
        struct in_pktinfo p = { .ipi_ifindex = 0, .ipi_spec_dst = d.p4.ipi_spec_dst };
        if (d.p4.ipi_spec_dst.s_addr == 0)
            return 0;  /* queued before IP_PKTINFO was on: the kernel left it empty */
        if (d.p4.ipi_addr.s_addr != d.p4.ipi_spec_dst.s_addr || v4_group(d.p4.ipi_addr.s_addr))
            return -1;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(p));
        memcpy(CMSG_DATA(c), &p, sizeof(p));
        return (int)CMSG_SPACE(sizeof(p));
    }
    if (!d.has6)
        return 0;
    memcpy(&v4, &d.p6.ipi6_addr.s6_addr[12], sizeof(v4));
    if (IN6_IS_ADDR_MULTICAST(&d.p6.ipi6_addr) ||
        (IN6_IS_ADDR_V4MAPPED(&d.p6.ipi6_addr) && v4_group(v4)))
        return -1;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(d.p6));
    memcpy(CMSG_DATA(c), &d.p6, sizeof(d.p6));
    return (int)CMSG_SPACE(sizeof(d.p6));
}

/* Whether datagram i may be echoed; reports why not. Call with rate_lock
 * held when d->limited. */
static bool admit(const sl_server *srv, dgram *d, batch *b, int i, int *ctrl_len)
{
    const sl_addr *src = &b->src[i];
    const char *why;
    unsigned len = b->in[i].msg_len;

    if (b->in[i].msg_hdr.msg_flags & MSG_TRUNC) {
        atomic_fetch_add(&d->truncated, 1);
        say(srv, d, SL_EV_WARN, src, "datagram of %u bytes truncated to the %zu-byte "
            "buffer (MSG_TRUNC): not echoed", len, b->cap);
        return false;
    }
    if ((why = sl_dgram_refusal(src)) != NULL) {
        atomic_fetch_add(&d->refused, 1);
        say(srv, d, SL_EV_REFUSED, src, "not answered: %s", why);
        return false;
    }
    if ((*ctrl_len = reply_control(&b->in[i].msg_hdr, &b->cout[i])) < 0) {
        atomic_fetch_add(&d->not_unicast, 1);
        say(srv, d, SL_EV_REFUSED, src, "not answered: sent to a broadcast or "
            "multicast address");
        return false;
    }
    if (d->limited && !sl__rate_allow(&d->rate, src, sl_now_ms())) {
        atomic_fetch_add(&d->rate_limited, 1);
        say(srv, d, SL_EV_REFUSED, src, "not answered: over the rate limit of "
            "%u datagrams/s", d->cfg.rate);
        return false;
    }
    return true;
}

/* Fill out[] with the echoes of the n datagrams that may be answered.
 * Returns how many. */
static int plan_echoes(const sl_server *srv, dgram *d, batch *b, int n)
{
    int m = 0;
    atomic_fetch_add(&d->received, (uint_fast64_t)n);
    if (d->limited)
        pthread_mutex_lock(&d->rate_lock);
    for (int i = 0; i < n; i++) {
        int clen = 0;
        if (!admit(srv, d, b, i, &clen))
            continue;
        b->iov_out[m] = (struct iovec){ .iov_base = b->iov_in[i].iov_base,
                                        .iov_len = b->in[i].msg_len };
        b->out[m].msg_hdr = (struct msghdr){
            .msg_name = &b->src[i].u, .msg_namelen = b->src[i].len,
            .msg_iov = &b->iov_out[m], .msg_iovlen = 1,
            .msg_control = clen > 0 ? b->cout[i].buf : NULL,
            .msg_controllen = (size_t)clen };
        b->idx[m++] = i;
    }
    if (d->limited)
        pthread_mutex_unlock(&d->rate_lock);
    return m;
}

/* Count and report echo j as sent (ok) or failed with errno e. */
static void echo_done(const sl_server *srv, dgram *d, batch *b, int j, bool ok, int e)
{
    int i = b->idx[j];
    if (ok) {
        atomic_fetch_add(&d->echoed, 1);
        atomic_fetch_add(&d->bytes, b->in[i].msg_len);
        say(srv, d, SL_EV_INFO, &b->src[i], "%u bytes echoed", b->in[i].msg_len);
        return;
    }
    atomic_fetch_add(&d->send_failed, 1);
    say(srv, d, SL_EV_WARN, &b->src[i], "echo of %u bytes not sent: %s",
        b->in[i].msg_len, e == EAGAIN || e == EWOULDBLOCK
            ? "the socket's send buffer is full" : strerror(e));
}

/* Send the m planned echoes. A full send buffer drops the rest (UDP may
 * lose datagrams; waiting would stall the loop); another error drops only
 * the echo it belongs to. */
static void send_echoes(const sl_server *srv, dgram *d, int fd, batch *b, int m)
{
    int off = 0;
    while (off < m) {
        int k = sendmmsg(fd, b->out + off, (unsigned)(m - off), MSG_DONTWAIT | MSG_NOSIGNAL);
        int e = errno;
        if (k < 0 && e == EINTR)
            continue;
        if (k > 0) {
            for (int j = off; j < off + k; j++)
                echo_done(srv, d, b, j, true, 0);
            off += k;
        } else if (e == EAGAIN || e == EWOULDBLOCK) {
            for (; off < m; off++)
                echo_done(srv, d, b, off, false, e);
        } else {
            echo_done(srv, d, b, off++, false, k == 0 ? EIO : e);
        }
    }
}

/* Serve up to ROUNDS batches. Returns 1 when the last batch was full (more
 * may be queued), 0 when the socket was drained, -1 on a fatal error. */
static int serve_batches(sl_server *srv, int fd, sl_err *err)
{
    dgram *d = state_of(srv, err);
    batch *b;
    int rc = 1;
    if (d == NULL)
        return -1;
    prepare(srv, d, fd);
    if ((b = batch_get(d, err)) == NULL)
        return -1;
    for (int round = 0; round < ROUNDS && rc == 1; round++) {
        int n = receive(srv, d, fd, b, err);
        if (n < 0)
            rc = -1;
        else if (n > 0)
            send_echoes(srv, d, fd, b, plan_echoes(srv, d, b, n));
        if (n >= 0 && n < BATCH)
            rc = 0;
    }
    batch_put(d, b);
    return rc;
}

int sl__dgram_serve_ready(sl_server *srv, int fd, sl_err *err)
{
    return serve_batches(srv, fd, err) < 0 ? -1 : 0;
}

void sl__dgram_serve_loop(sl_server *srv, int fd)
{
    struct pollfd p[2] = {
        { .fd = fd, .events = POLLIN, .revents = 0 },
        { .fd = srv->stop_pipe[0], .events = POLLIN, .revents = 0 },
    };
    sl_err err;
    int more = 0;
    sl_err_clear(&err);
    while (!sl__server_stopping(srv)) {
        /* Wait only once the socket is drained: under load, full batches
         * follow each other without a poll between them. */
        if (more == 0 && poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;       /* a stop also writes the pipe: poll sees it */
            sl__err_sys(&err, "udp: poll");
            break;
        }
        if (more == 0 && p[1].revents != 0)
            return;
        if (more == 0 && (p[0].revents & POLLNVAL) != 0) {
            sl__err(&err, SL_ESYS, EBADF, "udp: the socket was closed");
            break;
        }
        if ((more = serve_batches(srv, fd, &err)) < 0)
            break;
    }
    if (err.kind != SL_OK)
        sl__server_say(srv, SL_EV_WARN, NULL, "%s; datagrams are no longer served",
                       err.msg);
}
