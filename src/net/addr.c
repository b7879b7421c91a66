/* net/addr.c: parsing endpoints as users write them, resolving them, and
 * formatting socket addresses back to text. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/addr.h"
#include "net/addr_internal.h"
#include "net/err_internal.h"

/* Printable copy of untrusted text for messages: at most 40 characters,
 * control bytes shown as '?'. */
static const char *shown(const char *text, char *buf, size_t len)
{
    size_t i = 0;
    for (; text[i] != '\0' && i + 4 < len && i < 40; i++)
        buf[i] = isprint((unsigned char)text[i]) ? text[i] : '?';
    if (text[i] != '\0' && i + 4 <= len) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

int sl_port_parse(const char *text, uint16_t *port, sl_err *err)
{
    char show[48];
    unsigned long v = 0;
    size_t i;

    if (text == NULL || text[0] == '\0')
        return sl__err(err, SL_EINPUT, EINVAL, "port: empty");
    for (i = 0; text[i] != '\0'; i++) {
        if (!isdigit((unsigned char)text[i]) || i >= 5)
            return sl__err(err, SL_EINPUT, EINVAL,
                           "port '%s': not a number from 0 to 65535",
                           shown(text, show, sizeof(show)));
        v = v * 10 + (unsigned long)(text[i] - '0');
    }
    if (v > 65535)
        return sl__err(err, SL_EINPUT, ERANGE,
                       "port '%s': out of range (0 to 65535)",
                       shown(text, show, sizeof(show)));
    *port = (uint16_t)v;
    return 0;
}

/* True when every byte of text is a digit (and there is at least one). */
static bool all_digits(const char *text)
{
    if (*text == '\0')
        return false;
    for (; *text != '\0'; text++)
        if (!isdigit((unsigned char)*text))
            return false;
    return true;
}

/* Copy n bytes of src into dst[cap] as a string; fails when it does not fit. */
static int copy_part(char *dst, size_t cap, const char *src, size_t n,
                     const char *what, const char *text, sl_err *err)
{
    char show[48];
    if (n >= cap)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "%s in '%s': too long",
                       what, shown(text, show, sizeof(show)));
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* Check a host or service part: printable, no spaces. */
static int check_text(const char *part, const char *what, const char *text,
                      sl_err *err)
{
    char show[48];
    for (; *part != '\0'; part++)
        if (!isgraph((unsigned char)*part))
            return sl__err(err, SL_EINPUT, EINVAL,
                           "%s in '%s': control character or space",
                           what, shown(text, show, sizeof(show)));
    return 0;
}

/* Parse the port part (numeric, checked, or a service name). */
static int parse_port_part(const char *part, sl_endpoint *ep, const char *text,
                           sl_err *err)
{
    uint16_t port;
    char show[48];
    if (*part == '\0')
        return sl__err(err, SL_EINPUT, EINVAL, "'%s': empty port after ':'",
                       shown(text, show, sizeof(show)));
    if (all_digits(part) && sl_port_parse(part, &port, err) < 0)
        return -1;
    if (!all_digits(part) && !isalpha((unsigned char)part[0]))
        return sl__err(err, SL_EINPUT, EINVAL,
                       "port in '%s': not a number from 0 to 65535 or a service name",
                       shown(text, show, sizeof(show)));
    if (check_text(part, "service", text, err) < 0)
        return -1;
    return copy_part(ep->port, sizeof(ep->port), part, strlen(part), "service",
                     text, err);
}

/* "[v6]" or "[v6]:port". */
static int parse_bracketed(const char *text, sl_endpoint *ep, sl_err *err)
{
    char show[48];
    const char *close = strchr(text, ']');
    if (close == NULL || close == text + 1)
        return sl__err(err, SL_EINPUT, EINVAL, "'%s': bad [IPv6] address",
                       shown(text, show, sizeof(show)));
    if (copy_part(ep->host, sizeof(ep->host), text + 1, (size_t)(close - text - 1),
                  "host", text, err) < 0)
        return -1;
    if (check_text(ep->host, "host", text, err) < 0)   /* found by fuzz/fuzz_addr.c */
        return -1;
    if (close[1] == '\0')
        return 0;
    if (close[1] != ':')
        return sl__err(err, SL_EINPUT, EINVAL, "'%s': junk after ']'",
                       shown(text, show, sizeof(show)));
    return parse_port_part(close + 2, ep, text, err);
}

int sl_endpoint_parse(const char *text, sl_endpoint *ep, sl_err *err)
{
    const char *colon;
    memset(ep, 0, sizeof(*ep));
    if (text == NULL || text[0] == '\0')
        return sl__err(err, SL_EINPUT, EINVAL, "address: empty");
    if (strncmp(text, "unix:", 5) == 0) {
        ep->is_unix = true;
        if (text[5] == '\0')
            return sl__err(err, SL_EINPUT, EINVAL, "unix: needs a path");
        if (strlen(text + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                           "unix socket path: too long (at most %zu bytes)",
                           sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        strcpy(ep->host, text + 5);
        return 0;
    }
    if (text[0] == '[')
        return parse_bracketed(text, ep, err);
    if (all_digits(text))
        return parse_port_part(text, ep, text, err);
    colon = strchr(text, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL)  /* bare IPv6 */
        colon = NULL;
    if (copy_part(ep->host, sizeof(ep->host), text,
                  colon ? (size_t)(colon - text) : strlen(text), "host", text, err) < 0)
        return -1;
    if (check_text(ep->host, "host", text, err) < 0)
        return -1;
    if (colon != NULL && colon == text)
        ep->host[0] = '\0';
    return colon ? parse_port_part(colon + 1, ep, text, err) : 0;
}

void sl_endpoint_default(sl_endpoint *ep, const char *host, const char *port)
{
    if (ep->is_unix)
        return;
    if (ep->host[0] == '\0' && host != NULL)
        snprintf(ep->host, sizeof(ep->host), "%s", host);
    if (ep->port[0] == '\0' && port != NULL)
        snprintf(ep->port, sizeof(ep->port), "%s", port);
}

/* A one-entry addrinfo list for a unix endpoint. */
static int resolve_unix(const sl_endpoint *ep, int socktype, struct addrinfo **res,
                        sl_err *err)
{
    struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_un));
    struct sockaddr_un *un;
    if (ai == NULL)
        return sl__err_sys(err, "resolve unix:%s", ep->host);
    un = (struct sockaddr_un *)(void *)(ai + 1);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, ep->host, strlen(ep->host) + 1);
    ai->ai_family = AF_UNIX;
    ai->ai_socktype = socktype;
    ai->ai_addr = (struct sockaddr *)un;
    ai->ai_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(ep->host) + 1);
    *res = ai;
    return 0;
}

