/* tests/unit/test_dgram.c: the datagram server's pieces: reflector ports
 * and impossible sources, the per-source rate table, and serving a UDP
 * socket (one bounded batch per readiness, boundaries kept, truncation
 * reported, the rate limit, the blocking loop's stop) over loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socklab/socklab.h"
#include "engine/dgram_internal.h"
#include "engine/engine.h"
#include "t.h"

static sl_addr v4(const char *ip, uint16_t port)
{
    sl_addr a;
    memset(&a, 0, sizeof(a));
    a.u.in4.sin_family = AF_INET;
    a.u.in4.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.u.in4.sin_addr);
    a.len = sizeof(a.u.in4);
    return a;
}

static sl_addr v6(const char *ip, uint16_t port)
{
    sl_addr a;
    memset(&a, 0, sizeof(a));
    a.u.in6.sin6_family = AF_INET6;
    a.u.in6.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.u.in6.sin6_addr);
    a.len = sizeof(a.u.in6);
    return a;
}

static void reflectors(void)
{
    uint16_t last = 0;
    size_t i;
    T_EQ_STR(sl_dgram_reflector_name(7), "echo");
    T_EQ_STR(sl_dgram_reflector_name(19), "chargen");
    T_EQ_STR(sl_dgram_reflector_name(123), "ntp");
    T_EQ_STR(sl_dgram_reflector_name(11211), "memcached");
    T_CHECK(sl_dgram_reflector_name(9190) == NULL);
    T_CHECK(sl_dgram_reflector_name(0) == NULL);
    for (i = 0; sl_dgram_reflector_port(i) != 0 && i < 1000; i++) {
        T_CHECK(sl_dgram_reflector_port(i) > last);     /* ascending, no repeats */
        T_CHECK(sl_dgram_reflector_name(sl_dgram_reflector_port(i)) != NULL);
        last = sl_dgram_reflector_port(i);
    }
    T_CHECK(i >= 13);
}

