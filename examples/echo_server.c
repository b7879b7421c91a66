/* examples/echo_server.c: the book's iterative echo server (chapter 4) on
 * libsocklab. Usage: echo_server [HOST:]PORT [COUNT]
 *
 * The book's version is ~70 lines of socket/bind/listen/accept/read/write
 * and gets partial writes, EINTR, SIGPIPE and a restart during TIME_WAIT
 * wrong. Here sl_listen binds every address with SO_REUSEADDR (and says
 * what holds the port when bind fails), and the echo service under the
 * "iterative" model serves one client after another, binary-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <socklab/socklab.h>

/* Print a line per client, as the book's server does. */
static void on_event(const sl_event *ev, void *arg)
{
    char who[SL_ADDRSTRLEN];
    (void)arg;
    if (ev->kind == SL_EV_OPEN)
        printf("client %llu connected: %s\n", (unsigned long long)ev->conn_id,
               sl_addr_format(ev->peer, who, sizeof(who)));
    else if (ev->kind == SL_EV_CLOSE)
        printf("client %llu left after %llu bytes\n", (unsigned long long)ev->conn_id,
               (unsigned long long)ev->bytes_in);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    sl_endpoint ep;
    sl_listen_opts lopts = { 0 };
    sl_server_config cfg = { .service = &sl_echo_service, .model = "iterative",
                             .on_event = on_event };
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    sl_server *srv = NULL;
    int fd = -1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s [HOST:]PORT [COUNT]\n", argv[0]);
        return 2;
    }
    cfg.count = argc == 3 ? strtoull(argv[2], NULL, 10) : 0;   /* the book: 5 */
    if (sl_endpoint_parse(argv[1], &ep, &err) < 0 ||
        (fd = sl_listen(&ep, &lopts, &bound, &err)) < 0 ||
        (srv = sl_server_new(&cfg, &err)) == NULL ||
        sl_server_add_listener(srv, fd, SOCK_STREAM, &err) < 0)
        goto fail;
    printf("listening on tcp %s\n", sl_addr_format(&bound, where, sizeof(where)));
    fflush(stdout);
    if (sl_server_run(srv, &err) < 0)
        goto fail;
    sl_server_free(srv);
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "echo_server: %s\n", err.msg);
    sl_server_free(srv);
    sl_close(fd);
    return 1;
}
