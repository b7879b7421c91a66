/* net/inet.c: byte order views, the inet_* conversions run for real, and
 * the IPv4 classes and special ranges of IPv4 and IPv6 addresses. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "socklab/inet.h"
#include "net/err_internal.h"

bool sl_host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

int sl_order_view_make(uint32_t value, int width, sl_order_view *v, sl_err *err)
{
    memset(v, 0, sizeof(*v));
    if (width != 16 && width != 32)
        return sl__err(err, SL_EINPUT, EINVAL, "byte order: width %d is not 16 or 32", width);
    if (width == 16 && value > 0xffff)
        return sl__err(err, SL_EINPUT, ERANGE,
                       "byte order: 0x%x does not fit in 16 bits (htons takes a uint16_t)",
                       (unsigned)value);
    v->width = width;
    v->value = value;
    if (width == 16) {
        uint16_t h = (uint16_t)value, n = htons(h);
        v->hton = n;
        v->ntoh = ntohs(h);
        v->round_trip = ntohs(n);
        memcpy(v->host, &h, 2);
        memcpy(v->net, &n, 2);
    } else {
        uint32_t n = htonl(value);
        v->hton = n;
        v->ntoh = ntohl(value);
        v->round_trip = ntohl(n);
        memcpy(v->host, &value, 4);
        memcpy(v->net, &n, 4);
    }
    return 0;
}

int sl_inet_parse_u32(const char *text, uint32_t *value, sl_err *err)
{
    char *end;
    unsigned long long v;
    if (text == NULL || !isdigit((unsigned char)text[0]) || strlen(text) > 34)
        return sl__err(err, SL_EINPUT, EINVAL,
                       "'%.40s': not a number (decimal, 0x hex or 0 octal)", text ? text : "");
    errno = 0;
    v = strtoull(text, &end, 0);
    if (*end != '\0')
        return sl__err(err, SL_EINPUT, EINVAL,
                       "'%.40s': not a number (decimal, 0x hex or 0 octal)", text);
    if (errno == ERANGE || v > 0xffffffffULL)
        return sl__err(err, SL_EINPUT, ERANGE, "'%.40s': larger than 0xffffffff", text);
    *value = (uint32_t)v;
    return 0;
}

/* Refuse text no conversion should be handed: too long, control bytes,
 * spaces (inet_aton stops at a space and accepts what came before). */
static int check_text(const char *text, sl_err *err)
{
    size_t n = strlen(text);
    if (n == 0)
        return sl__err(err, SL_EINPUT, EINVAL, "address: empty");
    if (n >= SL_INET_TEXTLEN)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                       "address: %zu characters, longer than any address (at most %d)",
                       n, SL_INET_TEXTLEN - 1);
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)text[i]))
            return sl__err(err, SL_EINPUT, EINVAL,
                           "address: character %zu is a control character, space or "
                           "non-ASCII byte", i + 1);
    return 0;
}

int sl_inet_convert(const char *text, sl_inet_conv *c, sl_err *err)
{
    memset(c, 0, sizeof(*c));
    if (text == NULL || check_text(text, err) < 0)
        return text == NULL ? sl__err(err, SL_EINPUT, EINVAL, "address: missing") : -1;
    memcpy(c->text, text, strlen(text) + 1);
    c->addr_ret = inet_addr(text);
    c->addr_none = c->addr_ret == INADDR_NONE;
    c->aton_ret = inet_aton(text, &c->aton_addr);
    if (c->aton_ret)
        snprintf(c->ntoa, sizeof(c->ntoa), "%s", inet_ntoa(c->aton_addr));
    c->pton4_ret = inet_pton(AF_INET, text, c->pton4);
    if (c->pton4_ret == 1 && inet_ntop(AF_INET, c->pton4, c->ntop4, sizeof(c->ntop4)) == NULL)
        return sl__err_sys(err, "inet_ntop AF_INET");
    c->pton6_ret = inet_pton(AF_INET6, text, c->pton6);
    if (c->pton6_ret == 1 && inet_ntop(AF_INET6, c->pton6, c->ntop6, sizeof(c->ntop6)) == NULL)
        return sl__err_sys(err, "inet_ntop AF_INET6");
    return 0;
}

