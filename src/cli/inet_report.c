/* cli/inet_report.c: `socklab inet`: run what the options ask for (the
 * library does the work) and print it as text. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cli/inet_cli.h"

/* Convert one address and classify what pton (or else aton) understood. */
static int measure_addr(const char *text, inet_addr_report *a, sl_err *err)
{
    const sl_inet_conv *c = &a->conv;
    if (sl_inet_convert(text, &a->conv, err) < 0)
        return -1;
    if (c->pton4_ret == 1) {
        a->class_from = "inet_pton";
        return sl_inet_classify(AF_INET, c->pton4, &a->cls, err);
    }
    if (c->pton6_ret == 1) {
        a->class_from = "inet_pton";
        return sl_inet_classify(AF_INET6, c->pton6, &a->cls, err);
    }
    if (c->aton_ret == 1) {
        a->class_from = "inet_aton";
        return sl_inet_classify(AF_INET, (const unsigned char *)&c->aton_addr, &a->cls, err);
    }
    return 0;
}

/* The pitfalls, run for real. */
static int measure_pitfalls(inet_pitfalls *p, sl_err *err)
{
    static const char *const shorthand[] = { "127.1", "0x7f.1", "010.1" };
    struct in_addr a, b;
    if (sl_inet_convert("1.2.3.256", &p->bad, err) < 0 ||
        sl_inet_convert("255.255.255.255", &p->broadcast, err) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (sl_inet_convert(shorthand[i], &p->shorthand[i], err) < 0)
            return -1;
    inet_pton(AF_INET, "1.2.3.4", &a);
    inet_pton(AF_INET, "5.6.7.8", &b);
    sl_inet_ntoa_demo(a, b, &p->ntoa);
    return 0;
}

int inet_measure(const inet_opts *o, inet_report *r, sl_err *err)
{
    r->big_endian = sl_host_big_endian();
    for (size_t i = 0; i < o->norder; i++) {
        inet_order_report *v = &r->order[i];
        uint32_t value;
        if (sl_inet_parse_u32(o->order[i], &value, err) < 0) {
            char msg[SL_ERRLEN];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            snprintf(err->msg, sizeof(err->msg), "--order: %.700s", msg);
            return -1;
        }
        v->has16 = value <= 0xffff;
        if ((v->has16 && sl_order_view_make(value, 16, &v->v16, err) < 0) ||
            sl_order_view_make(value, 32, &v->v32, err) < 0)
            return -1;
        r->norder++;
    }
    for (size_t i = 0; i < o->naddr; i++) {
        if (measure_addr(o->addr[i], &r->addr[i], err) < 0)
            return -1;
        r->naddr++;
    }
    r->has_pitfalls = o->pitfalls;
    return o->pitfalls ? measure_pitfalls(&r->pit, err) : 0;
}

/* "12 34" for the first n bytes of b. */
static const char *hex_bytes(const unsigned char *b, size_t n, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at + 4 < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%02x", i ? " " : "", b[i]);
    return buf;
}

/* One width of one --order value. */
static void print_view(const sl_order_view *v)
{
    char a[16], b[16];
    const char *h = v->width == 16 ? "htons" : "htonl", *n = v->width == 16 ? "ntohs" : "ntohl";
    int digits = v->width / 4;
    size_t nb = (size_t)v->width / 8;
    printf("  as uint%d_t         in memory: %s\n", v->width, hex_bytes(v->host, nb, a, sizeof(a)));
    printf("  %s(0x%0*x) = 0x%0*x   in memory: %s   (network order: most significant byte first)\n",
           h, digits, v->value, digits, v->hton, hex_bytes(v->net, nb, b, sizeof(b)));
    printf("  %s(0x%0*x) = 0x%0*x   %s\n", n, digits, v->value, digits, v->ntoh,
           v->hton == v->ntoh ? "(the same operation: both swap, or neither)" : "");
    printf("  %s(%s(0x%0*x)) = 0x%0*x\n", n, h, digits, v->value, digits, v->round_trip);
}

static void print_order(const inet_report *r)
{
    printf("host byte order: %s; network byte order is big-endian\n",
           r->big_endian ? "big-endian (most significant byte first), the same as the network: "
                           "hton*/ntoh* change nothing here"
                         : "little-endian (least significant byte first)");
    for (size_t i = 0; i < r->norder; i++) {
        const inet_order_report *o = &r->order[i];
        printf("\nvalue 0x%x (%u)\n", o->v32.value, o->v32.value);
        if (o->has16)
            print_view(&o->v16);
        print_view(&o->v32);
    }
}

/* What inet_addr's answer means. */
static const char *addr_words(const sl_inet_conv *c)
{
    if (!c->addr_none)
        return "(the address, in network order)";
    return c->aton_ret == 1 ? "INADDR_NONE, here the valid 255.255.255.255 (inet_aton says 1)"
                            : "INADDR_NONE: an error (inet_aton says 0), yet also the value "
                              "of 255.255.255.255";
}

/* The conversions of one text. */
static void print_conv(const sl_inet_conv *c)
{
    char b[16];
    printf("  inet_addr           returns 0x%08x   in memory: %s   %s\n", (unsigned)c->addr_ret,
           hex_bytes((const unsigned char *)&c->addr_ret, 4, b, sizeof(b)), addr_words(c));
    if (c->aton_ret == 1)
        printf("  inet_aton           returns 1   inet_ntoa: %s\n", c->ntoa);
    else
        printf("  inet_aton           returns 0   (not an IPv4 address in any form it reads)\n");
    if (c->pton4_ret == 1)
        printf("  inet_pton AF_INET   returns 1   inet_ntop: %s\n", c->ntop4);
    else
        printf("  inet_pton AF_INET   returns 0   (it reads only the full dotted quad a.b.c.d)\n");
    if (c->pton6_ret == 1)
        printf("  inet_pton AF_INET6  returns 1   inet_ntop: %s\n", c->ntop6);
    else
        printf("  inet_pton AF_INET6  returns 0   (not an IPv6 address)\n");
}

/* The class and ranges of what was understood. */
static void print_class(const inet_addr_report *a)
{
    const sl_inet_class *k = &a->cls;
    if (a->class_from == NULL) {
        printf("  class               - (no function read an address)\n");
        return;
    }
    if (k->family == AF_INET && k->classful_prefix > 0)
        printf("  class               %c (leading bits %s: classful network /%d), as %s reads it\n",
               k->cls, k->lead_bits, k->classful_prefix, a->class_from);
    else if (k->family == AF_INET)
        printf("  class               %c (leading bits %s: %s), as %s reads it\n", k->cls,
               k->lead_bits, k->cls == 'D' ? "multicast, no network part" : "reserved",
               a->class_from);
    else
        printf("  class               - (IPv6 has no classes)\n");
    for (size_t i = 0; i < k->nranges; i++)
        printf("  %-19s %s %s: %s (%s)\n", i ? "" : "range", k->ranges[i].prefix,
               k->ranges[i].kind, k->ranges[i].meaning, k->ranges[i].rfc);
    if (k->global)
        printf("  range               none special: a global address, routable on the Internet\n");
}

static void print_pitfalls(const inet_pitfalls *p)
{
    const sl_ntoa_demo *d = &p->ntoa;
    printf("\npitfalls\n");
    printf("  1. inet_addr(\"1.2.3.256\")       = 0x%08x (INADDR_NONE%s)\n",
           (unsigned)p->bad.addr_ret, p->bad.addr_none ? ", the error value" : "");
    printf("     inet_addr(\"255.255.255.255\") = 0x%08x: a valid address gives the error value;\n"
           "     inet_aton and inet_pton return the status apart from the address (%d and %d)\n",
           (unsigned)p->broadcast.addr_ret, p->broadcast.aton_ret, p->broadcast.pton4_ret);
    printf("  2. p1 = inet_ntoa(1.2.3.4) -> \"%s\"; p2 = inet_ntoa(5.6.7.8) -> \"%s\";\n"
           "     p1 now reads \"%s\"%s\n", d->first, d->second, d->first_later,
           d->same_buffer ? ": p1 == p2, one static buffer that each call overwrites "
                            "(copy it, or use inet_ntop with your own buffer)"
                          : " (this C library gave two buffers)");
    printf("  3. shorthand forms (a.b means a.0.0.b; 0x hex and 0 octal parts):\n");
    for (size_t i = 0; i < 3; i++) {
        const sl_inet_conv *c = &p->shorthand[i];
        printf("     %-8s inet_aton %d -> %-10s inet_pton %d%s\n", c->text, c->aton_ret,
               c->aton_ret ? c->ntoa : "-", c->pton4_ret,
               c->pton4_ret ? "" : " (refused: only a.b.c.d in decimal)");
    }
}

void inet_print_text(const inet_report *r)
{
    if (r->norder > 0 || r->naddr == 0)
        print_order(r);
    for (size_t i = 0; i < r->naddr; i++) {
        printf("%saddress %s\n", i || r->norder ? "\n" : "", r->addr[i].conv.text);
        print_conv(&r->addr[i].conv);
        print_class(&r->addr[i]);
    }
    if (r->has_pitfalls)
        print_pitfalls(&r->pit);
}
