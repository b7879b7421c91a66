/* tests/unit/test_diag.c: the socket table (netlink and /proc), owners,
 * process states, the TCP segment parser and the state tracker. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "socklab/socklab.h"
#include "socklab/capture.h"
#include "net/capture_internal.h"
#include "t.h"

static void state_names(void)
{
    for (int s = 1; s < SL_TCP_STATE_MAX; s++)
        T_EQ_INT(sl_tcp_state_parse(sl_tcp_state_name(s)), s);
    T_EQ_INT(sl_tcp_state_parse("time-wait"), SL_TCP_TIME_WAIT);
    T_EQ_INT(sl_tcp_state_parse("fin_wait2"), SL_TCP_FIN_WAIT2);
    T_EQ_INT(sl_tcp_state_parse("TIME_WAITX"), -1);
    T_EQ_INT(sl_tcp_state_parse("TIME"), -1);
    T_EQ_INT(sl_tcp_state_parse(""), -1);
    T_EQ_STR(sl_tcp_state_name(0), "UNKNOWN");
    T_EQ_STR(sl_tcp_state_name(99), "UNKNOWN");
    T_EQ_STR(sl_diag_source_name(SL_DIAG_PROC), "/proc");
}

typedef struct found {
    uint16_t lport, rport;
    int state;
    int count;
    sl_sockinfo info;
} found;

static int find(const sl_sockinfo *s, void *arg)
{
    found *f = arg;
    if (sl_addr_port(&s->local) == f->lport &&
        (f->rport == 0 || sl_addr_port(&s->remote) == f->rport) && s->state == f->state) {
        f->count++;
        f->info = *s;
    }
    return 0;
}

/* Count sockets (lport, rport, state) from one source. */
static int count_in(sl_diag_source src, uint16_t lport, uint16_t rport, int state,
                    sl_sockinfo *info)
{
    found f = { lport, rport, state, 0, { 0 } };
    sl_err e;
    T_EQ_INT(sl_socktable_scan_from(src, IPPROTO_TCP, AF_INET, find, &f, &e), 0);
    if (info != NULL)
        *info = f.info;
    return f.count;
}

/* The explanation for a bind to 127.0.0.1:port, held by one TIME_WAIT:
 * counted there and at the wildcards, not at another loopback address. */
static void explain_at(uint16_t port, char *buf)
{
    sl_addr at;
    struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons(port) };
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

    in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sl_addr_set(&at, (struct sockaddr *)&in4, sizeof(in4));
    sl_port_explain(IPPROTO_TCP, &at, false, buf, SL_ERRLEN);
    T_CHECK(strstr(buf, "1 connection on port") != NULL);
    T_CHECK(strstr(buf, "is in TIME_WAIT") != NULL);
    T_CHECK(strstr(buf, "SO_REUSEADDR would allow") != NULL);
    sl_port_explain(IPPROTO_TCP, &at, false, buf, 8);     /* truncates, never overflows */
    T_EQ_INT(strlen(buf), 7);
    in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 2);      /* 127.0.0.3: free */
    sl_addr_set(&at, (struct sockaddr *)&in4, sizeof(in4));
    sl_port_explain(IPPROTO_TCP, &at, false, buf, SL_ERRLEN);
    T_CHECK(strstr(buf, "No socket") != NULL);
    in4.sin_addr.s_addr = htonl(INADDR_ANY);
    sl_addr_set(&at, (struct sockaddr *)&in4, sizeof(in4));
    sl_port_explain(IPPROTO_TCP, &at, false, buf, SL_ERRLEN);
    T_CHECK(strstr(buf, "is in TIME_WAIT") != NULL);
    in6.sin6_addr = in6addr_any;                            /* [::] is dual-stack */
    sl_addr_set(&at, (struct sockaddr *)&in6, sizeof(in6));
    sl_port_explain(IPPROTO_TCP, &at, false, buf, SL_ERRLEN);
    T_CHECK(strstr(buf, "is in TIME_WAIT") != NULL);
    in6.sin6_addr = in6addr_loopback;                       /* [::1] is another address */
    sl_addr_set(&at, (struct sockaddr *)&in6, sizeof(in6));
    sl_port_explain(IPPROTO_TCP, &at, false, buf, SL_ERRLEN);
    T_CHECK(strstr(buf, "No socket") != NULL);
}

