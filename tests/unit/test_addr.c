/* tests/unit/test_addr.c: endpoint and port parsing, address formatting. */
#include <arpa/inet.h>
#include <string.h>

#include "socklab/socklab.h"
#include "t.h"

static void ports(void)
{
    uint16_t p = 1;
    sl_err e;
    T_EQ_INT(sl_port_parse("0", &p, &e), 0);
    T_EQ_INT(p, 0);
    T_EQ_INT(sl_port_parse("65535", &p, &e), 0);
    T_EQ_INT(p, 65535);
    T_EQ_INT(sl_port_parse("65536", &p, &e), -1);
    T_EQ_INT(e.kind, SL_EINPUT);
    T_CHECK(strstr(e.msg, "out of range") != NULL);
    T_EQ_INT(sl_port_parse("-1", &p, &e), -1);
    T_EQ_INT(sl_port_parse("abc", &p, &e), -1);
    T_EQ_INT(sl_port_parse("", &p, &e), -1);
    T_EQ_INT(sl_port_parse(" 80", &p, &e), -1);
    T_EQ_INT(sl_port_parse("80 ", &p, &e), -1);
    T_EQ_INT(sl_port_parse("+80", &p, &e), -1);
    T_EQ_INT(sl_port_parse("000000080", &p, &e), -1);
    T_EQ_INT(sl_port_parse("99999999999999999999", &p, &e), -1);
    T_EQ_INT(sl_port_parse(NULL, &p, NULL), -1);
}

/* Parse text and check host and port. */
static void expect(const char *text, const char *host, const char *port)
{
    sl_endpoint ep;
    sl_err e;
    int rc = sl_endpoint_parse(text, &ep, &e);
    T_EQ_INT(rc, 0);
    if (rc == 0) {
        T_EQ_STR(ep.host, host);
        T_EQ_STR(ep.port, port);
    } else {
        fprintf(stderr, "  for '%s': %s\n", text, e.msg);
    }
}

static void endpoints(void)
{
    expect("9190", "", "9190");
    expect("0", "", "0");
    expect("localhost", "localhost", "");
    expect("localhost:80", "localhost", "80");
    expect("127.0.0.1:9190", "127.0.0.1", "9190");
    expect("[::1]:80", "::1", "80");
    expect("[::1]", "::1", "");
    expect("::1", "::1", "");
    expect("fe80::1:2:3", "fe80::1:2:3", "");
    expect("example.org:http", "example.org", "http");
    expect(":8080", "", "8080");
}

static void bad_endpoints(void)
{
    static const char *const bad[] = {
        "", "[::1", "[]:80", "[::1]x", "[::1]:", "host:", "host:65536", "host:-1",
        "a b:80", "host\t:80", "\x01host", "[::1]:99999", "unix:", NULL,
    };
    char longname[400];
    sl_endpoint ep;
    sl_err e;
    for (size_t i = 0; bad[i] != NULL; i++) {
        int rc = sl_endpoint_parse(bad[i], &ep, &e);
        if (rc != -1)
            fprintf(stderr, "  accepted bad endpoint '%s'\n", bad[i]);
        T_EQ_INT(rc, -1);
        T_EQ_INT(e.kind, SL_EINPUT);
    }
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    T_EQ_INT(sl_endpoint_parse(longname, &ep, &e), -1);
    T_CHECK(strstr(e.msg, "too long") != NULL);
    T_CHECK(strlen(e.msg) < 200);       /* the message does not echo it all */
    T_EQ_INT(sl_endpoint_parse(NULL, &ep, &e), -1);
}

static void unix_paths(void)
{
    sl_endpoint ep;
    sl_err e;
    char longpath[200];
    T_EQ_INT(sl_endpoint_parse("unix:/tmp/x.sock", &ep, &e), 0);
    T_CHECK(ep.is_unix);
    T_EQ_STR(ep.host, "/tmp/x.sock");
    memset(longpath, 'p', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = '\0';
    memcpy(longpath, "unix:", 5);
    T_EQ_INT(sl_endpoint_parse(longpath, &ep, &e), -1);
}

/* Resolve text numerically and format it back. */
static void round_trip(const char *text, const char *want)
{
    sl_endpoint ep;
    struct addrinfo *res;
    sl_addr a;
    char buf[SL_ADDRSTRLEN];
    T_EQ_INT(sl_endpoint_parse(text, &ep, NULL), 0);
    T_EQ_INT(sl_resolve(&ep, AF_UNSPEC, SOCK_STREAM, false, &res, NULL), 0);
    if (res == NULL)
        return;
    sl_addr_set(&a, res->ai_addr, res->ai_addrlen);
    T_EQ_STR(sl_addr_format(&a, buf, sizeof(buf)), want);
    sl_addrinfo_free(res);
}

static void formatting(void)
{
    sl_addr a, b;
    char buf[SL_ADDRSTRLEN];
    round_trip("127.0.0.1:9190", "127.0.0.1:9190");
    round_trip("[::1]:80", "[::1]:80");
    round_trip("[2001:db8::5]:65535", "[2001:db8::5]:65535");
    round_trip("unix:/tmp/s", "unix:/tmp/s");
    memset(&a, 0, sizeof(a));
    a.u.in4.sin_family = AF_INET;
    a.u.in4.sin_port = htons(7);
    a.u.in4.sin_addr.s_addr = htonl(0x7f000001);
    a.len = sizeof(a.u.in4);
    T_EQ_STR(sl_addr_format(&a, buf, sizeof(buf)), "127.0.0.1:7");
    T_EQ_STR(sl_addr_host(&a, buf, sizeof(buf)), "127.0.0.1");
    T_EQ_INT(sl_addr_port(&a), 7);
    b = a;
    T_CHECK(sl_addr_equal(&a, &b));
    b.u.in4.sin_port = htons(8);
    T_CHECK(!sl_addr_equal(&a, &b));
    a.u.sa.sa_family = 99;
    T_EQ_STR(sl_addr_format(&a, buf, sizeof(buf)), "family 99");
}

static void resolve_errors(void)
{
    sl_endpoint ep;
    struct addrinfo *res = NULL;
    sl_err e;
    /* Tests never ask DNS: an unknown service fails from /etc/services alone. */
    T_EQ_INT(sl_endpoint_parse("127.0.0.1:no-such-service", &ep, NULL), 0);
    T_EQ_INT(sl_resolve(&ep, AF_UNSPEC, SOCK_STREAM, false, &res, &e), -1);
    T_EQ_INT(e.kind, SL_ERESOLVE);
    T_CHECK(strncmp(e.msg, "resolve 127.0.0.1 port no-such-service", 38) == 0);
}

int main(void)
{
    T_RUN(ports);
    T_RUN(endpoints);
    T_RUN(bad_endpoints);
    T_RUN(unix_paths);
    T_RUN(formatting);
    T_RUN(resolve_errors);
    return T_DONE();
}
