/* net/capture.c: parsing TCP segments out of captured frames, the segment
 * list, and following a connection's states through its segments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "socklab/capture.h"
#include "socklab/diag.h"
#include "net/addr_internal.h"
#include "net/err_internal.h"

/* Big-endian loads (frames are not aligned). */
static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An address from the wire: raw bytes and a port in network order. */
static void set_addr(sl_addr *a, int family, const uint8_t *raw, const uint8_t *port)
{
    uint16_t p;
    memcpy(&p, port, 2);
    sl__addr_raw(a, family, raw, p);
}

/* Parse the TCP header at tcp (cap bytes captured; seglen bytes of header
 * and payload on the wire) into seg. Returns 1, or 0 when malformed. */
static int parse_tcp(const uint8_t *tcp, size_t cap, size_t seglen, sl_segment *seg)
{
    size_t hlen;
    if (cap < 20 || seglen < 20)
        return 0;
    hlen = (size_t)(tcp[12] >> 4) * 4;
    if (hlen < 20 || hlen > seglen)
        return 0;
    seg->seq = be32(tcp + 4);
    seg->ack = be32(tcp + 8);
    seg->flags = tcp[13] & 0x3f;
    seg->win = be16(tcp + 14);
    seg->len = (uint32_t)(seglen - hlen);
    return 1;
}

/* An IPv4 packet of cap captured bytes. */
static int parse_ipv4(const uint8_t *ip, size_t cap, sl_segment *seg)
{
    size_t ihl, total;
    if (cap < 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP)
        return 0;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    total = be16(ip + 2);
    /* A later fragment has no TCP header; the first one is parsed as is. */
    if (ihl < 20 || total < ihl || cap < ihl + 20 || (be16(ip + 6) & 0x1fff) != 0)
        return 0;
    if (!parse_tcp(ip + ihl, cap - ihl, total - ihl, seg))
        return 0;
    set_addr(&seg->src, AF_INET, ip + 12, ip + ihl);
    set_addr(&seg->dst, AF_INET, ip + 16, ip + ihl + 2);
    return 1;
}

/* An IPv6 packet without extension headers. */
static int parse_ipv6(const uint8_t *ip, size_t cap, sl_segment *seg)
{
    if (cap < 40 + 20 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP)
        return 0;
    if (!parse_tcp(ip + 40, cap - 40, be16(ip + 4), seg))
        return 0;
    set_addr(&seg->src, AF_INET6, ip + 8, ip + 40);
    set_addr(&seg->dst, AF_INET6, ip + 24, ip + 42);
    return 1;
}

int sl_segment_parse(int linktype, const uint8_t *frame, size_t len, sl_segment *seg)
{
    memset(seg, 0, sizeof(*seg));
    if (linktype == SL_LINK_ETHERNET) {
        uint16_t type;
        if (len < 14)
            return 0;
        type = be16(frame + 12);
        frame += 14;
        len -= 14;
        if (type == 0x0800)
            return parse_ipv4(frame, len, seg);
        return type == 0x86dd ? parse_ipv6(frame, len, seg) : 0;
    }
    if (linktype != SL_LINK_RAW || len < 1)
        return 0;
    return (frame[0] >> 4) == 4 ? parse_ipv4(frame, len, seg) : parse_ipv6(frame, len, seg);
}

char *sl_segment_flags(uint8_t flags, char *buf, size_t len)
{
    static const struct { uint8_t bit; const char *name; } names[] = {
        { SL_TH_SYN, "SYN" }, { SL_TH_FIN, "FIN" }, { SL_TH_RST, "RST" },
        { SL_TH_PSH, "PSH" }, { SL_TH_ACK, "ACK" }, { SL_TH_URG, "URG" },
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int n;
        if (!(flags & names[i].bit) || used >= len)
            continue;
        n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "none");
    return buf;
}

int sl_seglist_add(sl_seglist *l, const sl_segment *seg, sl_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        sl_segment *s = realloc(l->seg, cap * sizeof(*s));
        if (s == NULL)
            return sl__err_sys(err, "segment list");
        l->seg = s;
        l->cap = cap;
    }
    l->seg[l->n++] = *seg;
    return 0;
}

void sl_seglist_free(sl_seglist *l)
{
    free(l->seg);
    l->seg = NULL;
    l->n = l->cap = 0;
}

void sl_track_init(sl_track *t)
{
    memset(t, 0, sizeof(*t));
    t->state_a = t->state_b = SL_TCP_CLOSE;
}

