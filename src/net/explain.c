/* net/explain.c: why bind() said "Address already in use", in words, from
 * the kernel's socket table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "socklab/diag.h"
#include "net/addr_internal.h"

typedef struct holders {
    const sl_addr *bind;         /* the address whose bind failed */
    int count[SL_TCP_STATE_MAX];
    uint32_t tw_max_ms;          /* longest TIME_WAIT time left */
    uint32_t closing_max_ms;     /* longest timer of other closing states */
} holders;

/* True for 0.0.0.0 and ::. */
static bool is_any(const sl_addr *a)
{
    if (a->u.sa.sa_family == AF_INET)
        return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
    return a->u.sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
}

/* True when a socket bound to local on the same port stands in the way of
 * a bind to want: the same address, or a wildcard on either side that
 * covers the other (:: covers IPv4 too, as sockets are dual-stack unless
 * IPV6_V6ONLY, which the table does not show). 127.0.0.1:P and
 * 127.0.0.3:P do not collide. */
static bool overlaps(const sl_addr *want, const sl_addr *local)
{
    struct in_addr a4 = { 0 }, b4 = { 0 };
    bool a_v4 = sl__addr_v4(want, &a4), b_v4 = sl__addr_v4(local, &b4);
    if (is_any(want) && is_any(local))
        return true;
    if (is_any(want))
        return want->u.sa.sa_family == AF_INET6 || b_v4;
    if (is_any(local))
        return local->u.sa.sa_family == AF_INET6 || a_v4;
    if (a_v4 || b_v4)
        return a_v4 && b_v4 && a4.s_addr == b4.s_addr;
    return IN6_ARE_ADDR_EQUAL(&want->u.in6.sin6_addr, &local->u.in6.sin6_addr);
}

/* Count the sockets that stand in the way of the bind, by state. */
static int count_holder(const sl_sockinfo *info, void *arg)
{
    holders *h = arg;
    if (sl_addr_port(&info->local) != sl_addr_port(h->bind) ||
        !overlaps(h->bind, &info->local))
        return 0;
    if (info->state > 0 && info->state < SL_TCP_STATE_MAX)
        h->count[info->state]++;
    if (info->state == SL_TCP_TIME_WAIT && info->expires_ms > h->tw_max_ms)
        h->tw_max_ms = info->expires_ms;
    else if (info->timer != SL_TIMER_NONE && info->expires_ms > h->closing_max_ms)
        h->closing_max_ms = info->expires_ms;
    return 0;
}

/* Append formatted text to buf at *used, never overflowing. */
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (*used >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

/* The TIME_WAIT part of the explanation. */
static void explain_timewait(const holders *h, bool reuseaddr, char *buf, size_t len,
                             size_t *used)
{
    unsigned secs = (h->tw_max_ms + 999) / 1000;
    add(buf, len, used,
        "%d connection%s on port %u %s in TIME_WAIT: the side that closed first "
        "waits 2 MSL (60 s on Linux) before the port is free; free in about %u s. ",
        h->count[SL_TCP_TIME_WAIT], h->count[SL_TCP_TIME_WAIT] == 1 ? "" : "s",
        (unsigned)sl_addr_port(h->bind), h->count[SL_TCP_TIME_WAIT] == 1 ? "is" : "are", secs);
    if (reuseaddr)
        add(buf, len, used,
            "This bind set SO_REUSEADDR, so the socket that left them did not: Linux "
            "reuses a TIME_WAIT port only when both sockets set SO_REUSEADDR.");
    else
        add(buf, len, used,
            "SO_REUSEADDR would allow this bind if the server that left them set it "
            "too (Linux requires both; socklab sets it unless --no-reuseaddr is given).");
}

/* Name the other states that hold the port ("FIN_WAIT2 x1, ..."). */
static void explain_others(const holders *h, char *buf, size_t len, size_t *used)
{
    bool any = false;
    for (int s = 1; s < SL_TCP_STATE_MAX; s++) {
        if (s == SL_TCP_LISTEN || s == SL_TCP_TIME_WAIT || h->count[s] == 0)
            continue;
        add(buf, len, used, "%s%s x%d", any ? ", " : "Also held by: ",
            sl_tcp_state_name(s), h->count[s]);
        any = true;
    }
    if (any && h->closing_max_ms > 0)
        add(buf, len, used, " (closing; the longest timer ends in about %u s)",
            (unsigned)((h->closing_max_ms + 999) / 1000));
    if (any)
        add(buf, len, used, ". ");
}

void sl_port_explain(int proto, const sl_addr *bind, bool reuseaddr, char *buf, size_t len)
{
    holders h;
    size_t used = 0;
    unsigned port = sl_addr_port(bind);

    memset(&h, 0, sizeof(h));
    h.bind = bind;
    buf[0] = '\0';
    if (sl_socktable_scan(proto, AF_UNSPEC, count_holder, &h, NULL, NULL) < 0)
        return;
    if (proto == IPPROTO_UDP) {
        if (h.count[SL_TCP_CLOSE] + h.count[SL_TCP_ESTABLISHED] > 0)
            add(buf, len, &used, "A UDP socket is bound to port %u; only one may "
                "be, unless every one of them sets SO_REUSEPORT.", port);
        return;
    }
    if (h.count[SL_TCP_LISTEN] > 0)
        add(buf, len, &used, "A listening socket holds port %u: a server is running "
            "there, and SO_REUSEADDR never lets two servers listen on one port. Stop "
            "it or choose another port. ", port);
    else if (h.count[SL_TCP_TIME_WAIT] > 0)
        explain_timewait(&h, reuseaddr, buf, len, &used);
    explain_others(&h, buf, len, &used);
    if (used == 0)
        add(buf, len, &used, "No socket in the kernel's table holds port %u now: it "
            "may have been freed since, or a socket is bound to it without listening.",
            port);
    while (used > 0 && buf[used - 1] == ' ')
        buf[--used] = '\0';
}
