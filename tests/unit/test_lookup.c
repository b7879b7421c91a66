/* tests/unit/test_lookup.c: the name checks that keep hostile input away
 * from the resolver. Nothing here resolves a name: sl_lookup_run is only
 * given input it must refuse before any lookup (no DNS query, ever). */
#include <stdlib.h>
#include <string.h>

#include "socklab/socklab.h"
#include "t.h"

/* A name of n characters: labels of 63 'a' joined by dots, then filler. */
static void make_name(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (i % 64 == 63) ? '.' : 'a';
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = 'b';
    buf[n] = '\0';
}

static void accepted(void)
{
    char name[300];
    sl_err e;
    T_EQ_INT(sl_hostname_check("localhost", &e), 0);
    T_EQ_INT(sl_hostname_check("www.example.org.", &e), 0);
    T_EQ_INT(sl_hostname_check("_sip._tcp.example.org", &e), 0);
    T_EQ_INT(sl_hostname_check("xn--bcher-kva.example", &e), 0);
    T_EQ_INT(sl_hostname_check("a-b.c0", &e), 0);
    make_name(name, 253);
    T_EQ_INT(sl_hostname_check(name, &e), 0);
    strcat(name, ".");
    T_EQ_INT(sl_hostname_check(name, &e), 0);   /* 253 and the root's dot */
}

/* name must be refused as input, with why in the message. */
static void refused(const char *name, const char *why)
{
    sl_err e;
    T_EQ_INT(sl_hostname_check(name, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    if (strstr(e.msg, why) == NULL) {
        fprintf(stderr, "  '%s': message '%s' lacks '%s'\n", name, e.msg, why);
        T_CHECK(strstr(e.msg, why) != NULL);
    }
}

static void hostile(void)
{
    char name[300], label[80];
    make_name(name, 254);
    refused(name, "at most 253");
    memset(label, 'a', 64);
    strcpy(label + 64, ".org");
    refused(label, "label 1 is 64 characters");
    refused("", "empty");
    refused(".", "empty");
    refused("a..b", "label 2 is empty");
    refused(".a", "label 1 is empty");
    refused("a.b..", "label 3 is empty");
    refused("a b", "space at character 2");
    refused("a\tb", "control character 0x09");
    refused("a\nb", "control character 0x0a");
    refused("a\x7f", "control character 0x7f");
    refused("\xc3\xa9t\xc3\xa9", "non-ASCII");
    refused("a/b", "'/' at character 2");
    refused("a@b", "'@'");
    refused("a:b", "':'");
    T_EQ_INT(sl_hostname_check(NULL, NULL), -1);
}

/* Input sl_lookup_run refuses before any lookup. */
static void run_refuses(void)
{
    sl_lookup *lk = calloc(1, sizeof(*lk));
    sl_err e;
    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    T_CHECK(lk != NULL);
    if (lk == NULL)
        return;
    T_EQ_INT(sl_lookup_run("a..b", AF_UNSPEC, lk, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_lookup_run(big, AF_UNSPEC, lk, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_lookup_run("a\001", AF_UNSPEC, lk, &e), -1);
    T_EQ_INT(sl_lookup_run("::1", AF_INET, lk, &e), -1);   /* numeric: no resolver */
    T_EQ_INT(e.kind, SL_EINPUT);
    T_EQ_INT(sl_lookup_run("127.0.0.1", AF_INET6, lk, &e), -1);
    T_EQ_INT(sl_lookup_run("x", 12345, lk, &e), -1);
    T_EQ_INT(sl_lookup_legacy(lk, &e), -1);   /* nothing was looked up */
    free(lk);
}

int main(void)
{
    T_RUN(accepted);
    T_RUN(hostile);
    T_RUN(run_refuses);
    return T_DONE();
}
