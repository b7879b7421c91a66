/* services/udp_guard.c: which datagrams an echo server must not answer.
 * An echo server answers whatever arrives, to whatever source address the
 * datagram claims; with a forged source it becomes a weapon. The list and
 * the reasons are in docs/udp.md. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "socklab/dgram.h"
#include "net/addr_internal.h"

typedef struct reflector {
    uint16_t port;
    const char *name;
} reflector;

/* Well-known UDP services that answer any datagram: echoing to one makes
 * a loop (echo <-> chargen, CERT CA-1996-01) or turns our echo into a
 * request that the service amplifies toward the forged source (CISA
 * "UDP-based amplification attacks"). Ascending, for bsearch. */
static const reflector reflectors[] = {
    { 7, "echo" }, { 13, "daytime" }, { 17, "qotd" }, { 19, "chargen" },
    { 37, "time" }, { 53, "dns" }, { 69, "tftp" }, { 111, "portmap" },
    { 123, "ntp" }, { 137, "netbios-ns" }, { 138, "netbios-dgm" },
    { 161, "snmp" }, { 162, "snmp-trap" }, { 389, "cldap" }, { 427, "slp" },
    { 520, "rip" }, { 623, "ipmi" }, { 1434, "ms-sql-monitor" },
    { 1604, "citrix-ica" }, { 1900, "ssdp" }, { 3283, "apple-remote-desktop" },
    { 3702, "ws-discovery" }, { 5351, "nat-pmp" }, { 5353, "mdns" },
    { 5683, "coap" }, { 10001, "ubiquiti-discovery" }, { 10074, "tp240" },
    { 11211, "memcached" }, { 26000, "quake" }, { 27015, "steam" },
    { 33848, "jenkins-discovery" }, { 37810, "dvr-dhcpdiscover" },
};
#define NREFLECTORS (sizeof(reflectors) / sizeof(reflectors[0]))

static int by_port(const void *key, const void *elem)
{
    uint16_t a = *(const uint16_t *)key;
    uint16_t b = ((const reflector *)elem)->port;
    return (a > b) - (a < b);
}

const char *sl_dgram_reflector_name(uint16_t port)
{
    const reflector *r = bsearch(&port, reflectors, NREFLECTORS, sizeof(reflectors[0]),
                                 by_port);
    return r != NULL ? r->name : NULL;
}

uint16_t sl_dgram_reflector_port(size_t i)
{
    return i < NREFLECTORS ? reflectors[i].port : 0;
}

/* Why an IPv4 source address (host byte order) is impossible, or NULL. */
static const char *bad_v4(uint32_t a)
{
    if ((a >> 24) == 0)
        return "source address 0.0.0.0/8 (this network) cannot send";
    if (a == 0xffffffffu)
        return "source address is the broadcast address (forged)";
    if ((a >> 28) == 0xe)
        return "source address is multicast (forged)";
    return NULL;
}

const char *sl_dgram_refusal(const sl_addr *src)
{
    const struct in6_addr *a6;
    struct in_addr v4;
    if (src->u.sa.sa_family == AF_INET) {
        if (src->u.in4.sin_port == 0)
            return "source port 0: no reply can be addressed to it";
    } else if (src->u.sa.sa_family == AF_INET6) {
        if (src->u.in6.sin6_port == 0)
            return "source port 0: no reply can be addressed to it";
    } else {
        return NULL;
    }
    if (sl_dgram_reflector_name(sl_addr_port(src)) != NULL)
        return "source port is a well-known reflector service (a loop or an amplifier)";
    if (sl__addr_v4(src, &v4))
        return bad_v4(ntohl(v4.s_addr));
    a6 = &src->u.in6.sin6_addr;
    if (IN6_IS_ADDR_UNSPECIFIED(a6))
        return "source address :: (unspecified) cannot send";
    if (IN6_IS_ADDR_MULTICAST(a6))
        return "source address is multicast (forged)";
    return NULL;
}
