/* net/lookup.c: forward and reverse lookups shown as a hostent, the
 * checks that keep hostile names away from the resolver, and the legacy
 * gethostbyname/gethostbyaddr for comparison. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "socklab/lookup.h"
#include "net/err_internal.h"
#include "net/lookup_internal.h"

#define NAME_MAX_CHARS 253
#define LABEL_MAX_CHARS 63

/* Is c allowed in a host name? Letters, digits, '-', '_' (seen in real
 * service names) and the dot that separates labels. */
static bool name_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* Describe the character at i of name, which is not allowed. */
static int char_fault(const char *name, size_t i, sl_err *err)
{
    unsigned char c = (unsigned char)name[i];
    if (c == ' ')
        return sl__err(err, SL_EINPUT, EINVAL, "name: a space at character %zu", i + 1);
    if (c < 0x20 || c == 0x7f)
        return sl__err(err, SL_EINPUT, EINVAL,
                       "name: control character 0x%02x at character %zu", c, i + 1);
    if (c >= 0x80)
        return sl__err(err, SL_EINPUT, EINVAL,
                       "name: non-ASCII byte 0x%02x at character %zu (write an "
                       "internationalised name in its xn-- form)", c, i + 1);
    return sl__err(err, SL_EINPUT, EINVAL,
                   "name: '%c' at character %zu is not allowed in a host name "
                   "(letters, digits, '-', '_' and '.')", c, i + 1);
}

/* The first character that is not allowed, described. */
static int bad_char(const char *name, sl_err *err)
{
    for (size_t i = 0; name[i] != '\0'; i++)
        if (!name_char((unsigned char)name[i]))
            return char_fault(name, i, err);
    return 0;
}

int sl_hostname_check(const char *name, sl_err *err)
{
    size_t n, start = 0, label = 1;
    if (name == NULL || name[0] == '\0')
        return sl__err(err, SL_EINPUT, EINVAL, "name: empty");
    if (bad_char(name, err) < 0)
        return -1;
    n = strlen(name);
    if (n > 1 && name[n - 1] == '.')
        n--;   /* one final dot: the root, "fully qualified" */
    if (n > NAME_MAX_CHARS)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                       "name: %zu characters; DNS allows at most %d", n, NAME_MAX_CHARS);
    for (size_t i = 0; i <= n; i++) {
        if (i < n && name[i] != '.')
            continue;
        if (i == start)
            return sl__err(err, SL_EINPUT, EINVAL,
                           "name: label %zu is empty (a leading dot or two dots in a row)",
                           label);
        if (i - start > LABEL_MAX_CHARS)
            return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                           "name: label %zu is %zu characters; DNS allows at most %d",
                           label, i - start, LABEL_MAX_CHARS);
        start = i + 1;
        label++;
    }
    return 0;
}

/* Checks for any query, name or address: not empty, not absurdly long, no
 * control characters or spaces. */
static int query_check(const char *text, sl_err *err)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0)
        return sl__err(err, SL_EINPUT, EINVAL, "name: empty");
    if (n > NAME_MAX_CHARS + 1)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                       "name: %zu characters; DNS allows at most %d", n, NAME_MAX_CHARS);
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)text[i]))
            return char_fault(text, i, err);
    return 0;
}

/* Add name to h's aliases unless it is h's name or already there. */
void sl__host_alias(sl_hostinfo *h, const char *name)
{
    if (strcasecmp(name, h->name) == 0)
        return;
    for (size_t i = 0; i < h->naliases; i++)
        if (strcasecmp(name, h->aliases[i]) == 0)
            return;
    if (h->naliases == SL_LOOKUP_MAXNAMES) {
        h->truncated = true;
        return;
    }
    snprintf(h->aliases[h->naliases++], SL_NAMELEN, "%s", name);
}

/* Add an address (family, bytes) to h unless it is there already. */
void sl__host_addr(sl_hostinfo *h, int family, const void *bytes)
{
    sl_host_addr a;
    memset(&a, 0, sizeof(a));
    a.family = family;
    a.length = family == AF_INET6 ? 16 : 4;
    memcpy(a.bytes, bytes, (size_t)a.length);
    inet_ntop(family, a.bytes, a.text, sizeof(a.text));
    for (size_t i = 0; i < h->naddrs; i++)
        if (h->addrs[i].family == family && memcmp(h->addrs[i].bytes, a.bytes, 16) == 0)
            return;
    if (h->naddrs == SL_LOOKUP_MAXADDRS) {
        h->truncated = true;
        return;
    }
    h->addrs[h->naddrs++] = a;
}

