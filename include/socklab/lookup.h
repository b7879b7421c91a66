/* socklab/lookup.h: name lookups shown as the textbook's hostent (official
 * name, aliases, address type and length, every address), done with
 * getaddrinfo/getnameinfo, with the legacy gethostbyname/gethostbyaddr
 * beside them and which source answered. Names are checked before any of
 * them reaches the resolver. */
#ifndef SOCKLAB_LOOKUP_H
#define SOCKLAB_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include "socklab/addr.h"

#define SL_LOOKUP_MAXADDRS 32
#define SL_LOOKUP_MAXNAMES 16
#define SL_NAMELEN 256           /* a DNS name is at most 253 characters */

/* Who answered. */
typedef enum sl_lookup_source {
    SL_SOURCE_HOSTS = 1,     /* the hosts file has it (and nsswitch reads files first) */
    SL_SOURCE_RESOLVER   /* another nsswitch source: DNS, mDNS, systemd ... */
} sl_lookup_source;

/* One address of a host. */
typedef struct sl_host_addr {
    int family;                  /* AF_INET or AF_INET6 */
    int length;                  /* 4 or 16 (the hostent's h_length) */
    unsigned char bytes[16];
    char text[46];
} sl_host_addr;

/* A hostent, whichever call filled it. */
typedef struct sl_hostinfo {
    char name[SL_NAMELEN];       /* h_name: the official (canonical) name */
    size_t naliases;
    char aliases[SL_LOOKUP_MAXNAMES][SL_NAMELEN];
    size_t naddrs;
    sl_host_addr addrs[SL_LOOKUP_MAXADDRS];
    bool truncated;              /* more addresses or aliases than fit */
} sl_hostinfo;

/* Where the answer came from, as far as the system lets us tell. */
typedef struct sl_lookup_origin {
    sl_lookup_source source;
    char hosts_file[64];         /* "/etc/hosts" */
    int hosts_line;              /* the first line that matched, 0 if none */
    char nsswitch[128];          /* the "hosts:" line of nsswitch.conf */
} sl_lookup_origin;

/* A whole lookup. */
typedef struct sl_lookup {
    char query[SL_NAMELEN];
    bool reverse;                /* the query was an address */
    int family;                  /* asked for: AF_UNSPEC, AF_INET, AF_INET6 */
    sl_hostinfo host;            /* from getaddrinfo (forward) or getnameinfo (reverse) */
    sl_lookup_origin origin;
    bool legacy_done;            /* legacy below was filled (sl_lookup_legacy) */
    sl_hostinfo legacy;          /* gethostbyname / gethostbyaddr */
    sl_err legacy_err;           /* its failure: h_errno as hstrerror() says */
} sl_lookup;

/* Check a host name before it goes anywhere near a resolver: at most 253
 * characters (plus one final dot), labels of 1 to 63 characters, only
 * letters, digits, '-', '_' and '.'. Fails with SL_EINPUT naming the fault. */
int sl_hostname_check(const char *name, sl_err *err);

/* Look up text: an address (any form getaddrinfo reads numerically) is
 * looked up in reverse with getnameinfo(NI_NAMEREQD); a name forward with
 * getaddrinfo(AI_CANONNAME) for family (AF_UNSPEC, AF_INET, AF_INET6).
 * Resolver failures are SL_ERESOLVE with gai_strerror's reason (errno's
 * for EAI_SYSTEM); bad text is SL_EINPUT and is never sent to a resolver.
 * The origin is filled even when the lookup fails. */
int sl_lookup_run(const char *text, int family, sl_lookup *lk, sl_err *err);

/* Fill lk->legacy with what gethostbyname (gethostbyname2 for AF_INET6)
 * or gethostbyaddr return for lk's query. Their failure goes to
 * lk->legacy_err and is not an error of this call; -1 only for bad use. */
int sl_lookup_legacy(sl_lookup *lk, sl_err *err);

/* Why gethostbyname and gethostbyaddr are obsolete, one line each. */
const char *const *sl_lookup_legacy_reasons(void);

#endif