static void refusals(void)
{
    sl_addr a;
    a = v4("127.0.0.1", 40000);
    T_CHECK(sl_dgram_refusal(&a) == NULL);
    a = v4("127.0.0.1", 0);
    T_CHECK(sl_dgram_refusal(&a) != NULL && strstr(sl_dgram_refusal(&a), "port 0"));
    a = v4("127.0.0.1", 19);
    T_CHECK(sl_dgram_refusal(&a) != NULL && strstr(sl_dgram_refusal(&a), "reflector"));
    a = v4("255.255.255.255", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v4("224.0.0.1", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v4("0.0.0.0", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v6("::1", 5000);
    T_CHECK(sl_dgram_refusal(&a) == NULL);
    a = v6("::1", 7);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v6("ff02::1", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v6("::", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v6("::ffff:224.0.0.5", 5000);
    T_CHECK(sl_dgram_refusal(&a) != NULL);
    a = v6("::ffff:127.0.0.1", 5000);
    T_CHECK(sl_dgram_refusal(&a) == NULL);
}

static void rate_buckets(void)
{
    sl__rate_table t;
    sl_addr a = v4("10.0.0.1", 1000), a2 = v4("10.0.0.1", 2000), b = v4("10.0.0.2", 1000);
    sl_addr m = v6("::ffff:10.0.0.1", 3000);
    sl_err e;
    T_EQ_INT(sl__rate_init(&t, 0, 0, 16, &e), -1);
    T_EQ_INT(sl__rate_init(&t, 10, 3, 16, &e), 0);
    for (int i = 0; i < 3; i++)
        T_CHECK(sl__rate_allow(&t, &a, 1000));
    T_CHECK(!sl__rate_allow(&t, &a, 1000));      /* the burst is spent */
    T_CHECK(!sl__rate_allow(&t, &a2, 1000));     /* another port, same source */
    T_CHECK(!sl__rate_allow(&t, &m, 1000));      /* IPv4-mapped is the same source */
    T_CHECK(sl__rate_allow(&t, &b, 1000));       /* another source has its own */
    T_CHECK(!sl__rate_allow(&t, &a, 1099));      /* 99 ms at 10/s: not yet one */
    T_CHECK(sl__rate_allow(&t, &a, 1100));       /* 100 ms: one more */
    T_CHECK(!sl__rate_allow(&t, &a, 1100));
    T_CHECK(sl__rate_allow(&t, &a, 100000));     /* refilled, capped at the burst */
    T_CHECK(sl__rate_allow(&t, &a, 100000));
    T_CHECK(sl__rate_allow(&t, &a, 100000));
    T_CHECK(!sl__rate_allow(&t, &a, 100000));
    T_EQ_INT(sl__rate_count(&t), 2);
    sl__rate_free(&t);
}

static void rate_table_bounded(void)
{
    sl__rate_table t;
    sl_err e;
    char ip[32];
    T_EQ_INT(sl__rate_init(&t, 1, 1, 8, &e), 0);
    for (int i = 0; i < 1000; i++) {
        sl_addr a;
        snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
        a = v4(ip, 5000);
        T_CHECK(sl__rate_allow(&t, &a, 1000 + i));   /* a new source: a full bucket */
    }
    T_CHECK(sl__rate_count(&t) <= 8);
    sl__rate_free(&t);
}

/* ---- serving over loopback ------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192];

static void on_event(const sl_event *ev, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_lock);
    if (ev->msg != NULL && strlen(log_text) + strlen(ev->msg) + 2 < sizeof(log_text)) {
        strcat(log_text, ev->msg);
        strcat(log_text, "\n");
    }
    pthread_mutex_unlock(&log_lock);
}

static bool logged(const char *what)
{
    bool found;
    pthread_mutex_lock(&log_lock);
    found = strstr(log_text, what) != NULL;
    pthread_mutex_unlock(&log_lock);
    return found;
}

typedef struct rig {
    sl_server *srv;
    int fd;             /* the server's UDP socket */
    int cli;            /* a client socket connected to it */
} rig;

/* A server with a UDP socket on 127.0.0.1 and a connected client. */
static int rig_open(rig *r, const sl_dgram_config *dc)
{
    sl_server_config cfg;
    sl_listen_opts lo;
    sl_endpoint ep;
    sl_addr bound;
    sl_err e;
    memset(&cfg, 0, sizeof(cfg));
    memset(&lo, 0, sizeof(lo));
    cfg.service = &sl_echo_service;
    cfg.on_event = on_event;
    cfg.model = "iterative";
    lo.socktype = SOCK_DGRAM;
    lo.no_reuseaddr = true;
    log_text[0] = '\0';
    if (sl_endpoint_parse("127.0.0.1:0", &ep, &e) < 0 ||
        (r->srv = sl_server_new(&cfg, &e)) == NULL ||
        (r->fd = sl_listen(&ep, &lo, &bound, &e)) < 0 ||
        sl_server_add_listener(r->srv, r->fd, SOCK_DGRAM, &e) < 0 ||
        (dc != NULL && sl_server_set_dgram(r->srv, dc, &e) < 0)) {
        fprintf(stderr, "  rig: %s\n", e.msg);
        return -1;
    }
    r->cli = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (connect(r->cli, &bound.u.sa, bound.len) < 0)
        return -1;
    return 0;
}

static void rig_close(rig *r)
{
    sl_server_free(r->srv);
    close(r->fd);
    close(r->cli);
}

/* The next echo on the client, waiting at most 5 s; its length or -1. */
static ssize_t echo_in(const rig *r, void *buf, size_t cap)
{
    if (sl_wait_fd(r->cli, POLLIN, 5000, NULL) != 1)
        return -1;
    return recv(r->cli, buf, cap, MSG_DONTWAIT);
}

/* True when nothing more arrives on the client within ms. */
static bool quiet_for(const rig *r, int ms)
{
    return sl_wait_fd(r->cli, POLLIN, ms, NULL) == 0;
}

static void serve_boundaries(void)
{
    static const char *const msgs[] = { "x", "", "a longer datagram" };
    char buf[64];
    sl_dgram_stats st;
    sl_err e;
    rig r;
    if (rig_open(&r, NULL) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    for (int i = 0; i < 3; i++)
        T_EQ_INT(send(r.cli, msgs[i], strlen(msgs[i]), 0), (long long)strlen(msgs[i]));
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    for (int i = 0; i < 3; i++) {
        ssize_t n = echo_in(&r, buf, sizeof(buf));
        T_EQ_INT(n, (long long)strlen(msgs[i]));
        T_CHECK(n >= 0 && memcmp(buf, msgs[i], (size_t)n) == 0);
    }
    T_CHECK(quiet_for(&r, 50));
    sl_server_dgram_stats(r.srv, &st);
    T_EQ_INT(st.received, 3);
    T_EQ_INT(st.echoed, 3);
    T_EQ_INT(st.bytes, 18);
    T_CHECK(logged("bytes echoed"));
    rig_close(&r);
}

static void serve_truncated(void)
{
    sl_dgram_config dc = { .buffer = 100 };
    uint8_t big[200], ok[100], buf[256];
    sl_dgram_stats st;
    sl_err e;
    rig r;
    if (rig_open(&r, &dc) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    memset(big, 'B', sizeof(big));
    memset(ok, 'k', sizeof(ok));
    send(r.cli, big, sizeof(big), 0);
    send(r.cli, ok, sizeof(ok), 0);
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    T_EQ_INT(echo_in(&r, buf, sizeof(buf)), 100);      /* only the one that fit */
    T_EQ_INT(buf[0], 'k');
    T_CHECK(quiet_for(&r, 50));
    sl_server_dgram_stats(r.srv, &st);
    T_EQ_INT(st.truncated, 1);
    T_EQ_INT(st.echoed, 1);
    T_CHECK(logged("datagram of 200 bytes truncated to the 100-byte buffer"));
    rig_close(&r);
}

/* One readiness serves a bounded batch (64), then returns: the rest waits
 * for the next call, so a flood cannot starve the loop's other sockets. */
static void serve_bounded_batch(void)
{
    char buf[16];
    int n = 0;
    sl_err e;
    rig r;
    if (rig_open(&r, NULL) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    for (int i = 0; i < 100; i++)
        send(r.cli, "d", 1, 0);
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    while (sl_wait_fd(r.cli, POLLIN, n < 64 ? 5000 : 50, NULL) == 1 &&
           recv(r.cli, buf, sizeof(buf), MSG_DONTWAIT) == 1)
        n++;
    T_EQ_INT(n, 64);
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    while (sl_wait_fd(r.cli, POLLIN, n < 100 ? 5000 : 50, NULL) == 1 &&
           recv(r.cli, buf, sizeof(buf), MSG_DONTWAIT) == 1)
        n++;
    T_EQ_INT(n, 100);
    rig_close(&r);
}

static void serve_rate_limited(void)
{
    sl_dgram_config dc = { .rate = 1, .burst = 2 };
    sl_dgram_stats st;
    char buf[16];
    sl_err e;
    rig r;
    if (rig_open(&r, &dc) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    for (int i = 0; i < 5; i++)
        send(r.cli, "r", 1, 0);
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    sl_server_dgram_stats(r.srv, &st);
    T_EQ_INT(st.received, 5);
    /* Two at once (the burst); a third only if a second passed meanwhile. */
    T_CHECK(st.echoed >= 2 && st.echoed <= 3);
    T_EQ_INT(st.echoed + st.rate_limited, 5);
    T_CHECK(echo_in(&r, buf, sizeof(buf)) == 1);
    T_CHECK(logged("over the rate limit of 1 datagrams/s"));
    rig_close(&r);
}

static void *loop_main(void *arg)
{
    rig *r = arg;
    sl__dgram_serve_loop(r->srv, r->fd);
    return NULL;
}

/* The blocking models' loop serves until the server stops, then returns. */
static void serve_loop_stops(void)
{
    struct timespec until;
    pthread_t tid;
    char buf[16];
    rig r;
    if (rig_open(&r, NULL) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    T_EQ_INT(pthread_create(&tid, NULL, loop_main, &r), 0);
    send(r.cli, "hello", 5, 0);
    T_EQ_INT(echo_in(&r, buf, sizeof(buf)), 5);
    sl_server_stop(r.srv);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    T_EQ_INT(pthread_timedjoin_np(tid, NULL, &until), 0);
    rig_close(&r);
}

/* A datagram from a reflector port is not answered (binding port 19 needs
 * root or CAP_NET_BIND_SERVICE). */
static void serve_reflector_refused(void)
{
    struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(19) };
    sl_addr srv_addr;
    char buf[16];
    sl_err e;
    int s;
    rig r;
    if (rig_open(&r, NULL) < 0) {
        T_CHECK(0 && "rig");
        return;
    }
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
    if (bind(s, (struct sockaddr *)&from, sizeof(from)) < 0) {
        printf("  (port 19 not bindable: %s; the e2e test covers this as root)\n",
               strerror(errno));
        close(s);
        rig_close(&r);
        return;
    }
    sl_local_addr(r.fd, &srv_addr, NULL);
    sendto(s, "loop?", 5, 0, &srv_addr.u.sa, srv_addr.len);
    send(r.cli, "ctl", 3, 0);
    T_EQ_INT(sl__dgram_serve_ready(r.srv, r.fd, &e), 0);
    T_EQ_INT(echo_in(&r, buf, sizeof(buf)), 3);
    T_EQ_INT(sl_wait_fd(s, POLLIN, 50, NULL), 0);
    T_CHECK(logged("127.0.0.1:19: not answered"));
    close(s);
    rig_close(&r);
}

int main(void)
{
    T_RUN(reflectors);
    T_RUN(refusals);
    T_RUN(rate_buckets);
    T_RUN(rate_table_bounded);
    T_RUN(serve_boundaries);
    T_RUN(serve_truncated);
    T_RUN(serve_bounded_batch);
    T_RUN(serve_rate_limited);
    T_RUN(serve_loop_stops);
    T_RUN(serve_reflector_refused);
    return T_DONE();
}