int sl_resolve(const sl_endpoint *ep, int family, int socktype, bool passive,
               struct addrinfo **res, sl_err *err)
{
    struct addrinfo hints;
    const char *host = ep->host[0] ? ep->host : NULL;
    const char *port = ep->port[0] ? ep->port : "0";
    int rc;

    if (ep->is_unix)
        return resolve_unix(ep, socktype, res, err);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_ADDRCONFIG | (passive ? AI_PASSIVE : 0);
    if (all_digits(port))
        hints.ai_flags |= AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, res);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_FAMILY) {
        /* AI_ADDRCONFIG hides loopback-only families: ask again without it. */
        hints.ai_flags &= ~AI_ADDRCONFIG;
        rc = getaddrinfo(host, port, &hints, res);
    }
    if (rc != 0)
        return sl__err_gai(err, rc, "resolve %s%s%s", host ? host : "*",
                           ep->port[0] ? " port " : "", ep->port);
    return 0;
}

void sl_addrinfo_free(struct addrinfo *res)
{
    if (res == NULL)
        return;
    if (res->ai_family == AF_UNIX && res->ai_next == NULL)
        free(res);
    else
        freeaddrinfo(res);
}

void sl_addr_set(sl_addr *addr, const struct sockaddr *sa, socklen_t len)
{
    memset(addr, 0, sizeof(*addr));
    if (len > sizeof(addr->u))
        len = sizeof(addr->u);
    memcpy(&addr->u, sa, len);
    addr->len = len;
}

char *sl_addr_host(const sl_addr *addr, char *buf, size_t len)
{
    switch (addr->u.sa.sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &addr->u.in4.sin_addr, buf, (socklen_t)len);
        break;
    case AF_INET6:
        inet_ntop(AF_INET6, &addr->u.in6.sin6_addr, buf, (socklen_t)len);
        break;
    case AF_UNIX: {
        size_t off = offsetof(struct sockaddr_un, sun_path);
        if (addr->len <= off || addr->u.un.sun_path[0] == '\0')
            snprintf(buf, len, "unix:%s", addr->len <= off ? "(unnamed)" : "@abstract");
        else
            snprintf(buf, len, "unix:%.*s", (int)(addr->len - off), addr->u.un.sun_path);
        break;
    }
    default:
        snprintf(buf, len, "family %d", addr->u.sa.sa_family);
    }
    return buf;
}

char *sl_addr_format(const sl_addr *addr, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN + 8];
    int fam = addr->u.sa.sa_family;
    if (fam != AF_INET && fam != AF_INET6)
        return sl_addr_host(addr, buf, len);
    sl_addr_host(addr, host, sizeof(host));
    snprintf(buf, len, fam == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             (unsigned)sl_addr_port(addr));
    return buf;
}

uint16_t sl_addr_port(const sl_addr *addr)
{
    if (addr->u.sa.sa_family == AF_INET)
        return ntohs(addr->u.in4.sin_port);
    if (addr->u.sa.sa_family == AF_INET6)
        return ntohs(addr->u.in6.sin6_port);
    return 0;
}

bool sl_addr_equal(const sl_addr *a, const sl_addr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return false;
    switch (a->u.sa.sa_family) {
    case AF_INET:
        return a->u.in4.sin_port == b->u.in4.sin_port &&
               a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    case AF_INET6:
        return a->u.in6.sin6_port == b->u.in6.sin6_port &&
               memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
    default:
        return a->len == b->len && memcmp(&a->u, &b->u, a->len) == 0;
    }
}

void sl__addr_raw(sl_addr *a, int family, const void *raw, uint16_t port_be)
{
    memset(a, 0, sizeof(*a));
    if (family == AF_INET) {
        a->u.in4.sin_family = AF_INET;
        a->u.in4.sin_port = port_be;
        memcpy(&a->u.in4.sin_addr, raw, 4);
        a->len = sizeof(a->u.in4);
    } else {
        a->u.in6.sin6_family = AF_INET6;
        a->u.in6.sin6_port = port_be;
        memcpy(&a->u.in6.sin6_addr, raw, 16);
        a->len = sizeof(a->u.in6);
    }
}

bool sl__addr_v4(const sl_addr *a, struct in_addr *v4)
{
    const struct in6_addr *s6 = &a->u.in6.sin6_addr;
    if (a->u.sa.sa_family == AF_INET) {
        *v4 = a->u.in4.sin_addr;
        return true;
    }
    if (a->u.sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(s6))
        return false;
    memcpy(&v4->s_addr, &s6->s6_addr[12], 4);
    return true;
}