/* A listener and a connection the server closed first (TIME_WAIT). */
static void table(void)
{
    sl_endpoint ep = { .host = "127.0.0.1", .port = "0" };
    sl_listen_opts lo = { .socktype = SOCK_STREAM, .v6only = -1 };
    sl_addr bound, caddr;
    sl_sockinfo info;
    sl_sockowner own;
    sl_err e;
    char c, buf[SL_ERRLEN];
    int lfd = sl_listen(&ep, &lo, &bound, &e), cfd, sfd;
    uint16_t port = sl_addr_port(&bound), cport;

    T_CHECK(lfd >= 0);
    snprintf(ep.port, sizeof(ep.port), "%u", (unsigned)port);
    cfd = sl_connect(&ep, AF_INET, SOCK_STREAM, 5000, NULL, &e);
    sfd = sl_accept(lfd, NULL, false, &e);
    T_CHECK(cfd >= 0 && sfd >= 0);
    sl_local_addr(cfd, &caddr, &e);
    cport = sl_addr_port(&caddr);
    for (int src = SL_DIAG_NETLINK; src <= SL_DIAG_PROC; src++) {
        T_EQ_INT(count_in((sl_diag_source)src, port, 0, SL_TCP_LISTEN, &info), 1);
        T_CHECK(info.inode != 0);
        T_EQ_INT(count_in((sl_diag_source)src, port, cport, SL_TCP_ESTABLISHED, NULL), 1);
        T_EQ_INT(count_in((sl_diag_source)src, cport, port, SL_TCP_ESTABLISHED, NULL), 1);
    }
    own.inode = info.inode;
    T_EQ_INT(sl_sock_owners(&own, 1, &e), 1);
    T_EQ_INT(own.pid, getpid());
    T_EQ_INT(own.fd, lfd);
    sl_close(sfd);
    T_EQ_INT(sl_read_some(cfd, &c, 1, &e), 0);
    sl_close(cfd);
    for (int i = 0; i < 2000 && count_in(SL_DIAG_NETLINK, port, cport, SL_TCP_TIME_WAIT, NULL) == 0; i++)
        nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
    for (int src = SL_DIAG_NETLINK; src <= SL_DIAG_PROC; src++) {
        T_EQ_INT(count_in((sl_diag_source)src, port, cport, SL_TCP_TIME_WAIT, &info), 1);
        T_EQ_INT(info.timer, SL_TIMER_TIMEWAIT);
        T_CHECK(info.expires_ms > 0 && info.expires_ms <= 60000);
        T_EQ_INT(info.inode, 0);
    }
    sl_close(lfd);
    explain_at(port, buf);
}


static void owners_none(void)
{
    sl_sockowner own[2] = { { .inode = 1 }, { .inode = 2 } };   /* no such sockets */
    T_EQ_INT(sl_sock_owners(own, 2, NULL), 0);
    T_EQ_INT(own[0].pid, 0);
    T_EQ_INT(sl_sock_owners(NULL, 0, NULL), 0);
}

static void process_state(void)
{
    char st = '?';
    sl_err e;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    T_CHECK(pid > 0);
    for (int i = 0; i < 5000 && (sl_proc_state(pid, &st, &e) < 0 || st != 'Z'); i++)
        nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
    T_EQ_INT(st, 'Z');
    T_EQ_INT(sl_proc_state(getpid(), &st, &e), 0);
    T_EQ_INT(st, 'R');
    waitpid(pid, NULL, 0);
    T_EQ_INT(sl_proc_state(pid, &st, &e), -1);
    T_EQ_INT(e.code, ENOENT);
}

