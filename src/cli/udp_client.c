/* cli/udp_client.c: the UDP echo client. Each line (or generated block)
 * is one datagram and its echo comes back as one datagram: UDP keeps
 * message boundaries, so one recv is the whole echo. Datagrams get lost:
 * each try waits a timeout, then the datagram is sent again, and after the
 * last try the loss is reported (exit 1), never waited for forever.
 *
 * The two sockets of the seed behave differently, and the messages say so:
 * an unconnected socket (sendto/recvfrom) accepts datagrams from anyone,
 * so the client checks each reply's source; it is not told when the port
 * is closed (Linux delivers ICMP errors only to connected UDP sockets), so
 * it can only time out. A connected socket (connect, then send/recv) only
 * receives from the server, and the ICMP port unreachable of a closed port
 * comes back as ECONNREFUSED at once. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/udp_client.h"
#include "socklab/dgram.h"

#define ECHO_CAP 65536     /* any UDP datagram fits (65,527 bytes at most) */

typedef struct udp_peer {
    const udp_client_opts *o;
    int fd;
    sl_addr server;
    struct addrinfo *res;  /* the name's addresses */
    struct addrinfo *cur;  /* the one in use */
    bool answered;         /* an echo came back: the address is the right one */
    bool local_shown;      /* the kernel-chosen local address was reported */
    uint8_t *echo;         /* ECHO_CAP bytes */
    uint64_t strays;       /* datagrams from others, ignored */
    uint64_t resent;       /* datagrams sent again after a timeout */
} udp_peer;

enum { RT_OK = 0, RT_FAIL = -1, RT_TIMEOUT = -2, RT_REFUSED = -3 };

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Open a socket for address ai (closing the one before): connected to
 * it, or unconnected. Reports a failure itself. */
static int use_address(udp_peer *p, const struct addrinfo *ai)
{
    char where[SL_ADDRSTRLEN];
    sl_close(p->fd);
    sl_addr_set(&p->server, ai->ai_addr, ai->ai_addrlen);
    sl_addr_format(&p->server, where, sizeof(where));
    p->local_shown = false;
    p->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0 || (p->o->connected && connect(p->fd, ai->ai_addr, ai->ai_addrlen) < 0)) {
        cli_error("%s %s: %s", p->fd < 0 ? "socket" : "connect", where, strerror(errno));
        p->fd = sl_close(p->fd);
        return -1;
    }
    if (p->o->quiet)
        return 0;
    if (p->o->connected)
        fprintf(stderr, "udp socket connected to %s (connect() sends nothing on UDP: it "
                "fixes the peer, so only its datagrams and its ICMP errors reach this "
                "socket)\n", where);
    else
        fprintf(stderr, "udp socket, unconnected, to %s (sendto/recvfrom)\n", where);
    return 0;
}

/* Resolve ep and open a socket for the first address that takes one.
 * A resolver failure is left in err; a socket failure is reported here. */
static int peer_open(udp_peer *p, sl_err *err)
{
    sl_err_clear(err);
    if (sl_resolve(p->o->ep, p->o->family, SOCK_DGRAM, false, &p->res, err) < 0)
        return -1;
    for (p->cur = p->res; p->cur != NULL; p->cur = p->cur->ai_next)
        if (use_address(p, p->cur) == 0)
            return 0;
    return -1;
}

/* No answer from this address before any echo came back (refused, or
 * timed out): go on to the name's next address, as a TCP client does. */
static bool next_address(udp_peer *p, int why)
{
    char where[SL_ADDRSTRLEN];
    if (p->answered)
        return false;
    while (p->cur != NULL && p->cur->ai_next != NULL) {
        if (!p->o->quiet)
            fprintf(stderr, "%s %s: trying the next address\n",
                    why == RT_REFUSED ? "connection refused by" : "no echo from",
                    sl_addr_format(&p->server, where, sizeof(where)));
        p->cur = p->cur->ai_next;
        if (use_address(p, p->cur) == 0)
            return true;
    }
    return false;
}

/* After the first send, say which address the kernel bound (the seed: an
 * unconnected client gets its port at its first sendto). */
static void show_local(udp_peer *p)
{
    sl_addr local;
    char where[SL_ADDRSTRLEN];
    if (p->local_shown || p->o->quiet || sl_local_addr(p->fd, &local, NULL) < 0)
        return;
    p->local_shown = true;
    fprintf(stderr, "local address %s (%s)\n", sl_addr_format(&local, where, sizeof(where)),
            p->o->connected ? "chosen by the kernel at connect()"
                            : "bound by the kernel at the first sendto()");
}

/* The ICMP port unreachable of a closed port, as a connected socket sees it. */
static int refused(const udp_peer *p)
{
    char where[SL_ADDRSTRLEN];
    cli_error("connection refused (ECONNREFUSED): %s answered with ICMP port "
              "unreachable: no socket is bound to that UDP port. A connected UDP socket "
              "is told this; an unconnected one would only time out",
              sl_addr_format(&p->server, where, sizeof(where)));
    return RT_FAIL;
}