void sl_inet_ntoa_demo(struct in_addr a, struct in_addr b, sl_ntoa_demo *d)
{
    /* Deliberately the textbook's misuse: keep p1 across a second call. */
    const char *p1 = inet_ntoa(a);
    const char *p2;
    snprintf(d->first, sizeof(d->first), "%s", p1);
    p2 = inet_ntoa(b);
    snprintf(d->first_later, sizeof(d->first_later), "%s", p1);
    snprintf(d->second, sizeof(d->second), "%s", p2);
    d->same_buffer = p1 == p2;
}

/* The special-purpose ranges (IANA registries, RFC 6890 and RFC 5156 in
 * spirit), IPv4 then IPv6. Class E is listed as "reserved". */
static const struct range_entry {
    int family;
    sl_inet_range r;
} ranges[] = {
    { AF_INET, { "0.0.0.0/8", "this-network", "\"this host on this network\": valid only as a source while a host learns its address", "RFC 1122" } },
    { AF_INET, { "0.0.0.0/32", "unspecified", "INADDR_ANY: bind to every local address; never a destination", "RFC 1122" } },
    { AF_INET, { "10.0.0.0/8", "private", "private network, not routed on the Internet (NAT)", "RFC 1918" } },
    { AF_INET, { "100.64.0.0/10", "cgnat", "shared address space for carrier-grade NAT", "RFC 6598" } },
    { AF_INET, { "127.0.0.0/8", "loopback", "never leaves the host (127.0.0.1 is localhost)", "RFC 1122" } },
    { AF_INET, { "169.254.0.0/16", "link-local", "self-assigned when no DHCP server answers; not routed", "RFC 3927" } },
    { AF_INET, { "172.16.0.0/12", "private", "private network, not routed on the Internet (NAT)", "RFC 1918" } },
    { AF_INET, { "192.0.0.0/24", "ietf", "IETF protocol assignments", "RFC 6890" } },
    { AF_INET, { "192.0.2.0/24", "documentation", "TEST-NET-1, for examples in documentation", "RFC 5737" } },
    { AF_INET, { "192.168.0.0/16", "private", "private network, not routed on the Internet (NAT)", "RFC 1918" } },
    { AF_INET, { "198.18.0.0/15", "benchmarking", "network device benchmarking", "RFC 2544" } },
    { AF_INET, { "198.51.100.0/24", "documentation", "TEST-NET-2, for examples in documentation", "RFC 5737" } },
    { AF_INET, { "203.0.113.0/24", "documentation", "TEST-NET-3, for examples in documentation", "RFC 5737" } },
    { AF_INET, { "224.0.0.0/4", "multicast", "class D: one sender, a group of receivers", "RFC 5771" } },
    { AF_INET, { "224.0.0.0/24", "multicast-local", "local network control multicast (never forwarded)", "RFC 5771" } },
    { AF_INET, { "240.0.0.0/4", "reserved", "reserved (class E), not usable", "RFC 1112" } },
    { AF_INET, { "255.255.255.255/32", "broadcast", "limited broadcast, every host on this link (INADDR_BROADCAST; also INADDR_NONE)", "RFC 919" } },
    { AF_INET6, { "::/128", "unspecified", "in6addr_any: bind to every local address; never a destination", "RFC 4291" } },
    { AF_INET6, { "::1/128", "loopback", "never leaves the host", "RFC 4291" } },
    { AF_INET6, { "::ffff:0:0/96", "ipv4-mapped", "an IPv4 address seen through an IPv6 socket", "RFC 4291" } },
    { AF_INET6, { "64:ff9b::/96", "nat64", "IPv4 addresses embedded for NAT64 translation", "RFC 6052" } },
    { AF_INET6, { "100::/64", "discard", "discard-only prefix (remote triggered black hole)", "RFC 6666" } },
    { AF_INET6, { "2000::/3", "global-unicast", "routable on the Internet", "RFC 4291" } },
    { AF_INET6, { "2001:db8::/32", "documentation", "for examples in documentation", "RFC 3849" } },
    { AF_INET6, { "2002::/16", "6to4", "an IPv4 address tunnelled inside", "RFC 3056" } },
    { AF_INET6, { "fc00::/7", "private", "unique local addresses (the IPv6 private ranges), not routed on the Internet", "RFC 4193" } },
    { AF_INET6, { "fe80::/10", "link-local", "every interface has one; needs a scope (%eth0); not routed", "RFC 4291" } },
    { AF_INET6, { "ff00::/8", "multicast", "one sender, a group of receivers", "RFC 4291" } },
    { AF_INET6, { "ff02::/16", "multicast-local", "link-local scope multicast (never forwarded)", "RFC 4291" } },
};

