/* socklab/sockopt.h: socket options from one table (name, level, option,
 * value type, meaning, which sockets), read and set with getsockopt and
 * setsockopt, and what the kernel did to a value it was given. */
#ifndef SOCKLAB_SOCKOPT_H
#define SOCKLAB_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>
#include "socklab/addr.h"

/* How an option's value is passed and shown. */
typedef enum sl_opt_type {
    SL_OPT_BOOL,      /* int, 0 off, non-zero on (reads back 1) */
    SL_OPT_INT,       /* int, a count or a number of seconds */
    SL_OPT_BYTES,     /* int, a size in bytes */
    SL_OPT_SOCKTYPE,  /* int, SOCK_STREAM/SOCK_DGRAM (SO_TYPE) */
    SL_OPT_FAMILY,    /* int, AF_INET/AF_INET6 (SO_DOMAIN) */
    SL_OPT_PROTOCOL,  /* int, IPPROTO_TCP/IPPROTO_UDP (SO_PROTOCOL) */
    SL_OPT_ERRNO,     /* int, a pending errno (SO_ERROR) */
    SL_OPT_LINGER,    /* struct linger */
    SL_OPT_TIMEVAL,   /* struct timeval, a timeout (0: none) */
    SL_OPT_STRING     /* char[], a name (TCP_CONGESTION) */
} sl_opt_type;

/* Which sockets an option applies to. */
enum { SL_OPT_TCP = 1, SL_OPT_UDP = 2 };

#define SL_OPT_STRLEN 32

/* One row of the table. */
typedef struct sl_sockopt {
    const char *name;          /* "SO_RCVBUF" */
    const char *level_name;    /* "SOL_SOCKET", "IPPROTO_TCP", ... */
    int level;
    int option;
    sl_opt_type type;
    unsigned sockets;          /* SL_OPT_TCP | SL_OPT_UDP */
    long long min, max;        /* the accepted range for --set (ints) */
    const char *readonly;      /* NULL if settable, else why it cannot be set */
    const char *default_tcp;   /* sysctl giving a TCP socket's default, or NULL */
    const char *default_udp;   /* same for UDP; "name" or "name[FIELD]" (0-based) */
    const char *meaning;       /* one line */
} sl_sockopt;

/* A value. num holds ints, booleans, sizes and codes; for SL_OPT_LINGER,
 * on is l_onoff and num the seconds; for SL_OPT_TIMEVAL num is
 * microseconds; for SL_OPT_STRING str holds the text. */
typedef struct sl_optval {
    long long num;
    bool on;
    char str[SL_OPT_STRLEN];
} sl_optval;

/* The table, in display order; *count receives its length. */
const sl_sockopt *sl_sockopt_table(size_t *count);

/* Find an option by name, case-insensitively ("so_rcvbuf" works); NULL if
 * unknown. */
const sl_sockopt *sl_sockopt_find(const char *name);

/* True when o applies to sockets of family (AF_INET, AF_INET6) and
 * socktype (SOCK_STREAM, SOCK_DGRAM): IPPROTO_IP options are for IPv4
 * sockets only, IPPROTO_IPV6 for IPv6 only. */
bool sl_sockopt_applies(const sl_sockopt *o, int family, int socktype);

/* Read o from fd into v. */
int sl_sockopt_get(int fd, const sl_sockopt *o, sl_optval *v, sl_err *err);

/* Set o on fd to v. A read-only option fails with SL_EINPUT and why. */
int sl_sockopt_set(int fd, const sl_sockopt *o, const sl_optval *v, sl_err *err);

/* Parse the text of a value for o (SL_EINPUT with the accepted form when
 * it is not one): booleans 0/1/on/off, sizes with K/M, linger "off" or
 * seconds, timeouts in seconds ("1.5"), names. */
int sl_optval_parse(const sl_sockopt *o, const char *text, sl_optval *v, sl_err *err);

/* Format v as text ("on", "131072", "1.5 s", "SOCK_STREAM"). Returns buf. */
char *sl_optval_format(const sl_sockopt *o, const sl_optval *v, char *buf, size_t len);

/* How --set values are written for o, one line ("0 or 1", "bytes ..."). */
const char *sl_optval_syntax(const sl_sockopt *o);

/* Read a sysctl as "net.core.rmem_max" or "net.ipv4.tcp_rmem[1]" (field,
 * 0-based) from /proc/sys. Numbers into *num; text (may be NULL) into
 * text[len]. */
int sl_sysctl_read(const char *name, long long *num, char *text, size_t len, sl_err *err);

/* The kernel's default for o on a fresh socket of socktype: its sysctl
 * name (NULL when o has none) and the value read from it. Returns 1 when
 * there is one, 0 when o has no sysctl default, -1 on error. */
int sl_sockopt_default(const sl_sockopt *o, int socktype, const char **sysctl,
                       sl_optval *v, sl_err *err);

/* What the kernel did to a value that was set. */
typedef enum sl_optnote_kind {
    SL_NOTE_SAME,         /* read back as given */
    SL_NOTE_DOUBLED,      /* a buffer size, doubled (half is for bookkeeping) */
    SL_NOTE_CLAMPED,      /* a buffer size, cut to the sysctl maximum, then doubled */
    SL_NOTE_RAISED,       /* a buffer size, doubled but below the kernel's minimum */
    SL_NOTE_BOOLEAN,      /* a non-zero flag reads back as 1 */
    SL_NOTE_ROUNDED,      /* a timeout kept in clock ticks */
    SL_NOTE_MSS,          /* TCP_MAXSEG: the effective MSS, less the TCP options' bytes */
    SL_NOTE_CHANGED       /* changed for a reason not modelled here */
} sl_optnote_kind;

typedef struct sl_optnote {
    sl_optnote_kind kind;
    const char *sysctl;   /* CLAMPED: "net.core.rmem_max" */
    long long limit;      /* CLAMPED: the sysctl's value; RAISED: the minimum */
} sl_optnote;

/* Explain why actual differs from requested for o on a socket of family
 * and socktype. For buffer sizes this reads net.core.[rw]mem_max and
 * measures the kernel's minimum on a scratch socket. */
int sl_sockopt_explain(const sl_sockopt *o, int family, int socktype,
                       const sl_optval *requested, const sl_optval *actual,
                       sl_optnote *note, sl_err *err);

/* A socket to look at: fresh, or connected over loopback. */
typedef struct sl_probe {
    int fd;              /* the socket whose options are shown */
    int peer_fd;         /* connected: the accepted end (TCP), else -1 */
    int listen_fd;       /* connected: the loopback listener, else -1 */
    int family, socktype;
    sl_addr local, peer; /* connected: both ends */
} sl_probe;

/* Create a fresh socket of family and socktype (close-on-exec). */
int sl_probe_open(sl_probe *p, int family, int socktype, sl_err *err);

/* Connect p's socket to a listener of its own on loopback (127.0.0.1 or
 * ::1, port 0) and, for TCP, accept the connection. Options set before
 * this call are in force during the handshake, as for a real client. */
int sl_probe_connect(sl_probe *p, sl_err *err);

/* Close every descriptor of p. */
void sl_probe_close(sl_probe *p);

#endif
