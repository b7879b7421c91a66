/* socklab/inet.h: byte order and the inet_* address conversions, shown as
 * the textbook shows them (bytes in memory, what each call returns), with
 * the IPv4 class and the special ranges of an address (IPv4 and IPv6). */
#ifndef SOCKLAB_INET_H
#define SOCKLAB_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "socklab/err.h"

#define SL_INET_TEXTLEN 64     /* the longest address text we accept */
#define SL_INET_MAXRANGES 6    /* at most this many special ranges match */

/* The host's byte order: true on big-endian (network order) machines. */
bool sl_host_big_endian(void);

/* One value seen through htons/ntohs (width 16) or htonl/ntohl (width 32):
 * its bytes in memory as the host stores it, and after the conversion. */
typedef struct sl_order_view {
    int width;                 /* 16 or 32 */
    uint32_t value;            /* the value given */
    uint32_t hton;             /* htons(value) or htonl(value), as a number */
    uint32_t ntoh;             /* ntohs(value) or ntohl(value), as a number */
    uint32_t round_trip;       /* ntoh(hton(value)): always value */
    unsigned char host[4];     /* value's bytes in memory, lowest address first */
    unsigned char net[4];      /* hton(value)'s bytes in memory */
} sl_order_view;

/* Fill v for value at width 16 or 32. Fails (SL_EINPUT) when value does
 * not fit the width or the width is neither. */
int sl_order_view_make(uint32_t value, int width, sl_order_view *v, sl_err *err);

/* Parse a number as the command line writes it: decimal, 0x hex or 0
 * octal, 0 to 0xffffffff, no sign, no spaces. */
int sl_inet_parse_u32(const char *text, uint32_t *value, sl_err *err);

/* What each conversion function returns for one text. */
typedef struct sl_inet_conv {
    char text[SL_INET_TEXTLEN];
    /* inet_addr(text): a network-order in_addr_t; INADDR_NONE on error,
     * which is also the valid answer for "255.255.255.255". */
    in_addr_t addr_ret;
    bool addr_none;
    /* inet_aton(text, &aton_addr): 1 valid, 0 invalid; accepts 127.1,
     * 0x7f.1 and octal parts; then inet_ntoa of that address. */
    int aton_ret;
    struct in_addr aton_addr;
    char ntoa[16];
    /* inet_pton(AF_INET / AF_INET6): 1 valid, 0 not an address of that
     * family (only the full dotted-quad form for AF_INET); then inet_ntop
     * of the bytes back to text (empty when pton failed). */
    int pton4_ret;
    unsigned char pton4[4];
    char ntop4[16];
    int pton6_ret;
    unsigned char pton6[16];
    char ntop6[46];
} sl_inet_conv;

/* Run every conversion on text. Text longer than SL_INET_TEXTLEN - 1 or
 * with control characters or spaces fails with SL_EINPUT; text that no
 * function accepts is not an error (the results say so). */
int sl_inet_convert(const char *text, sl_inet_conv *c, sl_err *err);

/* The inet_ntoa pitfall, done for real: p1 = inet_ntoa(a); copy *p1;
 * p2 = inet_ntoa(b); look at *p1 again. */
typedef struct sl_ntoa_demo {
    char first[16];            /* *p1 right after the first call */
    char first_later[16];      /* *p1 after the second call */
    char second[16];           /* *p2 */
    bool same_buffer;          /* p1 == p2: one static buffer */
} sl_ntoa_demo;

void sl_inet_ntoa_demo(struct in_addr a, struct in_addr b, sl_ntoa_demo *d);

/* One special-purpose range an address belongs to. */
typedef struct sl_inet_range {
    const char *prefix;        /* "127.0.0.0/8", "fe80::/10" */
    const char *kind;          /* "loopback", "private", "link-local", ... */
    const char *meaning;       /* one line */
    const char *rfc;           /* "RFC 1918" */
} sl_inet_range;

/* What an address is: the IPv4 class and every special range it is in. */
typedef struct sl_inet_class {
    int family;                /* AF_INET or AF_INET6 */
    char cls;                  /* IPv4: 'A'..'E'; IPv6: 0 */
    const char *lead_bits;     /* IPv4: "0", "10", "110", "1110", "1111" */
    int classful_prefix;       /* A 8, B 16, C 24; D and E: 0 (no network part) */
    size_t nranges;
    sl_inet_range ranges[SL_INET_MAXRANGES];   /* most specific first */
    bool global;               /* in no special range: routable on the Internet */
} sl_inet_class;

/* Classify 4 (AF_INET) or 16 (AF_INET6) bytes in network order. An
 * IPv4-mapped IPv6 address also gets the ranges of its IPv4 part. */
int sl_inet_classify(int family, const unsigned char *bytes, sl_inet_class *c,
                     sl_err *err);

#endif