/* True when the first bits of a and b (n bytes each) are equal. */
static bool prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* Does the table's range e contain the address bytes? */
static bool range_contains(const struct range_entry *e, const unsigned char *bytes)
{
    char net[48];
    unsigned char nb[16];
    const char *slash = strchr(e->r.prefix, '/');
    size_t n = (size_t)(slash - e->r.prefix);
    memcpy(net, e->r.prefix, n);
    net[n] = '\0';
    if (inet_pton(e->family, net, nb) != 1)
        return false;   /* cannot happen: the table is checked by the unit tests */
    return prefix_match(bytes, nb, atoi(slash + 1));
}

/* Add every range of family containing bytes to c, most specific first. */
static void add_ranges(sl_inet_class *c, int family, const unsigned char *bytes)
{
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (ranges[i].family != family || !range_contains(&ranges[i], bytes))
            continue;
        if (c->nranges == SL_INET_MAXRANGES)
            return;
        size_t at = c->nranges++;
        int bits = atoi(strchr(ranges[i].r.prefix, '/') + 1);
        while (at > 0 && atoi(strchr(c->ranges[at - 1].prefix, '/') + 1) < bits) {
            c->ranges[at] = c->ranges[at - 1];
            at--;
        }
        c->ranges[at] = ranges[i].r;
    }
}

/* The classful view: the class letter from the leading bits of byte 0. */
static void ipv4_class(sl_inet_class *c, unsigned char b0)
{
    static const struct { char cls; const char *bits; int prefix; } classes[] = {
        { 'A', "0", 8 }, { 'B', "10", 16 }, { 'C', "110", 24 },
        { 'D', "1110", 0 }, { 'E', "1111", 0 },
    };
    int i = 0;
    while (i < 4 && (b0 & (0x80 >> i)) != 0)
        i++;
    c->cls = classes[i].cls;
    c->lead_bits = classes[i].bits;
    c->classful_prefix = classes[i].prefix;
}

int sl_inet_classify(int family, const unsigned char *bytes, sl_inet_class *c,
                     sl_err *err)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    memset(c, 0, sizeof(*c));
    if (family != AF_INET && family != AF_INET6)
        return sl__err(err, SL_EINPUT, EAFNOSUPPORT, "classify: family %d is not IPv4 or IPv6",
                       family);
    c->family = family;
    if (family == AF_INET)
        ipv4_class(c, bytes[0]);
    add_ranges(c, family, bytes);
    if (family == AF_INET6 && memcmp(bytes, mapped, sizeof(mapped)) == 0)
        add_ranges(c, AF_INET, bytes + 12);
    /* IPv6 space outside 2000::/3 is unallocated, not global. */
    if (family == AF_INET)
        c->global = c->nranges == 0;
    else
        c->global = c->nranges == 1 && strcmp(c->ranges[0].kind, "global-unicast") == 0;
    return 0;
}
