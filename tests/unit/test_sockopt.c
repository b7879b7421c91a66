/* tests/unit/test_sockopt.c: the option table, value parsing and
 * formatting, sysctl defaults against /proc, and what the kernel does to
 * SO_RCVBUF (doubled, clamped to rmem_max, raised to its minimum). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/tcp.h>

#include "socklab/socklab.h"
#include "t.h"

/* Field `field` of a /proc/sys file, read here independently; -1 if absent. */
static long long proc_field(const char *path, int field)
{
    long long v[3] = { -1, -1, -1 };
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%lld %lld %lld", &v[0], &v[1], &v[2]) < field + 1)
        v[field] = -1;
    fclose(f);
    return v[field];
}

static void table(void)
{
    size_t n;
    const sl_sockopt *t = sl_sockopt_table(&n);
    T_CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        T_CHECK(t[i].meaning != NULL && t[i].meaning[0] != '\0');
        T_CHECK(sl_sockopt_find(t[i].name) == &t[i]);
        for (size_t k = 0; k < i; k++)
            T_CHECK(strcmp(t[i].name, t[k].name) != 0);
    }
    T_CHECK(sl_sockopt_find("so_rcvbuf") == sl_sockopt_find("SO_RCVBUF"));
    T_CHECK(sl_sockopt_find("SO_NOPE") == NULL);
    T_CHECK(sl_sockopt_find(NULL) == NULL);
    T_CHECK(sl_sockopt_find("SO_TYPE")->readonly != NULL);
    T_CHECK(sl_sockopt_applies(sl_sockopt_find("TCP_NODELAY"), AF_INET, SOCK_STREAM));
    T_CHECK(!sl_sockopt_applies(sl_sockopt_find("TCP_NODELAY"), AF_INET, SOCK_DGRAM));
    T_CHECK(!sl_sockopt_applies(sl_sockopt_find("IP_TTL"), AF_INET6, SOCK_STREAM));
    T_CHECK(sl_sockopt_applies(sl_sockopt_find("IPV6_V6ONLY"), AF_INET6, SOCK_DGRAM));
    T_CHECK(!sl_sockopt_applies(sl_sockopt_find("IPV6_V6ONLY"), AF_INET, SOCK_DGRAM));
}

/* Parse text for the option called name; expect rc, and num when rc is 0. */
static void expect_parse(const char *name, const char *text, int rc, long long num)
{
    sl_optval v;
    sl_err e;
    int got = sl_optval_parse(sl_sockopt_find(name), text, &v, &e);
    T_EQ_INT(got, rc);
    if (got != rc)
        fprintf(stderr, "  for %s=%s\n", name, text);
    if (rc == 0 && got == 0)
        T_EQ_INT(v.num, num);
    if (rc < 0 && got < 0)
        T_EQ_INT(e.kind, SL_EINPUT);
}

