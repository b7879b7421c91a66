/* net/sockopt.c: the one table of socket options socklab knows, and
 * reading, setting, parsing and formatting their values. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include "socklab/sockopt.h"
#include "net/err_internal.h"

#define BOTH (SL_OPT_TCP | SL_OPT_UDP)
#define TCP SL_OPT_TCP
#define UDP SL_OPT_UDP
#define SOCK(o) "SOL_SOCKET", SOL_SOCKET, o
#define TCPL(o) "IPPROTO_TCP", IPPROTO_TCP, o
#define IPL(o) "IPPROTO_IP", IPPROTO_IP, o
#define IP6L(o) "IPPROTO_IPV6", IPPROTO_IPV6, o

static const char fixed_at_creation[] =
    "the type is fixed when the socket is created (socket()'s second argument); "
    "create another socket to get another type";
static const char set_by_kernel[] = "the kernel sets it; it can only be read";

/* The table. Ranges are what --set accepts before the kernel has its say. */
static const sl_sockopt table[] = {
    { "SO_TYPE", SOCK(SO_TYPE), SL_OPT_SOCKTYPE, BOTH, 0, 0, fixed_at_creation, NULL, NULL,
      "socket type: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP)" },
    { "SO_DOMAIN", SOCK(SO_DOMAIN), SL_OPT_FAMILY, BOTH, 0, 0,
      "the family is fixed when the socket is created (socket()'s first argument)", NULL, NULL,
      "address family: AF_INET (IPv4) or AF_INET6 (IPv6)" },
    { "SO_PROTOCOL", SOCK(SO_PROTOCOL), SL_OPT_PROTOCOL, BOTH, 0, 0,
      "the protocol is fixed when the socket is created (socket()'s third argument)", NULL, NULL,
      "protocol: IPPROTO_TCP or IPPROTO_UDP" },
    { "SO_ACCEPTCONN", SOCK(SO_ACCEPTCONN), SL_OPT_BOOL, TCP, 0, 0,
      "listen() turns it on; it can only be read", NULL, NULL,
      "on for a listening socket (after listen())" },
    { "SO_ERROR", SOCK(SO_ERROR), SL_OPT_ERRNO, BOTH, 0, 0, set_by_kernel, NULL, NULL,
      "pending error (e.g. of a non-blocking connect); reading it clears it" },
    { "SO_SNDBUF", SOCK(SO_SNDBUF), SL_OPT_BYTES, BOTH, 0, INT_MAX, NULL,
      "net.ipv4.tcp_wmem[1]", "net.core.wmem_default",
      "send buffer size in bytes (Linux doubles what is set, for bookkeeping)" },
    { "SO_RCVBUF", SOCK(SO_RCVBUF), SL_OPT_BYTES, BOTH, 0, INT_MAX, NULL,
      "net.ipv4.tcp_rmem[1]", "net.core.rmem_default",
      "receive buffer size in bytes (Linux doubles what is set; setting it stops auto-tuning)" },
    { "SO_REUSEADDR", SOCK(SO_REUSEADDR), SL_OPT_BOOL, BOTH, 0, INT_MAX, NULL, NULL, NULL,
      "bind() may take a port that TIME_WAIT connections still hold" },
    { "SO_REUSEPORT", SOCK(SO_REUSEPORT), SL_OPT_BOOL, BOTH, 0, INT_MAX, NULL, NULL, NULL,
      "several sockets may bind the same port; the kernel spreads connections" },
    { "SO_KEEPALIVE", SOCK(SO_KEEPALIVE), SL_OPT_BOOL, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "probe an idle connection to find a dead peer (see TCP_KEEPIDLE/INTVL/CNT)" },
    { "SO_LINGER", SOCK(SO_LINGER), SL_OPT_LINGER, TCP, 0, 65535, NULL, NULL, NULL,
      "close() waits up to N s for unsent data; on with 0 s: close() sends RST" },
    { "SO_RCVLOWAT", SOCK(SO_RCVLOWAT), SL_OPT_BYTES, BOTH, 1, INT_MAX, NULL, NULL, NULL,
      "bytes that must be queued before a read or poll reports data" },
    { "SO_SNDLOWAT", SOCK(SO_SNDLOWAT), SL_OPT_BYTES, BOTH, 0, 0,
      "Linux fixes it at 1 and refuses to change it (ENOPROTOOPT)", NULL, NULL,
      "free send-buffer bytes needed before poll reports writable" },
    { "SO_RCVTIMEO", SOCK(SO_RCVTIMEO), SL_OPT_TIMEVAL, BOTH, 0, 31536000, NULL, NULL, NULL,
      "a blocking read gives up after this long (EAGAIN); 0: waits forever" },
    { "SO_SNDTIMEO", SOCK(SO_SNDTIMEO), SL_OPT_TIMEVAL, BOTH, 0, 31536000, NULL, NULL, NULL,
      "a blocking write or connect gives up after this long; 0: waits forever" },
    { "SO_BROADCAST", SOCK(SO_BROADCAST), SL_OPT_BOOL, UDP, 0, INT_MAX, NULL, NULL, NULL,
      "allow sending to a broadcast address" },
    { "SO_OOBINLINE", SOCK(SO_OOBINLINE), SL_OPT_BOOL, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "urgent (out-of-band) data arrives in the normal stream" },
    { "SO_DONTROUTE", SOCK(SO_DONTROUTE), SL_OPT_BOOL, BOTH, 0, INT_MAX, NULL, NULL, NULL,
      "send only to directly connected hosts, bypassing the routing table" },
    { "SO_PRIORITY", SOCK(SO_PRIORITY), SL_OPT_INT, BOTH, 0, 6, NULL, NULL, NULL,
      "queueing priority of outgoing packets (0-6 without CAP_NET_ADMIN)" },
    { "TCP_NODELAY", TCPL(TCP_NODELAY), SL_OPT_BOOL, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "turn off Nagle's algorithm: send small writes at once instead of coalescing" },
    { "TCP_MAXSEG", TCPL(TCP_MAXSEG), SL_OPT_BYTES, TCP, 88, 32767, NULL, NULL, NULL,
      "maximum segment size: 536 until connected, then from the path's MTU" },
    { "TCP_KEEPIDLE", TCPL(TCP_KEEPIDLE), SL_OPT_INT, TCP, 1, 32767, NULL,
      "net.ipv4.tcp_keepalive_time", NULL,
      "seconds idle before the first keepalive probe (with SO_KEEPALIVE)" },
    { "TCP_KEEPINTVL", TCPL(TCP_KEEPINTVL), SL_OPT_INT, TCP, 1, 32767, NULL,
      "net.ipv4.tcp_keepalive_intvl", NULL, "seconds between keepalive probes" },
    { "TCP_KEEPCNT", TCPL(TCP_KEEPCNT), SL_OPT_INT, TCP, 1, 127, NULL,
      "net.ipv4.tcp_keepalive_probes", NULL,
      "unanswered keepalive probes before the connection is dropped" },
    { "TCP_SYNCNT", TCPL(TCP_SYNCNT), SL_OPT_INT, TCP, 1, 127, NULL,
      "net.ipv4.tcp_syn_retries", NULL, "SYN retransmissions before connect() gives up" },
    { "TCP_USER_TIMEOUT", TCPL(TCP_USER_TIMEOUT), SL_OPT_INT, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "milliseconds sent data may stay unacknowledged before the connection is dropped; 0: system default" },
    { "TCP_CORK", TCPL(TCP_CORK), SL_OPT_BOOL, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "hold partial segments until uncorked (or 200 ms), to send full ones" },
    { "TCP_QUICKACK", TCPL(TCP_QUICKACK), SL_OPT_BOOL, TCP, 0, INT_MAX, NULL, NULL, NULL,
      "acknowledge at once rather than delaying ACKs (not permanent)" },
    { "TCP_CONGESTION", TCPL(TCP_CONGESTION), SL_OPT_STRING, TCP, 0, 0, NULL,
      "net.ipv4.tcp_congestion_control", NULL, "congestion control algorithm" },
    { "IP_TTL", IPL(IP_TTL), SL_OPT_INT, BOTH, 1, 255, NULL, "net.ipv4.ip_default_ttl",
      "net.ipv4.ip_default_ttl", "time to live: routers a packet may cross (IPv4)" },
    { "IP_TOS", IPL(IP_TOS), SL_OPT_INT, BOTH, 0, 255, NULL, NULL, NULL,
      "type of service / DSCP byte of outgoing packets (IPv4)" },
    { "IP_MULTICAST_TTL", IPL(IP_MULTICAST_TTL), SL_OPT_INT, UDP, 0, 255, NULL, NULL, NULL,
      "time to live of outgoing multicast (1: this network only)" },
    { "IP_MULTICAST_LOOP", IPL(IP_MULTICAST_LOOP), SL_OPT_BOOL, UDP, 0, 1, NULL, NULL, NULL,
      "deliver our own multicast to this host too" },
    { "IPV6_V6ONLY", IP6L(IPV6_V6ONLY), SL_OPT_BOOL, BOTH, 0, INT_MAX, NULL,
      "net.ipv6.bindv6only", "net.ipv6.bindv6only",
      "IPv6 only; off: the socket also serves IPv4 as ::ffff:a.b.c.d" },
    { "IPV6_UNICAST_HOPS", IP6L(IPV6_UNICAST_HOPS), SL_OPT_INT, BOTH, 1, 255, NULL,
      "net.ipv6.conf.all.hop_limit", "net.ipv6.conf.all.hop_limit",
      "hop limit: routers a packet may cross (IPv6's TTL)" },
    { "IPV6_MULTICAST_HOPS", IP6L(IPV6_MULTICAST_HOPS), SL_OPT_INT, UDP, 0, 255, NULL, NULL, NULL,
      "hop limit of outgoing multicast (IPv6)" },
};

