/* fuzz/fuzz_dgram.c: the UDP datagram path of the server on any payload
 * and any source address. The payload goes through a real loopback socket
 * into the engine's datagram code (sl__dgram_serve_ready with a 512-byte
 * buffer): a datagram that fits comes back whole and unchanged, a longer
 * one is reported as truncated and never echoed cut. The first bytes also
 * make a source address for the reflection check (sl_dgram_refusal) and
 * the per-source rate limiter, which must never admit a refused source's
 * reply by crashing or answer more than its burst at one instant. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/dgram_internal.h"
#include "socklab/dgram.h"
#include "socklab/sock.h"
#include "fuzz.h"

#define BUFFER 512

static sl_server *srv;
static int sfd = -1, cfd = -1;
static sl__rate_table rates;
static long long clock_ms = 1;

/* The server, its UDP socket and a client connected to it, once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sl_server_config cfg;
    sl_dgram_config dc = { .buffer = BUFFER, .rate = 0, .burst = 0 };
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    (void)argc;
    (void)argv;
    memset(&cfg, 0, sizeof(cfg));
    cfg.service = &sl_echo_service;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv = sl_server_new(&cfg, NULL);
    sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    cfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (srv == NULL || sfd < 0 || cfd < 0 ||
        bind(sfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(sfd, (struct sockaddr *)&a, &len) < 0 ||
        connect(cfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        sl_server_add_listener(srv, sfd, SOCK_DGRAM, NULL) < 0 ||
        sl_server_set_dgram(srv, &dc, NULL) < 0 ||
        sl__rate_init(&rates, 100, 4, 64, NULL) < 0)
        abort();
    return 0;
}

/* A source address from the first bytes: IPv4 or IPv6, address, port. */
static size_t make_source(const uint8_t *data, size_t size, sl_addr *src)
{
    memset(src, 0, sizeof(*src));
    if (size >= 19 && (data[0] & 1)) {
        src->u.in6.sin6_family = AF_INET6;
        memcpy(&src->u.in6.sin6_addr, data + 1, 16);
        memcpy(&src->u.in6.sin6_port, data + 17, 2);
        src->len = sizeof(src->u.in6);
        return 19;
    }
    if (size >= 7) {
        src->u.in4.sin_family = AF_INET;
        memcpy(&src->u.in4.sin_addr, data + 1, 4);
        memcpy(&src->u.in4.sin_port, data + 5, 2);
        src->len = sizeof(src->u.in4);
        return 7;
    }
    return 0;
}

static void check_source(const sl_addr *src, uint8_t step)
{
    const char *why = sl_dgram_refusal(src);
    unsigned admitted = 0;
    if (why != NULL)
        FUZZ_ASSERT(why[0] != '\0');
    if (sl_addr_port(src) == 0)
        FUZZ_ASSERT(why != NULL);
    clock_ms += step;
    for (int i = 0; i < 8; i++)
        admitted += sl__rate_allow(&rates, src, clock_ms);
    FUZZ_ASSERT(admitted <= 4 + 1);       /* the burst, plus a refill of this instant */
    FUZZ_ASSERT(sl__rate_count(&rates) <= 64 + SL__RATE_WAYS * 16);
}

/* Drain whatever is queued on fd. */
static void drain(int fd)
{
    uint8_t scrap[70000];
    while (recv(fd, scrap, sizeof(scrap), MSG_DONTWAIT) >= 0)
        ;
}

static void check_echo(const uint8_t *data, size_t size)
{
    static uint8_t back[70000];
    sl_dgram_stats before, after;
    ssize_t n;
    drain(cfd);
    sl_server_dgram_stats(srv, &before);
    if (send(cfd, data, size, 0) != (ssize_t)size)
        return;                        /* too big for the kernel: nothing sent */
    FUZZ_ASSERT(sl__dgram_serve_ready(srv, sfd, NULL) == 0);
    sl_server_dgram_stats(srv, &after);
    FUZZ_ASSERT(after.received == before.received + 1);
    n = recv(cfd, back, sizeof(back), MSG_DONTWAIT);
    if (size > BUFFER) {
        FUZZ_ASSERT(n < 0 && after.truncated == before.truncated + 1);
        return;
    }
    FUZZ_ASSERT(n == (ssize_t)size && memcmp(back, data, size) == 0);
    FUZZ_ASSERT(after.echoed == before.echoed + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_addr src;
    size_t used = make_source(data, size, &src);
    if (used > 0)
        check_source(&src, data[0]);
    check_echo(data + used, size - used);
    return 0;
}