static void values(void)
{
    char buf[64];
    sl_optval v;
    sl_err e;
    expect_parse("SO_REUSEADDR", "on", 0, 1);
    expect_parse("SO_REUSEADDR", "off", 0, 0);
    expect_parse("SO_REUSEADDR", "5", 0, 5);
    expect_parse("SO_REUSEADDR", "maybe", -1, 0);
    expect_parse("SO_RCVBUF", "4K", 0, 4096);
    expect_parse("SO_RCVBUF", "3072", 0, 3072);
    expect_parse("SO_RCVBUF", "-1", -1, 0);
    expect_parse("SO_RCVBUF", "", -1, 0);
    expect_parse("SO_RCVBUF", "12abc", -1, 0);
    expect_parse("SO_RCVBUF", "99999999999999999999", -1, 0);
    expect_parse("SO_RCVTIMEO", "1.5", 0, 1500000);
    expect_parse("SO_RCVTIMEO", "-1", -1, 0);
    expect_parse("SO_RCVTIMEO", "nan", -1, 0);
    expect_parse("IP_TTL", "256", -1, 0);
    expect_parse("IP_TTL", "0", -1, 0);
    expect_parse("IP_TTL", "255", 0, 255);
    expect_parse("SO_TYPE", "2", -1, 0);
    T_EQ_INT(sl_optval_parse(sl_sockopt_find("SO_TYPE"), "1", &v, &e), -1);
    T_CHECK(strstr(e.msg, "created") != NULL);
    T_EQ_INT(sl_optval_parse(sl_sockopt_find("SO_LINGER"), "off", &v, &e), 0);
    T_CHECK(!v.on);
    T_EQ_INT(sl_optval_parse(sl_sockopt_find("SO_LINGER"), "5", &v, &e), 0);
    T_CHECK(v.on);
    T_EQ_INT(v.num, 5);
    T_EQ_STR(sl_optval_format(sl_sockopt_find("SO_LINGER"), &v, buf, sizeof(buf)), "on, 5 s");
    T_EQ_INT(sl_optval_parse(sl_sockopt_find("TCP_CONGESTION"), "a/b", &v, &e), -1);
    T_EQ_INT(sl_optval_parse(sl_sockopt_find("TCP_CONGESTION"), "cubic", &v, &e), 0);
    T_EQ_STR(v.str, "cubic");
    v.num = 1500000;
    T_EQ_STR(sl_optval_format(sl_sockopt_find("SO_RCVTIMEO"), &v, buf, sizeof(buf)), "1.5 s");
    v.num = 0;
    T_EQ_STR(sl_optval_format(sl_sockopt_find("SO_RCVTIMEO"), &v, buf, sizeof(buf)), "0 s (none)");
    v.num = SOCK_STREAM;
    T_EQ_STR(sl_optval_format(sl_sockopt_find("SO_TYPE"), &v, buf, sizeof(buf)), "SOCK_STREAM");
}

static void sysctls(void)
{
    long long v = -2;
    sl_err e;
    T_EQ_INT(sl_sysctl_read("net.core.rmem_default", &v, NULL, 0, &e), 0);
    T_EQ_INT(v, proc_field("/proc/sys/net/core/rmem_default", 0));
    T_EQ_INT(sl_sysctl_read("net.ipv4.tcp_rmem[1]", &v, NULL, 0, &e), 0);
    T_EQ_INT(v, proc_field("/proc/sys/net/ipv4/tcp_rmem", 1));
    T_EQ_INT(sl_sysctl_read("net.ipv4.tcp_wmem[2]", &v, NULL, 0, &e), 0);
    T_EQ_INT(v, proc_field("/proc/sys/net/ipv4/tcp_wmem", 2));
    T_EQ_INT(sl_sysctl_read("net.ipv4.tcp_rmem[7]", &v, NULL, 0, &e), -1);
    T_EQ_INT(sl_sysctl_read("net.no.such", &v, NULL, 0, &e), -1);
}

/* A fresh socket reads the kernel's defaults. */
static void defaults(void)
{
    sl_probe p;
    sl_optval v, d;
    const char *sysctl;
    sl_err e;
    T_EQ_INT(sl_probe_open(&p, AF_INET, SOCK_STREAM, &e), 0);
    T_EQ_INT(sl_sockopt_get(p.fd, sl_sockopt_find("SO_TYPE"), &v, &e), 0);
    T_EQ_INT(v.num, SOCK_STREAM);
    T_EQ_INT(sl_sockopt_get(p.fd, sl_sockopt_find("SO_RCVBUF"), &v, &e), 0);
    T_EQ_INT(v.num, proc_field("/proc/sys/net/ipv4/tcp_rmem", 1));
    T_EQ_INT(sl_sockopt_default(sl_sockopt_find("SO_RCVBUF"), SOCK_STREAM, &sysctl, &d, &e), 1);
    T_EQ_INT(d.num, v.num);
    T_EQ_INT(sl_sockopt_default(sl_sockopt_find("TCP_NODELAY"), SOCK_STREAM, &sysctl, &d, &e), 0);
    sl_probe_close(&p);
    T_EQ_INT(sl_probe_open(&p, AF_INET, SOCK_DGRAM, &e), 0);
    T_EQ_INT(sl_sockopt_get(p.fd, sl_sockopt_find("SO_RCVBUF"), &v, &e), 0);
    T_EQ_INT(v.num, proc_field("/proc/sys/net/core/rmem_default", 0));
    sl_probe_close(&p);
}

