/* examples/epoll_server.c: the multiplexing echo server (chapter 12, with epoll),
 * on libsocklab. Usage: epoll_server [HOST:]PORT
 *
 * The book's select() server is a loop over fd_set with a bug waiting at
 * FD_SETSIZE. The engine's "epoll" model multiplexes every client on
 * nonblocking sockets, with bounded per-client output and the EMFILE trick;
 * the same echo service runs under it unchanged.
 * The model is named at run time: a library built without it says so. */
#include <signal.h>
#include <stdio.h>
#include <socklab/socklab.h>

static sl_server *server;

/* SIGINT/SIGTERM: ask the server to stop (sl_server_stop is signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    sl_server_stop(server);
}

int main(int argc, char **argv)
{
    sl_endpoint ep;
    sl_listen_opts lopts = { 0 };
    sl_server_config cfg = { .service = &sl_echo_service, .model = "epoll" };
    struct sigaction sa = { .sa_handler = on_signal };
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    int fd = -1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s [HOST:]PORT\n", argv[0]);
        return 2;
    }
    if (sl_endpoint_parse(argv[1], &ep, &err) < 0 ||
        (server = sl_server_new(&cfg, &err)) == NULL ||
        (fd = sl_listen(&ep, &lopts, &bound, &err)) < 0 ||
        sl_server_add_listener(server, fd, SOCK_STREAM, &err) < 0)
        goto fail;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("listening on tcp %s (model %s)\n",
           sl_addr_format(&bound, where, sizeof(where)), cfg.model);
    fflush(stdout);
    if (sl_server_run(server, &err) < 0)
        goto fail;
    sl_server_free(server);
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "epoll_server: %s\n", err.msg);
    sl_server_free(server);
    sl_close(fd);
    return 1;
}