/* Build Ethernet + IPv4 + TCP (20-byte header + 4 option bytes) + payload. */
static size_t frame4(uint8_t *f, uint8_t flags, uint32_t seq, uint32_t ack, size_t payload)
{
    size_t ip_len = 20 + 24 + payload;
    memset(f, 0, 14 + ip_len);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = (uint8_t)(ip_len >> 8);
    f[17] = (uint8_t)ip_len;
    f[23] = IPPROTO_TCP;
    memcpy(f + 26, "\x7f\x00\x00\x01", 4);
    memcpy(f + 30, "\x7f\x00\x00\x02", 4);
    f[34] = 0x1f; f[35] = 0x90;              /* 8080 */
    f[36] = 0x00; f[37] = 0x50;              /* 80 */
    for (int i = 0; i < 4; i++) {
        f[38 + i] = (uint8_t)(seq >> (24 - 8 * i));
        f[42 + i] = (uint8_t)(ack >> (24 - 8 * i));
    }
    f[46] = 6 << 4;                          /* 24-byte header */
    f[47] = flags;
    f[48] = 0xff; f[49] = 0xff;
    return 14 + ip_len;
}

static void parse(void)
{
    uint8_t f[256], g[128];
    char addr[SL_ADDRSTRLEN], fl[32];
    sl_segment s;
    size_t n = frame4(f, SL_TH_FIN | SL_TH_ACK, 5000, 7500, 10);

    T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, f, n, &s), 1);
    T_EQ_STR(sl_addr_format(&s.src, addr, sizeof(addr)), "127.0.0.1:8080");
    T_EQ_STR(sl_addr_format(&s.dst, addr, sizeof(addr)), "127.0.0.2:80");
    T_EQ_INT(s.seq, 5000);
    T_EQ_INT(s.ack, 7500);
    T_EQ_INT(s.len, 10);
    T_EQ_INT(s.win, 65535);
    T_EQ_STR(sl_segment_flags(s.flags, fl, sizeof(fl)), "FIN,ACK");
    T_EQ_STR(sl_segment_flags(0, fl, sizeof(fl)), "none");
    /* Headers only (a short snap length): the length still comes from IP. */
    T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, f, 14 + 20 + 20, &s), 1);
    T_EQ_INT(s.len, 10);
    T_EQ_INT(sl_segment_parse(SL_LINK_RAW, f + 14, n - 14, &s), 1);
    /* Every shorter prefix is refused or parsed without reading past it. */
    for (size_t k = 0; k < 14 + 40; k++) {
        memcpy(g, f, k);
        T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, g, k, &s), 0);
    }
    f[14] = 0x44;                            /* IHL 16: malformed */
    T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, f, n, &s), 0);
    f[14] = 0x45;
    f[20] = 0x00; f[21] = 0x10;              /* a later fragment */
    T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, f, n, &s), 0);
    f[21] = 0;
    f[23] = IPPROTO_UDP;
    T_EQ_INT(sl_segment_parse(SL_LINK_ETHERNET, f, n, &s), 0);
    T_EQ_INT(sl_segment_parse(99, f, n, &s), 0);
}

static void parse6(void)
{
    uint8_t f[40 + 20];
    sl_segment s;
    char addr[SL_ADDRSTRLEN];
    memset(f, 0, sizeof(f));
    f[0] = 0x60;
    f[5] = 20;                               /* payload length: the TCP header */
    f[6] = IPPROTO_TCP;
    f[23] = 1;                               /* ::1 */
    f[39] = 1;
    f[40] = 0x23; f[41] = 0x1e;              /* 8990 */
    f[43] = 80;
    f[52] = 5 << 4;
    f[53] = SL_TH_SYN;
    T_EQ_INT(sl_segment_parse(SL_LINK_RAW, f, sizeof(f), &s), 1);
    T_EQ_STR(sl_addr_format(&s.src, addr, sizeof(addr)), "[::1]:8990");
    T_EQ_INT(s.flags, SL_TH_SYN);
    T_EQ_INT(s.len, 0);
    f[5] = 10;                               /* shorter than the TCP header */
    T_EQ_INT(sl_segment_parse(SL_LINK_RAW, f, sizeof(f), &s), 0);
}

/* A segment from a to b (or b to a) for the tracker. */
static sl_segment seg(const sl_addr *from, const sl_addr *to, uint8_t flags, uint32_t seq,
                      uint32_t ack, int event)
{
    sl_segment s;
    memset(&s, 0, sizeof(s));
    s.src = *from;
    s.dst = *to;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.event = event;
    return s;
}

