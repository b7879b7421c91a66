/* tests/unit/test_relay.c: the relay library (socklab/relay.h) driven in
 * threads of this process: bytes and half-close through every event-loop
 * backend, a cut after N bytes, a stop from another thread, the figures,
 * and bad configurations refused. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/socklab.h"
#include "t.h"

/* A one-connection echo peer: echoes until EOF, then half-closes. */
static void *echo_once(void *arg)
{
    int l = *(int *)arg, c = accept(l, NULL, NULL);
    char buf[4096];
    ssize_t n;
    while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0)
        if (sl_write_all(c, buf, (size_t)n, NULL) < 0)
            break;
    if (c >= 0) {
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static void *relay_main(void *arg)
{
    static int rc;
    rc = sl_relay_run(arg, NULL);
    return &rc;
}

/* A loopback listener on a kernel-chosen port; its port in *port. */
static int listener(int type, char *port, size_t len)
{
    sl_endpoint ep;
    sl_listen_opts o = { .socktype = type, .family = AF_INET, .v6only = -1 };
    sl_addr bound;
    int fd;
    sl_endpoint_parse("127.0.0.1:0", &ep, NULL);
    fd = sl_listen(&ep, &o, &bound, NULL);
    snprintf(port, len, "%u", sl_addr_port(&bound));
    return fd;
}

/* Relay client -> relay -> echo with backend and faults; returns the bytes
 * that came back (into back) and fills the relay's figures. */
static ssize_t through(const char *backend, const sl_relay_faults *f, const char *data,
                       size_t len, char *back, size_t cap, sl_relay_stats *stats)
{
    char tport[16], rport[16];
    int tl = listener(SOCK_STREAM, tport, sizeof(tport));
    int rl = listener(SOCK_STREAM, rport, sizeof(rport));
    sl_relay_config cfg = { .backend = backend, .seed = 1 };
    sl_endpoint ep;
    pthread_t et, rt;
    sl_relay *r;
    ssize_t got = -1;
    int c;
    sl_endpoint_parse("127.0.0.1", &cfg.target, NULL);
    sl_endpoint_default(&cfg.target, NULL, tport);
    if (f != NULL)
        cfg.faults = *f;
    r = sl_relay_new(&cfg, rl, NULL);
    T_CHECK(tl >= 0 && rl >= 0 && r != NULL);
    if (r == NULL)
        return -1;
    pthread_create(&et, NULL, echo_once, &tl);
    pthread_create(&rt, NULL, relay_main, r);
    sl_endpoint_parse("127.0.0.1", &ep, NULL);
    sl_endpoint_default(&ep, NULL, rport);
    c = sl_connect(&ep, AF_INET, SOCK_STREAM, 5000, NULL, NULL);
    T_CHECK(c >= 0);
    if (c >= 0) {
        T_EQ_INT(sl_write_all(c, data, len, NULL), 0);
        shutdown(c, SHUT_WR);           /* the FIN goes through, the echo ends */
        got = sl_read_full(c, back, cap, NULL);
        close(c);
    }
    pthread_join(et, NULL);
    sl_relay_stop(r);                   /* from another thread than the loop's */
    pthread_join(rt, NULL);
    sl_relay_stats_get(r, stats);
    sl_relay_free(r);
    close(tl);
    close(rl);
    return got;
}

static void every_backend(void)
{
    static char data[100000], back[200000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + 3);
    for (const char *const *b = sl_loop_backends(); *b != NULL; b++) {
        sl_relay_stats s;
        ssize_t n = through(*b, NULL, data, sizeof(data), back, sizeof(back), &s);
        T_EQ_INT(n, sizeof(data));
        T_CHECK(n == (ssize_t)sizeof(data) && memcmp(back, data, sizeof(data)) == 0);
        T_EQ_INT(s.clients, 1);
        T_EQ_INT(s.bytes_up, sizeof(data));
        T_EQ_INT(s.bytes_down, sizeof(data));
        T_EQ_INT(s.cuts + s.flips + s.resets, 0);
    }
}

static void cut_and_flip(void)
{
    static char data[5000], back[10000];
    sl_relay_faults f = { .dirs = SL_RELAY_DOWN, .cut = true, .cut_after = 1000,
                          .flip = true, .flip_at = 10 };
    sl_relay_stats s;
    ssize_t n;
    memset(data, 'a', sizeof(data));
    n = through(NULL, &f, data, sizeof(data), back, sizeof(back), &s);
    T_EQ_INT(n, 1000);                        /* cut with FIN: a clean short stream */
    T_EQ_INT((unsigned char)back[10], (unsigned char)('a' ^ 0xff));
    T_EQ_INT(back[9], 'a');
    T_EQ_INT(s.cuts, 1);
    T_EQ_INT(s.flips, 1);
}

static void bad_config(void)
{
    sl_relay_config cfg = { .faults = { .drop = 2.0 } };
    sl_err e;
    int fd;
    sl_endpoint_parse("127.0.0.1:9", &cfg.target, NULL);
    T_CHECK(sl_relay_new(&cfg, -1, &e) == NULL);
    T_EQ_INT(e.kind, SL_EINPUT);
    cfg.faults.drop = 0;
    cfg.backend = "no-such-loop";
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    T_CHECK(sl_relay_new(&cfg, fd, &e) == NULL);
    T_EQ_INT(e.kind, SL_EUNSUPPORTED);
    close(fd);
}

int main(void)
{
    T_RUN(every_backend);
    T_RUN(cut_and_flip);
    T_RUN(bad_config);
    return T_DONE();
}
