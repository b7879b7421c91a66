/* net/sockopt_probe.c: sockets to inspect (fresh, or connected over
 * loopback), and why the kernel changed a value that was set. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "socklab/sockopt.h"
#include "socklab/sock.h"
#include "socklab/io.h"
#include "net/err_internal.h"

int sl_probe_open(sl_probe *p, int family, int socktype, sl_err *err)
{
    memset(p, 0, sizeof(*p));
    p->peer_fd = p->listen_fd = -1;
    p->family = family;
    p->socktype = socktype;
    p->fd = socket(family, socktype | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        return sl__err_sys(err, "socket %s %s", family == AF_INET6 ? "AF_INET6" : "AF_INET",
                           socktype == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_STREAM");
    return 0;
}

/* connect() that survives EINTR: the handshake goes on in the kernel, so
 * wait for writability and read SO_ERROR rather than calling it again. */
static int connect_once(int fd, const sl_addr *to, sl_err *err)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (connect(fd, &to->u.sa, to->len) == 0)
        return 0;
    if (errno != EINTR && errno != EINPROGRESS)
        return sl__err_sys(err, "connect loopback");
    if (sl_wait_fd(fd, POLLOUT, 10000, err) <= 0)
        return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT, "connect loopback: timed out");
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return sl__err_sys(err, "getsockopt SO_ERROR");
    if (soerr != 0) {
        errno = soerr;
        return sl__err_sys(err, "connect loopback");
    }
    return 0;
}

int sl_probe_connect(sl_probe *p, sl_err *err)
{
    sl_endpoint ep;
    sl_listen_opts lo;
    sl_addr bound;
    memset(&ep, 0, sizeof(ep));
    memset(&lo, 0, sizeof(lo));
    snprintf(ep.host, sizeof(ep.host), "%s", p->family == AF_INET6 ? "::1" : "127.0.0.1");
    snprintf(ep.port, sizeof(ep.port), "0");
    lo.socktype = p->socktype;
    lo.family = p->family;
    lo.v6only = -1;
    p->listen_fd = sl_listen(&ep, &lo, &bound, err);
    if (p->listen_fd < 0)
        return -1;
    if (connect_once(p->fd, &bound, err) < 0)
        return -1;
    if (p->socktype == SOCK_STREAM) {
        p->peer_fd = sl_accept(p->listen_fd, NULL, false, err);
        if (p->peer_fd < 0)
            return -1;
    }
    p->peer = bound;
    return sl_local_addr(p->fd, &p->local, err);
}

void sl_probe_close(sl_probe *p)
{
    sl_close(p->fd);
    sl_close(p->peer_fd);
    sl_close(p->listen_fd);
    p->fd = p->peer_fd = p->listen_fd = -1;
}

/* The smallest buffer the kernel allows for o (SOCK_MIN_RCVBUF or
 * SOCK_MIN_SNDBUF, which depend on the kernel's struct sizes): ask for 0
 * on a scratch socket and read what it gives. */
static int buffer_minimum(const sl_sockopt *o, int family, int socktype, long long *min,
                          sl_err *err)
{
    sl_probe p;
    sl_optval zero, got;
    memset(&zero, 0, sizeof(zero));
    if (sl_probe_open(&p, family, socktype, err) < 0)
        return -1;
    if (sl_sockopt_set(p.fd, o, &zero, err) < 0 || sl_sockopt_get(p.fd, o, &got, err) < 0) {
        sl_probe_close(&p);
        return -1;
    }
    sl_probe_close(&p);
    *min = got.num;
    return 0;
}

/* Linux's rule for SO_SNDBUF/SO_RCVBUF (net/core/sock.c): the value is cut
 * to net.core.wmem_max/rmem_max, doubled, and raised to the minimum. */
static int explain_buffer(const sl_sockopt *o, int family, int socktype, long long req,
                          long long act, sl_optnote *note, sl_err *err)
{
    long long max, min;
    const char *sysctl = o->option == SO_SNDBUF ? "net.core.wmem_max" : "net.core.rmem_max";
    if (sl_sysctl_read(sysctl, &max, NULL, 0, err) < 0 ||
        buffer_minimum(o, family, socktype, &min, err) < 0)
        return -1;
    if (req > max && act == 2 * max) {
        note->kind = SL_NOTE_CLAMPED;
        note->sysctl = sysctl;
        note->limit = max;
    } else if (2 * req < min && act == min) {
        note->kind = SL_NOTE_RAISED;
        note->limit = min;
    } else if (act == 2 * req) {
        note->kind = SL_NOTE_DOUBLED;
    } else {
        note->kind = act == req ? SL_NOTE_SAME : SL_NOTE_CHANGED;
    }
    return 0;
}

int sl_sockopt_explain(const sl_sockopt *o, int family, int socktype,
                       const sl_optval *requested, const sl_optval *actual,
                       sl_optnote *note, sl_err *err)
{
    long long req = requested->num, act = actual->num;
    memset(note, 0, sizeof(*note));
    if (o->level == SOL_SOCKET && (o->option == SO_SNDBUF || o->option == SO_RCVBUF))
        return explain_buffer(o, family, socktype, req, act, note, err);
    if (o->type == SL_OPT_STRING)
        note->kind = strcmp(requested->str, actual->str) == 0 ? SL_NOTE_SAME : SL_NOTE_CHANGED;
    else if (o->type == SL_OPT_LINGER && requested->on != actual->on)
        note->kind = SL_NOTE_CHANGED;
    else if (req == act)
        note->kind = SL_NOTE_SAME;
    else if (o->type == SL_OPT_BOOL && req != 0 && act == 1)
        note->kind = SL_NOTE_BOOLEAN;
    else if (o->level == IPPROTO_TCP && o->option == TCP_MAXSEG && act < req && req - act <= 40)
        note->kind = SL_NOTE_MSS;       /* 40: the most TCP options a header can carry */
    else if (o->type == SL_OPT_TIMEVAL && act - req < 20000 && req - act < 20000)
        note->kind = SL_NOTE_ROUNDED;   /* kept in jiffies: at most a tick or two off */
    else
        note->kind = SL_NOTE_CHANGED;
    return 0;
}