static void make_addrs(sl_addr *a, sl_addr *b)
{
    struct sockaddr_in x = { .sin_family = AF_INET, .sin_port = htons(40000) };
    x.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sl_addr_set(a, (struct sockaddr *)&x, sizeof(x));
    x.sin_port = htons(9190);
    sl_addr_set(b, (struct sockaddr *)&x, sizeof(x));
}

/* The seed's figure: A (SEQ 5000) closes first; B answers (SEQ 7500). */
static void track_four_way(void)
{
    sl_addr a, b, other;
    sl_track t;
    sl_segment s;
    make_addrs(&a, &b);
    sl_track_init(&t);
    s = seg(&a, &b, SL_TH_SYN, 4999, 0, SL_SEG_SEEN);
    T_EQ_INT(sl_track_segment(&t, &s), 1);
    T_EQ_INT(t.state_a, SL_TCP_SYN_SENT);
    T_EQ_INT(t.state_b, SL_TCP_SYN_RECV);
    s = seg(&b, &a, SL_TH_SYN | SL_TH_ACK, 7499, 5000, SL_SEG_SEEN);
    T_EQ_INT(sl_track_segment(&t, &s), 2);
    T_EQ_INT(t.state_a, SL_TCP_ESTABLISHED);
    s = seg(&a, &b, SL_TH_ACK, 5000, 7500, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_ESTABLISHED);
    s = seg(&a, &b, SL_TH_FIN | SL_TH_ACK, 5000, 7500, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_FIN_WAIT1);
    T_EQ_INT(t.state_b, SL_TCP_CLOSE_WAIT);
    s = seg(&b, &a, SL_TH_ACK, 7500, 5001, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_FIN_WAIT2);
    s = seg(&b, &a, SL_TH_FIN | SL_TH_ACK, 7500, 5001, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_LAST_ACK);
    T_EQ_INT(t.state_a, SL_TCP_TIME_WAIT);
    s = seg(&a, &b, SL_TH_ACK, 5001, 7501, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_CLOSE);
    T_EQ_INT(t.isn_a, 4999);
    /* Another connection's segment is ignored. */
    other = a;
    other.u.in4.sin_port = htons(1);
    s = seg(&other, &b, SL_TH_RST, 1, 0, SL_SEG_SEEN);
    T_EQ_INT(sl_track_segment(&t, &s), 0);
}

/* Both FINs sent before either arrives: CLOSING, then TIME_WAIT. */
static void track_simultaneous(void)
{
    sl_addr a, b;
    sl_track t;
    sl_segment s;
    make_addrs(&a, &b);
    sl_track_init(&t);
    s = seg(&a, &b, SL_TH_ACK, 100, 200, SL_SEG_SEEN);     /* joined mid-connection */
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_ESTABLISHED);
    s = seg(&a, &b, SL_TH_FIN | SL_TH_ACK, 100, 200, SL_SEG_SENT);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_ESTABLISHED);
    s = seg(&b, &a, SL_TH_FIN | SL_TH_ACK, 200, 100, SL_SEG_SENT);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_FIN_WAIT1);
    T_EQ_INT(t.state_b, SL_TCP_FIN_WAIT1);
    s = seg(&a, &b, SL_TH_FIN | SL_TH_ACK, 100, 200, SL_SEG_ARRIVED);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_CLOSING);
    s = seg(&b, &a, SL_TH_FIN | SL_TH_ACK, 200, 100, SL_SEG_ARRIVED);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_CLOSING);
    s = seg(&b, &a, SL_TH_ACK, 201, 101, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_TIME_WAIT);
    s = seg(&a, &b, SL_TH_ACK, 101, 201, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_b, SL_TCP_TIME_WAIT);
}

