/* socklab/diag.h: the kernel's socket table (NETLINK_SOCK_DIAG, as ss uses,
 * with /proc/net/{tcp,tcp6,udp,udp6} as the fallback), and what it says
 * about a port that bind() refused. */
#ifndef SOCKLAB_DIAG_H
#define SOCKLAB_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "socklab/addr.h"

/* TCP states, numbered as the kernel numbers them (include/net/tcp_states.h). */
enum {
    SL_TCP_ESTABLISHED = 1, SL_TCP_SYN_SENT, SL_TCP_SYN_RECV, SL_TCP_FIN_WAIT1,
    SL_TCP_FIN_WAIT2, SL_TCP_TIME_WAIT, SL_TCP_CLOSE, SL_TCP_CLOSE_WAIT,
    SL_TCP_LAST_ACK, SL_TCP_LISTEN, SL_TCP_CLOSING, SL_TCP_NEW_SYN_RECV,
    SL_TCP_STATE_MAX
};

/* Kernel timer kinds (idiag_timer; "tr" in /proc/net/tcp). */
enum { SL_TIMER_NONE = 0, SL_TIMER_RETRANS = 1, SL_TIMER_KEEPALIVE = 2,
       SL_TIMER_TIMEWAIT = 3, SL_TIMER_PROBE = 4 };

typedef enum sl_diag_source { SL_DIAG_NETLINK = 1, SL_DIAG_PROC = 2 } sl_diag_source;

/* One row of the socket table. */
typedef struct sl_sockinfo {
    int proto;              /* IPPROTO_TCP or IPPROTO_UDP */
    int family;             /* AF_INET or AF_INET6 */
    int state;              /* SL_TCP_* (UDP: SL_TCP_CLOSE unbound/ESTABLISHED connected) */
    sl_addr local;
    sl_addr remote;
    uint32_t rqueue;        /* bytes queued to read (LISTEN: accept queue) */
    uint32_t wqueue;        /* bytes queued to send (LISTEN: backlog) */
    int timer;              /* SL_TIMER_* */
    uint32_t expires_ms;    /* time left on that timer */
    uint32_t retrans;
    uid_t uid;
    uint64_t inode;         /* 0 for TIME_WAIT (no socket object is left) */
} sl_sockinfo;

/* Called for each socket; a non-zero return stops the scan and is returned. */
typedef int (*sl_sock_visit)(const sl_sockinfo *info, void *arg);

/* Visit every socket of proto (IPPROTO_TCP or IPPROTO_UDP) and family
 * (AF_UNSPEC for both). Tries netlink, then /proc; *source (may be NULL)
 * says which answered. Returns 0, the visitor's non-zero value, or -1. */
int sl_socktable_scan(int proto, int family, sl_sock_visit visit, void *arg,
                      sl_diag_source *source, sl_err *err);

/* The same from one source only: SL_DIAG_NETLINK (no fallback) or
 * SL_DIAG_PROC (/proc/net/{tcp,udp}{,6}). */
int sl_socktable_scan_from(sl_diag_source from, int proto, int family,
                           sl_sock_visit visit, void *arg, sl_err *err);

/* "netlink" or "/proc". */
const char *sl_diag_source_name(sl_diag_source source);

/* "ESTABLISHED", "TIME_WAIT" ... ("UNKNOWN" out of range). */
const char *sl_tcp_state_name(int state);

/* Parse a state name (case-insensitive, '-' or '_'); -1 when unknown. */
int sl_tcp_state_parse(const char *name);

/* Explain, in one or more sentences, why binding proto to the address
 * bind (IPv4 or IPv6, with its port) failed with EADDRINUSE: which sockets
 * hold that port at an address that overlaps bind's (the same address, or
 * a wildcard on either side) and how (a listener, TIME_WAIT with its time
 * left, another closing state), and whether SO_REUSEADDR would help given
 * that the failed bind used it (reuseaddr) or not. Writes "" when the
 * table cannot be read. */
void sl_port_explain(int proto, const sl_addr *bind, bool reuseaddr, char *buf,
                     size_t len);

/* The process that holds a socket open, from /proc/PID/fd (socket:[INODE]).
 * pid 0 when no visible process holds it (TIME_WAIT, orphans, sockets of
 * other users without privileges). */
typedef struct sl_sockowner {
    uint64_t inode;         /* in: the socket's inode */
    pid_t pid;              /* out */
    int fd;                 /* out: the descriptor number in that process */
    char comm[32];          /* out: /proc/PID/comm */
} sl_sockowner;

/* Fill pid, fd and comm of each of the n owners from one pass over
 * /proc/PID/fd of every process. The array is sorted by inode on return. Processes that
 * vanish or cannot be read are skipped. Returns how many were found, or -1
 * when /proc cannot be read at all. */
int sl_sock_owners(sl_sockowner *owners, size_t n, sl_err *err);

/* The state letter of a process from /proc/PID/stat ('R', 'S', 'Z' ...).
 * Returns 0 and fills *state, or -1 (ENOENT when the process is gone). */
int sl_proc_state(pid_t pid, char *state, sl_err *err);

#endif