/* Send one datagram to the server. */
static int send_one(udp_peer *p, const uint8_t *msg, size_t len)
{
    for (;;) {
        ssize_t n = p->o->connected
            ? send(p->fd, msg, len, MSG_NOSIGNAL)
            : sendto(p->fd, msg, len, MSG_NOSIGNAL, &p->server.u.sa, p->server.len);
        if (n >= 0) {
            show_local(p);
            return RT_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno == ECONNREFUSED)
            return RT_REFUSED;
        if (errno == EMSGSIZE)
            cli_error("send: a datagram of %zu bytes is too large for UDP (at most %d "
                      "bytes over IPv4, %d over IPv6)", len, SL_UDP_MAX_V4, SL_UDP_MAX_V6);
        else
            cli_error("send: %s", strerror(errno));
        return RT_FAIL;
    }
}

/* Receive one datagram into p->echo: its length (the real length, also
 * when longer than the buffer), RT_TIMEOUT at the deadline, or RT_FAIL. */
static ssize_t recv_one(udp_peer *p, sl_addr *from, long long deadline_ms)
{
    for (;;) {
        long long left = deadline_ms - sl_now_ms();
        ssize_t n;
        if (left <= 0)
            return RT_TIMEOUT;
        if (sl_wait_fd(p->fd, POLLIN, (int)left, NULL) == 0)
            return RT_TIMEOUT;
        memset(from, 0, sizeof(*from));
        from->len = sizeof(from->u);
        n = recvfrom(p->fd, p->echo, ECHO_CAP, MSG_DONTWAIT | MSG_TRUNC, &from->u.sa,
                     &from->len);
        if (n >= 0)
            return n;
        if (errno == EINTR || errno == EAGAIN)
            continue;
        if (errno == ECONNREFUSED)
            return RT_REFUSED;
        cli_error("recv: %s", strerror(errno));
        return RT_FAIL;
    }
}

/* A datagram from someone else than the server: ignored and reported. */
static void stray(udp_peer *p, const sl_addr *from, ssize_t n)
{
    char who[SL_ADDRSTRLEN], srv[SL_ADDRSTRLEN];
    p->strays++;
    cli_error("ignored a datagram of %zd bytes from %s: not the server's address %s "
              "(an unconnected socket receives from anyone)", n,
              sl_addr_format(from, who, sizeof(who)),
              sl_addr_format(&p->server, srv, sizeof(srv)));
}

/* Wait for the echo of msg until deadline. An echo equal to prev (the
 * previous datagram, answered late after a resend) is skipped. */
static int await_echo(udp_peer *p, const uint8_t *msg, size_t len, const uint8_t *prev,
                      size_t prev_len, long long deadline_ms)
{
    for (;;) {
        sl_addr from;
        ssize_t n = recv_one(p, &from, deadline_ms);
        if (n < 0)
            return (int)n;
        if (!p->o->connected && !sl_addr_equal(&from, &p->server)) {
            stray(p, &from, n);
            continue;
        }
        if ((size_t)n == len && memcmp(p->echo, msg, len) == 0)
            return RT_OK;
        if (prev != NULL && (size_t)n == prev_len && memcmp(p->echo, prev, prev_len) == 0)
            continue;
        if (n > ECHO_CAP)
            cli_error("the echo was %zd bytes, more than the %d-byte buffer", n, ECHO_CAP);
        else
            cli_error("wrong echo: %zd bytes came back for the %zu sent%s", n, len,
                      (size_t)n == len ? ", with different bytes" : "");
        return RT_FAIL;
    }
}

/* The last try timed out: say what that means for this kind of socket. */
static int lost(const udp_peer *p, size_t len)
{
    char where[SL_ADDRSTRLEN];
    sl_addr_format(&p->server, where, sizeof(where));
    if (p->o->connected)
        cli_error("timed out: no echo from %s for a datagram of %zu bytes after %u tries "
                  "of %.3f s: the datagram or its echo was lost, and no ICMP error came "
                  "back", where, len, p->o->retries + 1, p->o->timeout_ms / 1000.0);
    else
        cli_error("timed out: no echo from %s for a datagram of %zu bytes after %u tries "
                  "of %.3f s. The datagram or its echo was lost, or nothing listens "
                  "there: an unconnected UDP socket cannot see the ICMP port unreachable "
                  "(use --connected to have a closed port reported as connection refused)",
                  where, len, p->o->retries + 1, p->o->timeout_ms / 1000.0);
    return RT_FAIL;
}

/* Send msg and wait for its whole echo, sending again after each timeout.
 * Returns RT_TIMEOUT when every try timed out. */
static int tries(udp_peer *p, const uint8_t *msg, size_t len, const uint8_t *prev,
                 size_t prev_len)
{
    for (unsigned try = 0; try <= p->o->retries; try++) {
        int rc = send_one(p, msg, len);
        if (rc == RT_OK)
            rc = await_echo(p, msg, len, prev, prev_len, sl_now_ms() + p->o->timeout_ms);
        if (rc != RT_TIMEOUT)
            return rc;
        if (try < p->o->retries) {
            p->resent++;
            if (!p->o->quiet)
                fprintf(stderr, "no echo after %.3f s: sending the datagram again "
                        "(try %u of %u)\n", p->o->timeout_ms / 1000.0, try + 2,
                        p->o->retries + 1);
        }
    }
    return RT_TIMEOUT;
}