/* a - b > 0 in sequence space (wraps at 2^32). */
static bool seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* The sender's side of a segment: SYN_SENT, SYN_RECV, FIN_WAIT1, LAST_ACK. */
static void on_send(int *state, uint32_t *isn, bool *have_isn, uint32_t *fin_seq,
                    bool *fin, const sl_segment *s)
{
    if (s->flags & SL_TH_SYN) {
        *isn = s->seq;
        *have_isn = true;
        if (!(s->flags & SL_TH_ACK) && *state == SL_TCP_CLOSE)
            *state = SL_TCP_SYN_SENT;
        else if ((s->flags & SL_TH_ACK) && *state == SL_TCP_LISTEN)
            *state = SL_TCP_SYN_RECV;
    }
    if ((s->flags & SL_TH_FIN) && !*fin) {
        *fin = true;
        *fin_seq = s->seq + s->len + ((s->flags & SL_TH_SYN) ? 1 : 0);
        if (*state == SL_TCP_ESTABLISHED || *state == SL_TCP_SYN_RECV)
            *state = SL_TCP_FIN_WAIT1;
        else if (*state == SL_TCP_CLOSE_WAIT)
            *state = SL_TCP_LAST_ACK;
    }
    if (s->flags & SL_TH_RST)
        *state = SL_TCP_CLOSE;
}

/* The receiver's side: the ACK first (it may acknowledge our FIN), then
 * the FIN, as RFC 793's segment processing orders them. */
static void on_receive(int *state, uint32_t fin_seq, bool fin, const sl_segment *s)
{
    if (s->flags & SL_TH_RST) {
        *state = SL_TCP_CLOSE;
        return;
    }
    if ((s->flags & SL_TH_SYN) && !(s->flags & SL_TH_ACK) && *state == SL_TCP_LISTEN)
        *state = SL_TCP_SYN_RECV;
    else if ((s->flags & SL_TH_SYN) && *state == SL_TCP_SYN_SENT)
        *state = SL_TCP_ESTABLISHED;
    else if ((s->flags & SL_TH_ACK) && *state == SL_TCP_SYN_RECV)
        *state = SL_TCP_ESTABLISHED;
    if ((s->flags & SL_TH_ACK) && fin && !seq_after(fin_seq + 1, s->ack)) {
        if (*state == SL_TCP_FIN_WAIT1)
            *state = SL_TCP_FIN_WAIT2;
        else if (*state == SL_TCP_CLOSING)
            *state = SL_TCP_TIME_WAIT;
        else if (*state == SL_TCP_LAST_ACK)
            *state = SL_TCP_CLOSE;
    }
    if (s->flags & SL_TH_FIN) {
        if (*state == SL_TCP_ESTABLISHED)
            *state = SL_TCP_CLOSE_WAIT;
        else if (*state == SL_TCP_FIN_WAIT1)
            *state = SL_TCP_CLOSING;
        else if (*state == SL_TCP_FIN_WAIT2)
            *state = SL_TCP_TIME_WAIT;
    }
}

/* The first segment names the two sides; a bare SYN means b listens. */
static void track_start(sl_track *t, const sl_segment *s)
{
    t->a = s->src;
    t->b = s->dst;
    t->started = true;
    if ((s->flags & SL_TH_SYN) && !(s->flags & SL_TH_ACK)) {
        t->state_b = SL_TCP_LISTEN;
    } else {
        /* Joined mid-connection: both were established. */
        t->state_a = t->state_b = SL_TCP_ESTABLISHED;
    }
}

int sl_track_segment(sl_track *t, const sl_segment *s)
{
    bool from_a;
    if (!t->started)
        track_start(t, s);
    if (sl_addr_equal(&s->src, &t->a) && sl_addr_equal(&s->dst, &t->b))
        from_a = true;
    else if (sl_addr_equal(&s->src, &t->b) && sl_addr_equal(&s->dst, &t->a))
        from_a = false;
    else
        return 0;
    if (from_a && s->event != SL_SEG_ARRIVED)
        on_send(&t->state_a, &t->isn_a, &t->have_isn_a, &t->fin_seq_a, &t->fin_a, s);
    if (from_a && s->event != SL_SEG_SENT)
        on_receive(&t->state_b, t->fin_seq_b, t->fin_b, s);
    if (!from_a && s->event != SL_SEG_ARRIVED)
        on_send(&t->state_b, &t->isn_b, &t->have_isn_b, &t->fin_seq_b, &t->fin_b, s);
    if (!from_a && s->event != SL_SEG_SENT)
        on_receive(&t->state_a, t->fin_seq_a, t->fin_a, s);
    return from_a ? 1 : 2;
}
