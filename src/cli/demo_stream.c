/* cli/demo_stream.c: `socklab demo udp-boundary` and `tcp-stream`: three
 * writes arrive as three datagrams over UDP, but as one read over TCP when
 * the reader reads after all three arrived: TCP is a byte stream. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/demo.h"

#define HOST "127.0.0.1"

static const char *const words[3] = { "one", "two", "three" };

/* A UDP receiver on 127.0.0.1:0 and a connected sender. */
static int udp_pair(int *rfd, int *sfd, uint16_t *port, sl_err *err)
{
    sl_listen_opts lo = { .socktype = SOCK_DGRAM, .v6only = -1 };
    sl_endpoint ep;
    sl_addr bound;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), HOST);
    snprintf(ep.port, sizeof(ep.port), "0");
    *sfd = -1;
    if ((*rfd = sl_listen(&ep, &lo, &bound, err)) < 0)
        return -1;
    *port = sl_addr_port(&bound);
    snprintf(ep.port, sizeof(ep.port), "%u", (unsigned)*port);
    *sfd = sl_connect(&ep, AF_INET, SOCK_DGRAM, 0, NULL, err);
    return *sfd < 0 ? -1 : 0;
}

/* Send the three words as three datagrams, then read what arrives. */
static int udp_rounds(int rfd, int sfd, int *reads, sl_err *err)
{
    char buf[64];
    *reads = 0;
    for (int i = 0; i < 3; i++)
        if (sl_write_all(sfd, words[i], strlen(words[i]), err) < 0)
            return -1;
    demo_step("The sender calls send() three times: \"one\", \"two\", \"three\", before the "
              "receiver reads anything.");
    demo_step("The receiver calls recv() with a 64-byte buffer until nothing more comes "
              "within 200 ms.");
    while (*reads < 10 && sl_wait_fd(rfd, POLLIN, 200, err) == 1) {
        ssize_t n = recv(rfd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
            return -1;
        buf[n] = '\0';
        demo_say("read %d: %zd bytes \"%s\"", ++*reads, n, buf);
    }
    return 0;
}

int demo_udp_boundary(const demo_opts *o)
{
    int rfd, sfd, reads;
    uint16_t port;
    sl_err err;
    (void)o;
    demo_title("udp-boundary", "UDP keeps message boundaries: three sends, three datagrams");
    if (udp_pair(&rfd, &sfd, &port, &err) < 0 || udp_rounds(rfd, sfd, &reads, &err) < 0) {
        sl_close(rfd);
        sl_close(sfd);
        return demo_fail(&err);
    }
    demo_result("UDP: 3 writes, %d reads", reads);
    demo_why("each sendto() is one datagram and each recvfrom() returns exactly one: the "
             "receiver sees the sender's boundaries, even when the datagrams wait together "
             "in its queue (port %u).", (unsigned)port);
    sl_close(rfd);
    sl_close(sfd);
    printf("\ndone.\n");
    return CLI_OK;
}

/* Visitor: the Recv-Q of the socket with local/remote ports arg[0]/arg[1]. */
static int find_queue(const sl_sockinfo *s, void *arg)
{
    uint32_t *a = arg;
    if (sl_addr_port(&s->local) != a[0] || sl_addr_port(&s->remote) != a[1])
        return 0;
    a[2] = s->rqueue;
    return 1;
}

/* Wait (bounded) until the receiver's queue holds want bytes, as the
 * kernel's socket table reports it. Returns the last count seen. */
static uint32_t wait_queue(const demo_pair *p, uint32_t want)
{
    uint32_t a[3] = { p->port, p->cport, 0 };
    long long end = sl_now_ms() + 5000;
    while (sl_now_ms() < end) {
        a[2] = 0;
        if (sl_socktable_scan(IPPROTO_TCP, AF_INET, find_queue, a, NULL, NULL) == 1 &&
            a[2] >= want)
            break;
        sl_wait_fd(p->sfd, POLLIN, 5, NULL);
    }
    return a[2];
}

/* Three writes, then one read of whatever is queued. */
static int tcp_rounds(demo_pair *p, sl_err *err)
{
    char buf[64];
    size_t total = 0;
    ssize_t n;
    for (int i = 0; i < 3; i++) {
        if (sl_write_all(p->cfd, words[i], strlen(words[i]), err) < 0)
            return -1;
        total += strlen(words[i]);
    }
    demo_step("The client calls write() three times: \"one\", \"two\", \"three\"; the server "
              "has not read yet.");
    demo_say("kernel: the server's socket has Recv-Q %u bytes",
             (unsigned)wait_queue(p, (uint32_t)total));
    demo_kernel(p->port);
    demo_step("The server calls read() once with a 64-byte buffer.");
    n = sl_read_some(p->sfd, buf, sizeof(buf) - 1, err);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    demo_result("TCP: 3 writes, 1 read: %zd bytes \"%s\"", n, buf);
    return 0;
}

int demo_tcp_stream(const demo_opts *o)
{
    demo_pair p;
    demo_trace tr = { 0 };
    sl_err err;
    int rc = CLI_OK;

    demo_title("tcp-stream", "TCP is a byte stream: three writes, one read");
    demo_network(o);
    if (demo_pair_open(&p, false, HOST, &err) < 0)
        return demo_fail(&err);
    demo_trace_start(&tr, o, p.port);
    if (demo_pair_connect(&p, HOST, &err) < 0 || tcp_rounds(&p, &err) < 0) {
        rc = demo_fail(&err);
        goto out;
    }
    demo_why("TCP delivers bytes in order but keeps no boundaries: what three writes put in "
             "the receiver's queue, one read takes at once. A reader that needs messages must "
             "frame them (a length, or a delimiter such as the echo client's newline) and "
             "loop until a whole one has arrived.");
    demo_pair_close(&p);
    demo_trace_finish(&tr, p.port);
    printf("\ndone.\n");
out:
    demo_pair_close(&p);
    sl_capture_close(tr.cap);
    return rc;
}