/* One datagram and its echo, over the name's addresses until one answers. */
static int round_trip(udp_peer *p, const uint8_t *msg, size_t len, const uint8_t *prev,
                      size_t prev_len)
{
    for (;;) {
        int rc = tries(p, msg, len, prev, prev_len);
        if (rc == RT_OK)
            p->answered = true;
        if ((rc == RT_REFUSED || rc == RT_TIMEOUT) && next_address(p, rc))
            continue;
        if (rc == RT_REFUSED)
            return refused(p);
        if (rc == RT_TIMEOUT)
            return lost(p, len);
        return rc;
    }
}

/* True for a line that quits: Q or q, with or without its newline. */
static bool quit_line(const char *line)
{
    return strcmp(line, "q\n") == 0 || strcmp(line, "Q\n") == 0 ||
           strcmp(line, "q") == 0 || strcmp(line, "Q") == 0;
}

/* The book's loop over UDP: prompt, line, one datagram, its echo. */
static int line_loop(udp_peer *p)
{
    bool prompt = !p->o->quiet && isatty(STDIN_FILENO);
    char *line = NULL, *prev = NULL;
    size_t cap = 0, prev_len = 0;
    ssize_t len;
    int rc = CLI_OK;

    for (;;) {
        if (prompt) {
            fputs("Input message(Q to quit): ", stdout);
            fflush(stdout);
        }
        if ((len = getline(&line, &cap, stdin)) <= 0 || quit_line(line))
            break;
        if (round_trip(p, (const uint8_t *)line, (size_t)len, (const uint8_t *)prev,
                       prev_len) != RT_OK) {
            rc = CLI_FAIL;
            break;
        }
        fputs("Message from server: ", stdout);
        fwrite(p->echo, 1, (size_t)len, stdout);
        if (line[len - 1] != '\n')
            fputc('\n', stdout);
        fflush(stdout);
        free(prev);
        prev = line;                  /* kept to recognise its late echo */
        prev_len = (size_t)len;
        line = NULL;
        cap = 0;
    }
    free(line);
    free(prev);
    return rc;
}

/* Datagram seq of the generated series: a big-endian sequence number, then
 * bytes that depend on it and on their offset. */
static void fill(uint8_t *buf, size_t len, uint64_t seq)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i < 8 ? seq >> (56 - 8 * i)
                                 : (seq * 131u + i * 7u) ^ (i >> 8));
}

/* --size/--count: send generated datagrams, check every echo, summarise. */
static int generated(udp_peer *p)
{
    size_t sz = p->o->size > 0 ? p->o->size : 1;
    uint8_t *cur = malloc(sz), *prev = malloc(sz);
    long long min = 0, max = 0, sum = 0;
    char where[SL_ADDRSTRLEN];
    uint64_t i;
    int rc = CLI_OK;

    if (cur == NULL || prev == NULL) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    }
    for (i = 0; rc == CLI_OK && i < p->o->count; i++) {
        long long t0 = now_ns(), rtt;
        fill(cur, p->o->size, i);
        if (round_trip(p, cur, p->o->size, i > 0 ? prev : NULL, p->o->size) != RT_OK) {
            rc = CLI_FAIL;
            break;
        }
        rtt = now_ns() - t0;
        min = i == 0 || rtt < min ? rtt : min;
        max = rtt > max ? rtt : max;
        sum += rtt;
        memcpy(prev, cur, p->o->size);
    }
    printf("%llu of %llu datagrams of %zu bytes echoed intact by %s, %llu sent again, "
           "%llu from others ignored", (unsigned long long)i,
           (unsigned long long)p->o->count, p->o->size,
           sl_addr_format(&p->server, where, sizeof(where)),
           (unsigned long long)p->resent, (unsigned long long)p->strays);
    if (i > 0)
        printf("; round trip min %.3f ms, avg %.3f ms, max %.3f ms", (double)min / 1e6,
               (double)sum / (double)i / 1e6, (double)max / 1e6);
    printf("\n");
    free(cur);
    free(prev);
    return rc;
}

int udp_client_run(const udp_client_opts *o)
{
    static uint8_t echo[ECHO_CAP];
    udp_peer p;
    sl_err err;
    int rc;

    memset(&p, 0, sizeof(p));
    p.o = o;
    p.echo = echo;
    p.fd = -1;
    if (peer_open(&p, &err) < 0) {
        sl_addrinfo_free(p.res);
        return err.kind != SL_OK ? cli_fail(&err) : CLI_FAIL;
    }
    if (o->connected)
        show_local(&p);
    rc = o->generate ? generated(&p) : line_loop(&p);
    sl_close(p.fd);
    sl_addrinfo_free(p.res);
    return rc;
}
