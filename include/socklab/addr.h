/* socklab/addr.h: endpoints as users write them, and socket addresses. */
#ifndef SOCKLAB_ADDR_H
#define SOCKLAB_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "socklab/err.h"

#define SL_HOSTLEN 256   /* DNS names are at most 253 characters */
#define SL_PORTLEN 33    /* service names are short; numbers are 5 digits */
#define SL_ADDRSTRLEN (sizeof(((struct sockaddr_un *)0)->sun_path) + 8)

/* Any socket address, with its length. */
typedef struct sl_addr {
    socklen_t len;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        struct sockaddr_un un;
        struct sockaddr_storage ss;
    } u;
} sl_addr;

/* An endpoint as written on a command line, before resolution.
 * is_unix: true for "unix:PATH" (then host holds the path, port is empty). */
typedef struct sl_endpoint {
    bool is_unix;
    char host[SL_HOSTLEN > 108 ? SL_HOSTLEN : 108];
    char port[SL_PORTLEN];
} sl_endpoint;

/* Parse a decimal port 0..65535 (no sign, no spaces, no leading junk). */
int sl_port_parse(const char *text, uint16_t *port, sl_err *err);

/* Parse PORT, HOST, HOST:PORT, [IPv6]:PORT, IPv6, HOST:SERVICE or unix:PATH.
 * An all-digit text is a port; a text with two or more colons and no
 * brackets is an IPv6 address without a port. Missing parts stay empty. */
int sl_endpoint_parse(const char *text, sl_endpoint *ep, sl_err *err);

/* Fill the parts of ep that are empty from host and port (either may be NULL). */
void sl_endpoint_default(sl_endpoint *ep, const char *host, const char *port);

/* Resolve ep for sockets of socktype (SOCK_STREAM or SOCK_DGRAM); passive
 * for bind. family is AF_UNSPEC, AF_INET or AF_INET6. The caller frees the
 * list with freeaddrinfo(). A unix endpoint yields a one-entry list that
 * must be freed with sl_addrinfo_free(). */
int sl_resolve(const sl_endpoint *ep, int family, int socktype, bool passive,
               struct addrinfo **res, sl_err *err);

/* Free a list from sl_resolve. */
void sl_addrinfo_free(struct addrinfo *res);

/* Copy a sockaddr into an sl_addr (len bounded by the storage). */
void sl_addr_set(sl_addr *addr, const struct sockaddr *sa, socklen_t len);

/* Format an address as "1.2.3.4:80", "[::1]:80" or "unix:PATH" into buf.
 * Returns buf; never fails (unknown families print as "family N"). */
char *sl_addr_format(const sl_addr *addr, char *buf, size_t len);

/* Format only the host part ("1.2.3.4", "::1", "unix:PATH"). */
char *sl_addr_host(const sl_addr *addr, char *buf, size_t len);

/* The port of an IPv4/IPv6 address, 0 for other families. */
uint16_t sl_addr_port(const sl_addr *addr);

/* True when two addresses have the same family, host and port. */
bool sl_addr_equal(const sl_addr *a, const sl_addr *b);

#endif