const sl_sockopt *sl_sockopt_table(size_t *count)
{
    *count = sizeof(table) / sizeof(table[0]);
    return table;
}

const sl_sockopt *sl_sockopt_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcasecmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

bool sl_sockopt_applies(const sl_sockopt *o, int family, int socktype)
{
    unsigned want = socktype == SOCK_DGRAM ? SL_OPT_UDP : SL_OPT_TCP;
    if ((o->sockets & want) == 0)
        return false;
    if (o->level == IPPROTO_IP)
        return family == AF_INET;
    if (o->level == IPPROTO_IPV6)
        return family == AF_INET6;
    return true;
}

/* Read an option whose value is an int. */
static int get_int(int fd, const sl_sockopt *o, sl_optval *v, sl_err *err)
{
    int val = 0;
    socklen_t len = sizeof(val);
    if (getsockopt(fd, o->level, o->option, &val, &len) < 0)
        return sl__err_sys(err, "getsockopt %s", o->name);
    v->num = val;
    v->on = val != 0;
    return 0;
}

int sl_sockopt_get(int fd, const sl_sockopt *o, sl_optval *v, sl_err *err)
{
    memset(v, 0, sizeof(*v));
    if (o->type == SL_OPT_LINGER) {
        struct linger l = { 0, 0 };
        socklen_t len = sizeof(l);
        if (getsockopt(fd, o->level, o->option, &l, &len) < 0)
            return sl__err_sys(err, "getsockopt %s", o->name);
        v->on = l.l_onoff != 0;
        v->num = l.l_linger;
    } else if (o->type == SL_OPT_TIMEVAL) {
        struct timeval tv = { 0, 0 };
        socklen_t len = sizeof(tv);
        if (getsockopt(fd, o->level, o->option, &tv, &len) < 0)
            return sl__err_sys(err, "getsockopt %s", o->name);
        v->num = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
        v->on = v->num != 0;
    } else if (o->type == SL_OPT_STRING) {
        socklen_t len = sizeof(v->str) - 1;
        if (getsockopt(fd, o->level, o->option, v->str, &len) < 0)
            return sl__err_sys(err, "getsockopt %s", o->name);
        v->str[len < sizeof(v->str) ? len : sizeof(v->str) - 1] = '\0';
    } else {
        return get_int(fd, o, v, err);
    }
    return 0;
}

int sl_sockopt_set(int fd, const sl_sockopt *o, const sl_optval *v, sl_err *err)
{
    int rc;
    if (o->readonly != NULL)
        return sl__err(err, SL_EINPUT, ENOPROTOOPT, "%s cannot be set: %s", o->name,
                       o->readonly);
    if (o->type == SL_OPT_LINGER) {
        struct linger l = { v->on ? 1 : 0, (int)v->num };
        rc = setsockopt(fd, o->level, o->option, &l, sizeof(l));
    } else if (o->type == SL_OPT_TIMEVAL) {
        struct timeval tv = { (time_t)(v->num / 1000000), (suseconds_t)(v->num % 1000000) };
        rc = setsockopt(fd, o->level, o->option, &tv, sizeof(tv));
    } else if (o->type == SL_OPT_STRING) {
        rc = setsockopt(fd, o->level, o->option, v->str, (socklen_t)strlen(v->str));
    } else {
        int val = (int)v->num;
        rc = setsockopt(fd, o->level, o->option, &val, sizeof(val));
    }
    if (rc < 0)
        return sl__err_sys(err, "setsockopt %s", o->name);
    return 0;
}
