/* socklab/sock.h: listening, connecting and accepting sockets.
 * Every socket made here is close-on-exec. */
#ifndef SOCKLAB_SOCK_H
#define SOCKLAB_SOCK_H

#include <stdbool.h>
#include "socklab/addr.h"

typedef struct sl_listen_opts {
    int socktype;        /* SOCK_STREAM (0 means stream) or SOCK_DGRAM */
    int family;          /* AF_UNSPEC (any), AF_INET or AF_INET6 */
    int backlog;         /* listen() backlog; 0 means SOMAXCONN */
    bool no_reuseaddr;   /* leave SO_REUSEADDR off (the seed's experiment) */
    bool reuseport;      /* SO_REUSEPORT, for several loops on one port */
    int v6only;          /* -1 system default, 0 dual stack, 1 IPv6 only */
    bool nonblock;       /* O_NONBLOCK on the listening socket */
    int rcvbuf;          /* SO_RCVBUF when > 0 */
} sl_listen_opts;

/* Bind (and for streams listen) on ep, trying each resolved address until
 * one binds. An empty host means every address: "::" dual-stack first, then
 * 0.0.0.0 where IPv6 is missing. For unix:PATH a stale socket file whose
 * server is gone is removed; a live one is refused. When bind fails with
 * EADDRINUSE the message says what holds the port, from the kernel's socket
 * table. Returns the descriptor; *bound receives the address (with the
 * port the kernel picked for port 0). */
int sl_listen(const sl_endpoint *ep, const sl_listen_opts *opts, sl_addr *bound,
              sl_err *err);

/* Connect a socket of socktype to ep, trying each resolved address in turn,
 * each for at most timeout_ms (<= 0: the system's own timeout). Returns a
 * blocking descriptor; *peer (may be NULL) receives the address reached.
 * On failure the message names the first address's cause, and how many
 * addresses were tried. */
int sl_connect(const sl_endpoint *ep, int family, int socktype, int timeout_ms,
               sl_addr *peer, sl_err *err);

/* accept4() with close-on-exec (and O_NONBLOCK when nonblock), EINTR and
 * ECONNABORTED retried. Returns the descriptor or -1 (EAGAIN included). */
int sl_accept(int lfd, sl_addr *peer, bool nonblock, sl_err *err);

/* Set or clear O_NONBLOCK. */
int sl_set_nonblock(int fd, bool on, sl_err *err);

/* The local address of a socket. */
int sl_local_addr(int fd, sl_addr *addr, sl_err *err);

/* Close fd keeping errno; -1 is ignored. Always returns -1 (for `goto fail`). */
int sl_close(int fd);

/* Remove the socket file of a unix listener bound at addr (no-op otherwise). */
void sl_unlink_unix(const sl_addr *addr);

#endif
