/* examples/reuseadr_eserver.c: the seed's SO_REUSEADDR experiment on
 * libsocklab. Usage: reuseadr_eserver [HOST:]PORT
 *
 * An echo server that, like reuseadr_eserver.c, leaves SO_REUSEADDR off.
 * Kill it (Ctrl+C) while a client is connected, start it again: the server
 * sent the first FIN, its side of the connection sits in TIME_WAIT, and
 * bind() fails. The book prints "bind() error"; sl_listen reads the kernel's
 * socket table and says which socket holds the port and for how long. */
#include <stdio.h>
#include <socklab/socklab.h>

int main(int argc, char **argv)
{
    sl_endpoint ep;
    sl_listen_opts lopts = { .no_reuseaddr = true };   /* the experiment */
    sl_server_config cfg = { .service = &sl_echo_service, .model = "iterative" };
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    sl_server *srv = NULL;
    int fd = -1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s [HOST:]PORT\n", argv[0]);
        return 2;
    }
    if (sl_endpoint_parse(argv[1], &ep, &err) < 0 ||
        (fd = sl_listen(&ep, &lopts, &bound, &err)) < 0 ||
        (srv = sl_server_new(&cfg, &err)) == NULL ||
        sl_server_add_listener(srv, fd, SOCK_STREAM, &err) < 0)
        goto fail;
    printf("listening on tcp %s (SO_REUSEADDR off)\n",
           sl_addr_format(&bound, where, sizeof(where)));
    fflush(stdout);
    if (sl_server_run(srv, &err) < 0)
        goto fail;
    sl_server_free(srv);
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "reuseadr_eserver: %s\n", err.msg);
    sl_server_free(srv);
    sl_close(fd);
    return 1;
}