/* Set SO_RCVBUF to req on a fresh TCP socket; return actual and the note. */
static long long set_rcvbuf(long long req, sl_optnote *note)
{
    sl_probe p;
    sl_optval want, got;
    sl_err e;
    const sl_sockopt *o = sl_sockopt_find("SO_RCVBUF");
    memset(&want, 0, sizeof(want));
    want.num = req;
    got.num = -1;
    T_EQ_INT(sl_probe_open(&p, AF_INET, SOCK_STREAM, &e), 0);
    T_EQ_INT(sl_sockopt_set(p.fd, o, &want, &e), 0);
    T_EQ_INT(sl_sockopt_get(p.fd, o, &got, &e), 0);
    T_EQ_INT(sl_sockopt_explain(o, AF_INET, SOCK_STREAM, &want, &got, note, &e), 0);
    sl_probe_close(&p);
    return got.num;
}

static void kernel_changes(void)
{
    sl_optnote n;
    long long max = proc_field("/proc/sys/net/core/rmem_max", 0), act;
    if (max >= 3072) {
        T_EQ_INT(set_rcvbuf(3072, &n), 6144);   /* the textbook's 3072 */
        T_EQ_INT(n.kind, SL_NOTE_DOUBLED);
    }
    if (max < (1LL << 30)) {
        T_EQ_INT(set_rcvbuf(1LL << 30, &n), 2 * max);
        T_EQ_INT(n.kind, SL_NOTE_CLAMPED);
        T_EQ_INT(n.limit, max);
        T_EQ_STR(n.sysctl, "net.core.rmem_max");
    }
    act = set_rcvbuf(1, &n);
    T_EQ_INT(n.kind, SL_NOTE_RAISED);
    T_EQ_INT(n.limit, act);
    T_CHECK(act > 2);
}

static void flags_and_readonly(void)
{
    sl_probe p;
    sl_optval want, got;
    sl_optnote n;
    sl_err e;
    const sl_sockopt *o = sl_sockopt_find("SO_REUSEADDR");
    memset(&want, 0, sizeof(want));
    want.num = 5;
    T_EQ_INT(sl_probe_open(&p, AF_INET, SOCK_STREAM, &e), 0);
    T_EQ_INT(sl_sockopt_set(p.fd, o, &want, &e), 0);
    T_EQ_INT(sl_sockopt_get(p.fd, o, &got, &e), 0);
    T_EQ_INT(got.num, 1);
    T_EQ_INT(sl_sockopt_explain(o, AF_INET, SOCK_STREAM, &want, &got, &n, &e), 0);
    T_EQ_INT(n.kind, SL_NOTE_BOOLEAN);
    want.num = SOCK_DGRAM;
    T_EQ_INT(sl_sockopt_set(p.fd, sl_sockopt_find("SO_TYPE"), &want, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    sl_probe_close(&p);
}

static void connected(void)
{
    sl_probe p;
    sl_optval v;
    sl_err e;
    T_EQ_INT(sl_probe_open(&p, AF_INET, SOCK_STREAM, &e), 0);
    T_EQ_INT(sl_probe_connect(&p, &e), 0);
    T_CHECK(p.peer_fd >= 0);
    T_EQ_INT(sl_addr_port(&p.peer) != 0, 1);
    T_EQ_INT(sl_sockopt_get(p.fd, sl_sockopt_find("TCP_MAXSEG"), &v, &e), 0);
    T_CHECK(v.num > 536);   /* loopback's MTU is far above the unconnected default */
    sl_probe_close(&p);
    T_EQ_INT(p.fd, -1);
}

int main(void)
{
    T_RUN(table);
    T_RUN(values);
    T_RUN(sysctls);
    T_RUN(defaults);
    T_RUN(kernel_changes);
    T_RUN(flags_and_readonly);
    T_RUN(connected);
    return T_DONE();
}
