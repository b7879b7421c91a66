/* net/explain.c: why bind() said "Address already in use", in words, from
 * the kernel's socket table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "socklab/diag.h"

typedef struct holders {
    uint16_t port;
    int count[SL_TCP_STATE_MAX];
    uint32_t tw_max_ms;          /* longest TIME_WAIT time left */
    uint32_t closing_max_ms;     /* longest timer of other closing states */
} holders;

/* Count the sockets bound to the port by state. */
static int count_holder(const sl_sockinfo *info, void *arg)
{
    holders *h = arg;
    if (sl_addr_port(&info->local) != h->port)
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
        (unsigned)h->port, h->count[SL_TCP_TIME_WAIT] == 1 ? "is" : "are", secs);
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

void sl_port_explain(int proto, uint16_t port, bool reuseaddr, char *buf, size_t len)
{
    holders h;
    size_t used = 0;

    memset(&h, 0, sizeof(h));
    h.port = port;
    buf[0] = '\0';
    if (sl_socktable_scan(proto, AF_UNSPEC, count_holder, &h, NULL, NULL) < 0)
        return;
    if (proto == IPPROTO_UDP) {
        if (h.count[SL_TCP_CLOSE] + h.count[SL_TCP_ESTABLISHED] > 0)
            add(buf, len, &used, "A UDP socket is bound to port %u; only one may "
                "be, unless every one of them sets SO_REUSEPORT.", (unsigned)port);
        return;
    }
    if (h.count[SL_TCP_LISTEN] > 0)
        add(buf, len, &used, "A listening socket holds port %u: a server is running "
            "there, and SO_REUSEADDR never lets two servers listen on one port. Stop "
            "it or choose another port. ", (unsigned)port);
    else if (h.count[SL_TCP_TIME_WAIT] > 0)
        explain_timewait(&h, reuseaddr, buf, len, &used);
    explain_others(&h, buf, len, &used);
    if (used == 0)
        add(buf, len, &used, "No socket in the kernel's table holds port %u now: it "
            "may have been freed since, or a socket is bound to it without listening.",
            (unsigned)port);
    while (used > 0 && buf[used - 1] == ' ')
        buf[--used] = '\0';
}