/* Add the address of a sockaddr (IPv4 or IPv6; others are ignored). */
static void add_sockaddr(sl_hostinfo *h, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        sl__host_addr(h, AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
    else if (sa->sa_family == AF_INET6)
        sl__host_addr(h, AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

/* Decide who answered: the hosts file when it has the query and nsswitch
 * consults it first; otherwise the other sources nsswitch lists. */
static void find_origin(sl_lookup *lk, const unsigned char *bytes, int bfamily)
{
    bool files_first = sl__nsswitch_files_first(&lk->origin);
    if (lk->reverse)
        sl__hosts_scan(NULL, bfamily, bytes, &lk->origin, &lk->host);
    else
        sl__hosts_scan(lk->query, lk->family, NULL, &lk->origin, &lk->host);
    lk->origin.source = files_first && lk->origin.hosts_line > 0 ? SL_SOURCE_HOSTS
                                                                   : SL_SOURCE_RESOLVER;
}

/* Forward: getaddrinfo with AI_CANONNAME; every address once. */
static int forward(sl_lookup *lk, sl_err *err)
{
    struct addrinfo hints, *res = NULL;
    int rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = lk->family;
    hints.ai_socktype = SOCK_STREAM;   /* one entry per address, not per type */
    hints.ai_flags = AI_CANONNAME;
    rc = getaddrinfo(lk->query, NULL, &hints, &res);
    if (rc != 0) {
        find_origin(lk, NULL, AF_UNSPEC);
        return sl__err_gai(err, rc, "getaddrinfo %s", lk->query);
    }
    snprintf(lk->host.name, sizeof(lk->host.name), "%s",
             res->ai_canonname ? res->ai_canonname : lk->query);
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        add_sockaddr(&lk->host, ai->ai_addr);
    freeaddrinfo(res);
    /* As gethostbyname does: a name that led to another is an alias. */
    sl__host_alias(&lk->host, lk->query);
    find_origin(lk, NULL, AF_UNSPEC);
    return 0;
}

/* Reverse: getnameinfo(NI_NAMEREQD) on the numeric address in ai. */
static int reverse(sl_lookup *lk, const struct addrinfo *ai, sl_err *err)
{
    char host[SL_NAMELEN];   /* a name is at most 253 characters; longer: EAI_OVERFLOW */
    const sl_host_addr *a;
    int rc;
    add_sockaddr(&lk->host, ai->ai_addr);
    a = &lk->host.addrs[0];
    rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NAMEREQD);
    if (rc != 0) {
        find_origin(lk, a->bytes, a->family);
        return sl__err_gai(err, rc, "getnameinfo %s", lk->query);
    }
    memcpy(lk->host.name, host, sizeof(host));
    find_origin(lk, a->bytes, a->family);
    return 0;
}

/* Is text an address? getaddrinfo with AI_NUMERICHOST never asks a
 * resolver, and reads every form the system accepts (127.1, fe80::1%lo). */
static struct addrinfo *numeric(const char *text)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    return getaddrinfo(text, NULL, &hints, &res) == 0 ? res : NULL;
}

int sl_lookup_run(const char *text, int family, sl_lookup *lk, sl_err *err)
{
    struct addrinfo *ai;
    int rc;
    memset(lk, 0, sizeof(*lk));
    lk->family = family;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return sl__err(err, SL_EINPUT, EAFNOSUPPORT, "lookup: family %d", family);
    if (query_check(text, err) < 0)
        return -1;
    snprintf(lk->query, sizeof(lk->query), "%s", text);
    ai = numeric(text);
    if (ai != NULL) {
        lk->reverse = true;
        if (family != AF_UNSPEC && ai->ai_family != family) {
            freeaddrinfo(ai);
            return sl__err(err, SL_EINPUT, EAFNOSUPPORT, "%s is an %s address but %s was asked",
                           text, family == AF_INET ? "IPv6" : "IPv4",
                           family == AF_INET ? "IPv4 (-4)" : "IPv6 (-6)");
        }
        rc = reverse(lk, ai, err);
        freeaddrinfo(ai);
        return rc;
    }
    if (sl_hostname_check(text, err) < 0)
        return -1;
    return forward(lk, err);
}

static const char *const legacy_reasons[] = {
    "IPv4 only: gethostbyname cannot return IPv6 addresses (gethostbyname2 and getaddrinfo can)",
    "not thread-safe: the hostent is static storage that the next call, in any thread, overwrites",
    "errors come in h_errno (hstrerror), not errno, and say less than getaddrinfo's EAI_* codes",
    "removed from POSIX in 2008 (POSIX.1-2008): getaddrinfo and getnameinfo replace them",
    NULL,
};

const char *const *sl_lookup_legacy_reasons(void)
{
    return legacy_reasons;
}

/* Copy a hostent (static storage) into h before anything overwrites it. */
static void copy_hostent(sl_hostinfo *h, const struct hostent *he)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", he->h_name ? he->h_name : "");
    for (char **a = he->h_aliases; a != NULL && *a != NULL; a++)
        sl__host_alias(h, *a);
    if (he->h_addrtype != AF_INET && he->h_addrtype != AF_INET6)
        return;
    for (char **p = he->h_addr_list; p != NULL && *p != NULL; p++)
        sl__host_addr(h, he->h_addrtype, *p);
}

int sl_lookup_legacy(sl_lookup *lk, sl_err *err)
{
    const struct hostent *he;
    const sl_host_addr *a = &lk->host.addrs[0];
    if (lk->query[0] == '\0' || (lk->reverse && lk->host.naddrs == 0))
        return sl__err(err, SL_EINPUT, EINVAL, "legacy lookup: no query checked by sl_lookup_run");
    sl_err_clear(&lk->legacy_err);
    memset(&lk->legacy, 0, sizeof(lk->legacy));
    lk->legacy_done = true;
    if (lk->reverse)
        he = gethostbyaddr(a->bytes, (socklen_t)a->length, a->family);
    else if (lk->family == AF_INET6)
        he = gethostbyname2(lk->query, AF_INET6);
    else
        he = gethostbyname(lk->query);
    if (he == NULL) {
        sl__err(&lk->legacy_err, SL_ERESOLVE, h_errno, "%s %s: %s",
                lk->reverse ? "gethostbyaddr" : lk->family == AF_INET6 ? "gethostbyname2"
                                                                         : "gethostbyname",
                lk->query, hstrerror(h_errno));
        return 0;
    }
    copy_hostent(&lk->legacy, he);
    return 0;
}