/* Sequence numbers that wrap past 2^32 still acknowledge the FIN. */
static void track_wrap(void)
{
    sl_addr a, b;
    sl_track t;
    sl_segment s;
    make_addrs(&a, &b);
    sl_track_init(&t);
    s = seg(&a, &b, SL_TH_ACK, 1, 1, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    s = seg(&a, &b, SL_TH_FIN | SL_TH_ACK, 0xffffffffu, 1, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    s = seg(&b, &a, SL_TH_ACK, 1, 0, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_FIN_WAIT2);
    s = seg(&b, &a, SL_TH_RST, 1, 0, SL_SEG_SEEN);
    sl_track_segment(&t, &s);
    T_EQ_INT(t.state_a, SL_TCP_CLOSE);
}

typedef struct backend {
    const char *name;
    int (*open)(sl_capture *c, const char *ifname, sl_err *err);
    int (*drain)(sl_capture *c, int quiet_ms, sl_err *err);
    void (*close)(sl_capture *c);
} backend;

/* A listener on host:0 in *lfd; returns its port, 0 when host has none. */
static uint16_t listen_on(const char *host, int *lfd)
{
    sl_endpoint ep;
    sl_listen_opts lo = { .socktype = SOCK_STREAM, .v6only = -1 };
    sl_addr bound;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), "%s", host);
    snprintf(ep.port, sizeof(ep.port), "0");
    *lfd = sl_listen(&ep, &lo, &bound, NULL);
    return *lfd < 0 ? 0 : sl_addr_port(&bound);
}

/* Connect to host:port and accept: fds[1] and fds[2]. */
static void connect_to(const char *host, uint16_t port, int *fds)
{
    sl_endpoint ep;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), "%s", host);
    snprintf(ep.port, sizeof(ep.port), "%u", (unsigned)port);
    fds[1] = sl_connect(&ep, AF_UNSPEC, SOCK_STREAM, 5000, NULL, NULL);
    fds[2] = sl_accept(fds[0], NULL, false, NULL);
    T_CHECK(fds[1] >= 0 && fds[2] >= 0);
}

/* A capture of port on lo through backend b. */
static int start(const backend *b, sl_capture *c, uint16_t port, sl_err *e)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->port = port;
    c->t0_us = sl__capture_now_us();
    return b->open(c, "lo", e);
}

/* Capture one connection over host: each handshake segment is seen once
 * (not going out and coming in); a capture whose kernel filter names
 * another port (its user-side filter pointed at ours) sees nothing. */
static void capture_with(const backend *b, const char *host)
{
    sl_capture mine, other;
    sl_err e;
    int fds[3] = { -1, -1, -1 }, syns = 0;
    uint16_t port;

    if (start(b, &mine, 1, &e) < 0) {
        printf("  %s on lo: %s (skipped)\n", b->name, e.msg);
        return;
    }
    b->close(&mine);
    if ((port = listen_on(host, &fds[0])) == 0) {
        printf("  %s: no listener on %s (skipped)\n", b->name, host);
        return;
    }
    T_EQ_INT(start(b, &mine, port, &e), 0);
    T_EQ_INT(start(b, &other, 1, &e), 0);     /* port 1: no traffic of ours */
    other.port = port;
    connect_to(host, port, fds);
    /* Frames reach a capture a little later than the sockets see them (a
     * slow, loaded or sanitized run more so): drain until the handshake is
     * there, bounded at about 3 s. */
    for (int tries = 0; tries < 60 && mine.segs.n < 3; tries++)
        T_EQ_INT(b->drain(&mine, 50, &e), 0);
    T_EQ_INT(b->drain(&other, 50, &e), 0);
    for (size_t i = 0; i < mine.segs.n; i++)
        syns += mine.segs.seg[i].flags == SL_TH_SYN;
    T_EQ_INT(syns, 1);
    T_CHECK(mine.segs.n >= 3);
    T_EQ_INT(other.segs.n, 0);
    b->close(&mine);
    b->close(&other);
    sl_seglist_free(&mine.segs);
    sl_seglist_free(&other.segs);
    for (int i = 0; i < 3; i++)
        sl_close(fds[i]);
}

static void capture_backends(void)
{
    static const backend backends[] = {
        { "libpcap", sl__pcap_open, sl__pcap_drain, sl__pcap_close },
        { "AF_PACKET", sl__packet_open, sl__packet_drain, sl__packet_close },
    };
    for (size_t i = 0; i < 2; i++) {
        capture_with(&backends[i], "127.0.0.1");
        capture_with(&backends[i], "::1");
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(state_names);
    T_RUN(table);
    T_RUN(owners_none);
    T_RUN(process_state);
    T_RUN(parse);
    T_RUN(parse6);
    T_RUN(track_four_way);
    T_RUN(track_simultaneous);
    T_RUN(track_wrap);
    T_RUN(capture_backends);
    return T_DONE();
}
