/* net/sock.c: listening, connecting and accepting sockets, close-on-exec
 * always, with the first cause of a failure kept for the message. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include "socklab/sock.h"
#include "socklab/diag.h"
#include "socklab/io.h"
#include "net/err_internal.h"

int sl_close(int fd)
{
    int saved = errno;
    if (fd >= 0)
        close(fd);   /* Linux frees fd even on EINTR: never retry close. */
    errno = saved;
    return -1;
}

int sl_set_nonblock(int fd, bool on, sl_err *err)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return sl__err_sys(err, "fcntl F_GETFL");
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (fcntl(fd, F_SETFL, fl) < 0)
        return sl__err_sys(err, "fcntl F_SETFL");
    return 0;
}

int sl_local_addr(int fd, sl_addr *addr, sl_err *err)
{
    memset(addr, 0, sizeof(*addr));
    addr->len = sizeof(addr->u);
    if (getsockname(fd, &addr->u.sa, &addr->len) < 0)
        return sl__err_sys(err, "getsockname");
    return 0;
}

void sl_unlink_unix(const sl_addr *addr)
{
    if (addr->u.sa.sa_family == AF_UNIX && addr->len > offsetof(struct sockaddr_un, sun_path) &&
        addr->u.un.sun_path[0] != '\0')
        unlink(addr->u.un.sun_path);
}

/* Make the socket for ai with the listening options applied. */
static int listen_socket(const struct addrinfo *ai, const sl_listen_opts *o,
                         const char *where, sl_err *err)
{
    int one = 1;
    int type = ai->ai_socktype | SOCK_CLOEXEC | (o->nonblock ? SOCK_NONBLOCK : 0);
    int fd = socket(ai->ai_family, type, ai->ai_protocol);
    if (fd < 0)
        return sl__err_sys(err, "socket %s", where);
    if (ai->ai_family != AF_UNIX && !o->no_reuseaddr &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail_sys_reuse;
    if (o->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        sl__err_sys(err, "setsockopt SO_REUSEPORT %s", where);
        return sl_close(fd);
    }
    if (ai->ai_family == AF_INET6 && o->v6only >= 0 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &o->v6only, sizeof(o->v6only)) < 0) {
        sl__err_sys(err, "setsockopt IPV6_V6ONLY %s", where);
        return sl_close(fd);
    }
    if (o->rcvbuf > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf)) < 0) {
        sl__err_sys(err, "setsockopt SO_RCVBUF %s", where);
        return sl_close(fd);
    }
    return fd;
fail_sys_reuse:
    sl__err_sys(err, "setsockopt SO_REUSEADDR %s", where);
    return sl_close(fd);
}

/* A unix socket path already exists: remove it if it is a socket nobody
 * listens on (left by a dead server); refuse anything else. */
static int clear_stale_unix(const struct addrinfo *ai, sl_err *err)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)ai->ai_addr;
    struct stat st;
    int fd, rc;

    if (lstat(un->sun_path, &st) < 0)
        return errno == ENOENT ? 0 : sl__err_sys(err, "stat %s", un->sun_path);
    if (!S_ISSOCK(st.st_mode))
        return sl__err(err, SL_ESYS, EEXIST,
                       "bind unix:%s: a file that is not a socket is in the way",
                       un->sun_path);
    fd = socket(AF_UNIX, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sl__err_sys(err, "socket unix:%s", un->sun_path);
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    sl_close(fd);
    if (rc == 0 || (errno != ECONNREFUSED && errno != ENOENT))
        return sl__err(err, SL_ESYS, EADDRINUSE,
                       "bind unix:%s: Address already in use: a live server listens there",
                       un->sun_path);
    if (unlink(un->sun_path) < 0 && errno != ENOENT)
        return sl__err_sys(err, "unlink stale socket %s", un->sun_path);
    return 0;
}

/* Message for a failed bind; EADDRINUSE gets the socket table's account. */
static void bind_error(const struct addrinfo *ai, const sl_listen_opts *o,
                       const char *where, sl_err *err)
{
    char why[SL_ERRLEN / 2];
    sl_addr a;
    int saved = errno;
    sl__err_sys(err, "bind %s", where);
    if (saved != EADDRINUSE || err == NULL || ai->ai_family == AF_UNIX)
        return;
    sl_addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    sl_port_explain(ai->ai_socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP,
                    &a, !o->no_reuseaddr, why, sizeof(why));
    if (why[0] != '\0') {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ". %s", why);
    }
    errno = saved;
}

/* Bind and listen on one address. Returns the descriptor or -1. */
static int listen_one(const struct addrinfo *ai, const sl_listen_opts *o,
                      sl_err *err)
{
    char where[SL_ADDRSTRLEN];
    sl_addr a;
    int fd;

    sl_addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    sl_addr_format(&a, where, sizeof(where));
    if (ai->ai_family == AF_UNIX && clear_stale_unix(ai, err) < 0)
        return -1;
    fd = listen_socket(ai, o, where, err);
    if (fd < 0)
        return -1;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        bind_error(ai, o, where, err);
        return sl_close(fd);
    }
    if (ai->ai_socktype == SOCK_STREAM &&
        listen(fd, o->backlog > 0 ? o->backlog : SOMAXCONN) < 0) {
        sl__err_sys(err, "listen %s", where);
        return sl_close(fd);
    }
    return fd;
}

