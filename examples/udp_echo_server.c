/* examples/udp_echo_server.c: the book's UDP echo server (chapter 6) on
 * libsocklab. Usage: udp_echo_server [HOST:]PORT
 *
 * The book's loop is recvfrom/sendto on a 30-byte buffer: longer datagrams
 * are silently cut, and it answers anyone, including a forged source that
 * turns it into a reflector. The engine serves a bound datagram socket
 * whole datagram by datagram: a datagram larger than the buffer is
 * reported, never echoed cut, and sources that must not be answered
 * (port 0, reflector ports, broadcast) are not. */
#include <signal.h>
#include <stdio.h>
#include <socklab/socklab.h>

static sl_server *server;

/* SIGINT/SIGTERM: stop, then print the counts (sl_server_stop is signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    sl_server_stop(server);
}

int main(int argc, char **argv)
{
    sl_endpoint ep;
    sl_listen_opts lopts = { .socktype = SOCK_DGRAM };
    sl_server_config cfg = { .service = &sl_echo_service, .model = "iterative" };
    struct sigaction sa = { .sa_handler = on_signal };
    sl_dgram_stats st;
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    int fd = -1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s [HOST:]PORT\n", argv[0]);
        return 2;
    }
    if (sl_endpoint_parse(argv[1], &ep, &err) < 0 ||
        (fd = sl_listen(&ep, &lopts, &bound, &err)) < 0 ||
        (server = sl_server_new(&cfg, &err)) == NULL ||
        sl_server_add_listener(server, fd, SOCK_DGRAM, &err) < 0)
        goto fail;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("listening on udp %s\n", sl_addr_format(&bound, where, sizeof(where)));
    fflush(stdout);
    if (sl_server_run(server, &err) < 0)
        goto fail;
    sl_server_dgram_stats(server, &st);
    printf("%llu datagrams echoed\n", (unsigned long long)st.echoed);
    sl_server_free(server);
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "udp_echo_server: %s\n", err.msg);
    sl_server_free(server);
    sl_close(fd);
    return 1;
}
