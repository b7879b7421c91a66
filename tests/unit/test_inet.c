/* tests/unit/test_inet.c: byte order views, the inet_* conversions and
 * the classification of addresses into classes and special ranges. */
#include <arpa/inet.h>
#include <string.h>

#include "socklab/socklab.h"
#include "t.h"

static void byte_order(void)
{
    sl_order_view v;
    sl_err e;
    const uint16_t probe = 0x0102;
    unsigned char first;
    memcpy(&first, &probe, 1);
    T_EQ_INT(sl_host_big_endian(), first == 0x01);

    T_EQ_INT(sl_order_view_make(0x1234, 16, &v, &e), 0);
    T_EQ_INT(v.net[0], 0x12);
    T_EQ_INT(v.net[1], 0x34);
    T_EQ_INT(v.round_trip, 0x1234);
    T_EQ_INT(v.hton, htons(0x1234));
    T_EQ_INT(v.hton, v.ntoh);
    T_EQ_INT(v.host[0], sl_host_big_endian() ? 0x12 : 0x34);

    T_EQ_INT(sl_order_view_make(0x12345678, 32, &v, &e), 0);
    T_CHECK(memcmp(v.net, "\x12\x34\x56\x78", 4) == 0);
    T_EQ_INT(v.round_trip, 0x12345678);
    T_EQ_INT(v.host[0], sl_host_big_endian() ? 0x12 : 0x78);

    T_EQ_INT(sl_order_view_make(0x10000, 16, &v, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_order_view_make(1, 8, &v, &e), -1);
}

static void parse_numbers(void)
{
    uint32_t v = 0;
    sl_err e;
    T_EQ_INT(sl_inet_parse_u32("0x1234", &v, &e), 0);
    T_EQ_INT(v, 0x1234);
    T_EQ_INT(sl_inet_parse_u32("4660", &v, &e), 0);
    T_EQ_INT(v, 4660);
    T_EQ_INT(sl_inet_parse_u32("010", &v, &e), 0);
    T_EQ_INT(v, 8);
    T_EQ_INT(sl_inet_parse_u32("0xffffffff", &v, &e), 0);
    T_EQ_INT(v, 0xffffffffu);
    T_EQ_INT(sl_inet_parse_u32("0x100000000", &v, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_inet_parse_u32("-1", &v, &e), -1);
    T_EQ_INT(sl_inet_parse_u32("", &v, &e), -1);
    T_EQ_INT(sl_inet_parse_u32(" 1", &v, &e), -1);
    T_EQ_INT(sl_inet_parse_u32("1 ", &v, &e), -1);
    T_EQ_INT(sl_inet_parse_u32("99999999999999999999999", &v, &e), -1);
    T_EQ_INT(sl_inet_parse_u32(NULL, &v, &e), -1);
}

static void pitfalls(void)
{
    sl_inet_conv c;
    sl_err e;
    T_EQ_INT(sl_inet_convert("1.2.3.256", &c, &e), 0);
    T_CHECK(c.addr_none);
    T_EQ_INT(c.addr_ret, INADDR_NONE);
    T_EQ_INT(c.aton_ret, 0);
    T_EQ_INT(c.pton4_ret, 0);
    T_EQ_INT(sl_inet_convert("255.255.255.255", &c, &e), 0);
    T_CHECK(c.addr_none);     /* the same value as the error */
    T_EQ_INT(c.aton_ret, 1);
    T_EQ_INT(c.pton4_ret, 1);
    T_EQ_INT(sl_inet_convert("127.1", &c, &e), 0);
    T_EQ_INT(c.aton_ret, 1);
    T_EQ_STR(c.ntoa, "127.0.0.1");
    T_EQ_INT(c.pton4_ret, 0);
    T_CHECK(memcmp(&c.addr_ret, "\x7f\x00\x00\x01", 4) == 0);
    T_EQ_INT(sl_inet_convert("0x7f.1", &c, &e), 0);
    T_EQ_INT(c.aton_ret, 1);
    T_EQ_STR(c.ntoa, "127.0.0.1");
    T_EQ_INT(c.pton4_ret, 0);
    T_EQ_INT(sl_inet_convert("010.1", &c, &e), 0);
    T_EQ_STR(c.ntoa, "8.0.0.1");

    sl_ntoa_demo d;
    struct in_addr a, b;
    inet_pton(AF_INET, "1.2.3.4", &a);
    inet_pton(AF_INET, "5.6.7.8", &b);
    sl_inet_ntoa_demo(a, b, &d);
    T_EQ_STR(d.first, "1.2.3.4");
    T_EQ_STR(d.second, "5.6.7.8");
    if (d.same_buffer)
        T_EQ_STR(d.first_later, "5.6.7.8");
}

/* pton6 then ntop6 of in must give out. */
static void round_trip6(const char *in, const char *out)
{
    sl_inet_conv c;
    sl_err e;
    T_EQ_INT(sl_inet_convert(in, &c, &e), 0);
    T_EQ_INT(c.pton6_ret, 1);
    T_EQ_STR(c.ntop6, out);
    T_EQ_INT(c.pton4_ret, 0);
}

static void ipv6(void)
{
    sl_inet_conv c;
    sl_err e;
    round_trip6("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    round_trip6("::1", "::1");
    round_trip6("::", "::");
    round_trip6("fe80:0:0:0:0:0:0:1", "fe80::1");
    round_trip6("::ffff:1.2.3.4", "::ffff:1.2.3.4");
    round_trip6("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
    round_trip6("2001:DB8::A", "2001:db8::a");
    T_EQ_INT(sl_inet_convert("1::2::3", &c, &e), 0);
    T_EQ_INT(c.pton6_ret, 0);
    T_EQ_INT(c.aton_ret, 0);
}

static void hostile_text(void)
{
    sl_inet_conv c;
    sl_err e;
    char big[200];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    T_EQ_INT(sl_inet_convert(big, &c, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_inet_convert("1.2.3.4 junk", &c, &e), -1);
    T_EQ_INT(sl_inet_convert("1.2.3.4\n", &c, &e), -1);
    T_EQ_INT(sl_inet_convert("", &c, &e), -1);
    T_EQ_INT(sl_inet_convert(NULL, &c, &e), -1);
}

/* Classify text (IPv4 or IPv6) and check the class and the first range. */
static void expect_class(const char *text, char cls, const char *first_kind, bool global)
{
    unsigned char b[16];
    int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
    sl_inet_class k;
    sl_err e;
    T_EQ_INT(inet_pton(fam, text, b), 1);
    T_EQ_INT(sl_inet_classify(fam, b, &k, &e), 0);
    T_EQ_INT(k.cls, cls);
    T_EQ_INT(k.global, global);
    if (first_kind == NULL) {
        T_EQ_INT(k.nranges, 0);
    } else if (k.nranges == 0) {
        fprintf(stderr, "  %s: no range, expected %s\n", text, first_kind);
        T_CHECK(k.nranges > 0);
    } else {
        T_EQ_STR(k.ranges[0].kind, first_kind);
    }
}

static void classes(void)
{
    expect_class("127.0.0.1", 'A', "loopback", false);
    expect_class("10.1.2.3", 'A', "private", false);
    expect_class("8.8.8.8", 'A', NULL, true);
    expect_class("100.64.0.1", 'A', "cgnat", false);
    expect_class("100.128.0.1", 'A', NULL, true);
    expect_class("0.0.0.0", 'A', "unspecified", false);
    expect_class("0.1.2.3", 'A', "this-network", false);
    expect_class("128.0.0.1", 'B', NULL, true);
    expect_class("169.254.1.1", 'B', "link-local", false);
    expect_class("172.16.0.1", 'B', "private", false);
    expect_class("172.31.255.255", 'B', "private", false);
    expect_class("172.32.0.1", 'B', NULL, true);
    expect_class("191.255.255.255", 'B', NULL, true);
    expect_class("192.168.1.1", 'C', "private", false);
    expect_class("192.0.0.1", 'C', "ietf", false);
    expect_class("192.0.2.1", 'C', "documentation", false);
    expect_class("198.18.0.1", 'C', "benchmarking", false);
    expect_class("198.51.100.1", 'C', "documentation", false);
    expect_class("203.0.113.1", 'C', "documentation", false);
    expect_class("223.255.255.255", 'C', NULL, true);
    expect_class("224.0.0.1", 'D', "multicast-local", false);
    expect_class("239.1.1.1", 'D', "multicast", false);
    expect_class("240.0.0.1", 'E', "reserved", false);
    expect_class("255.255.255.255", 'E', "broadcast", false);
    expect_class("::", 0, "unspecified", false);
    expect_class("::1", 0, "loopback", false);
    expect_class("fe80::1", 0, "link-local", false);
    expect_class("fd12:3456::1", 0, "private", false);
    expect_class("ff02::1", 0, "multicast-local", false);
    expect_class("ff05::2", 0, "multicast", false);
    expect_class("2001:db8::1", 0, "documentation", false);
    expect_class("2606:4700::1", 0, "global-unicast", true);
    expect_class("64:ff9b::1.2.3.4", 0, "nat64", false);
    expect_class("2002:102:304::1", 0, "6to4", false);
    expect_class("100::1", 0, "discard", false);
    expect_class("::ffff:192.168.1.1", 0, "ipv4-mapped", false);
}

static void mapped_gets_ipv4_ranges(void)
{
    unsigned char b[16];
    sl_inet_class k;
    sl_err e;
    bool seen_private = false;
    inet_pton(AF_INET6, "::ffff:10.0.0.1", b);
    T_EQ_INT(sl_inet_classify(AF_INET6, b, &k, &e), 0);
    for (size_t i = 0; i < k.nranges; i++)
        seen_private |= strcmp(k.ranges[i].kind, "private") == 0;
    T_CHECK(seen_private);
    T_EQ_INT(sl_inet_classify(AF_UNIX, b, &k, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
}

int main(void)
{
    T_RUN(byte_order);
    T_RUN(parse_numbers);
    T_RUN(pitfalls);
    T_RUN(ipv6);
    T_RUN(hostile_text);
    T_RUN(classes);
    T_RUN(mapped_gets_ipv4_ranges);
    return T_DONE();
}