/* With no host given: "::" dual-stack, then 0.0.0.0 if IPv6 is missing. */
static int listen_any(const sl_endpoint *ep, const sl_listen_opts *o, sl_err *err)
{
    sl_endpoint any = *ep;
    sl_listen_opts o6 = *o;
    struct addrinfo *res;
    int fd = -1;

    if (o->family != AF_INET) {
        snprintf(any.host, sizeof(any.host), "::");
        if (o6.v6only < 0)
            o6.v6only = o->family == AF_INET6 ? 1 : 0;
        if (sl_resolve(&any, AF_INET6, o->socktype, true, &res, NULL) == 0) {
            fd = listen_one(res, &o6, err);
            freeaddrinfo(res);
            if (fd >= 0 || o->family == AF_INET6 ||
                (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
                return fd;
        }
    }
    snprintf(any.host, sizeof(any.host), "0.0.0.0");
    if (sl_resolve(&any, AF_INET, o->socktype, true, &res, err) < 0)
        return -1;
    fd = listen_one(res, o, err);
    freeaddrinfo(res);
    return fd;
}

int sl_listen(const sl_endpoint *ep, const sl_listen_opts *opts, sl_addr *bound,
              sl_err *err)
{
    sl_listen_opts o = *opts;
    struct addrinfo *res, *ai;
    sl_err first;
    int fd = -1;

    if (o.socktype == 0)
        o.socktype = SOCK_STREAM;
    sl_err_clear(&first);
    if (!ep->is_unix && ep->host[0] == '\0') {
        fd = listen_any(ep, &o, err);
    } else {
        if (sl_resolve(ep, o.family, o.socktype, true, &res, err) < 0)
            return -1;
        for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
            fd = listen_one(ai, &o, first.kind == SL_OK ? &first : NULL);
        sl_addrinfo_free(res);
        if (fd < 0 && err != NULL)
            *err = first;
    }
    if (fd >= 0 && bound != NULL && sl_local_addr(fd, bound, err) < 0)
        return sl_close(fd);
    return fd;
}

/* Wait for a nonblocking connect on fd to finish within timeout_ms. */
static int connect_wait(int fd, int timeout_ms, const char *where, sl_err *err)
{
    int rc = sl_wait_fd(fd, POLLOUT, timeout_ms, err);
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        errno = ETIMEDOUT;
        return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT,
                       "connect %s: timed out after %d ms", where, timeout_ms);
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return sl__err_sys(err, "getsockopt SO_ERROR %s", where);
    if (soerr != 0) {
        errno = soerr;
        return sl__err_sys(err, "connect %s", where);
    }
    return 0;
}

/* Connect to one address; blocking descriptor or -1. */
static int connect_one(const struct addrinfo *ai, int timeout_ms, sl_err *err)
{
    char where[SL_ADDRSTRLEN];
    sl_addr a;
    int fd, rc;

    sl_addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    sl_addr_format(&a, where, sizeof(where));
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
                (timeout_ms > 0 ? SOCK_NONBLOCK : 0), ai->ai_protocol);
    if (fd < 0)
        return sl__err_sys(err, "socket %s", where);
    do
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    while (rc < 0 && errno == EINTR && timeout_ms <= 0);
    if (rc < 0 && (errno == EINPROGRESS || errno == EINTR) && timeout_ms > 0)
        rc = connect_wait(fd, timeout_ms, where, err);
    else if (rc < 0)
        sl__err_sys(err, "connect %s", where);
    if (rc < 0 || (timeout_ms > 0 && sl_set_nonblock(fd, false, err) < 0))
        return sl_close(fd);
    return fd;
}

int sl_connect(const sl_endpoint *ep, int family, int socktype, int timeout_ms,
               sl_addr *peer, sl_err *err)
{
    struct addrinfo *res, *ai;
    sl_err first;
    int fd = -1, tried = 0;

    if (sl_resolve(ep, family, socktype, false, &res, err) < 0)
        return -1;
    sl_err_clear(&first);
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        tried++;
        fd = connect_one(ai, timeout_ms, first.kind == SL_OK ? &first : NULL);
        if (fd >= 0 && peer != NULL)
            sl_addr_set(peer, ai->ai_addr, ai->ai_addrlen);
    }
    sl_addrinfo_free(res);
    if (fd < 0) {
        if (tried > 1) {
            size_t n = strlen(first.msg);
            snprintf(first.msg + n, sizeof(first.msg) - n,
                     " (and %d more addresses failed)", tried - 1);
        }
        if (err != NULL)
            *err = first;
        errno = first.code;
    }
    return fd;
}

int sl_accept(int lfd, sl_addr *peer, bool nonblock, sl_err *err)
{
    sl_addr tmp;
    sl_addr *a = peer != NULL ? peer : &tmp;
    int fd;
    for (;;) {
        memset(a, 0, sizeof(*a));
        a->len = sizeof(a->u);
        fd = accept4(lfd, &a->u.sa, &a->len, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
        if (fd >= 0)
            return fd;
        if (errno != EINTR && errno != ECONNABORTED)
            return sl__err_sys(err, "accept");
    }
}
