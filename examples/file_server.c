/* examples/file_server.c: the seed's half-close file server (file_server.c)
 * on libsocklab. Usage: file_server FILE [HOST:]PORT
 *
 * The book's server writes the file with read/write in a loop, calls
 * shutdown(SHUT_WR) and reads the client's "Thank you". The file service
 * does the same with sendfile(), adds a checksum so that the receiver can
 * tell a complete file from a cut one, and logs the reply; it runs under
 * any model ("iterative" here, as the book's). */
#include <stdio.h>
#include <socklab/socklab.h>

/* Print the service's lines ("Message from client: Thank you"). */
static void on_event(const sl_event *ev, void *arg)
{
    (void)arg;
    if (ev->kind == SL_EV_INFO || ev->kind == SL_EV_WARN)
        printf("%s\n", ev->msg);
    else if (ev->kind == SL_EV_CLOSE && ev->err != NULL)
        printf("client %llu failed: %s\n", (unsigned long long)ev->conn_id, ev->err->msg);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    sl_file_service_config fcfg;
    sl_server_config cfg = { .service = &sl_file_service, .service_config = &fcfg,
                             .model = "iterative", .on_event = on_event };
    sl_endpoint ep;
    sl_listen_opts lopts = { 0 };
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    sl_server *srv = NULL;
    uint64_t size;
    int fd = -1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE [HOST:]PORT\n", argv[0]);
        return 2;
    }
    if (sl_file_service_prepare(argv[1], false, &fcfg, &size, &err) < 0 ||
        sl_endpoint_parse(argv[2], &ep, &err) < 0 ||
        (fd = sl_listen(&ep, &lopts, &bound, &err)) < 0 ||
        (srv = sl_server_new(&cfg, &err)) == NULL ||
        sl_server_add_listener(srv, fd, SOCK_STREAM, &err) < 0)
        goto fail;
    printf("listening on tcp %s, serving %s (%llu bytes)\n",
           sl_addr_format(&bound, where, sizeof(where)), argv[1], (unsigned long long)size);
    fflush(stdout);
    if (sl_server_run(srv, &err) < 0)
        goto fail;
    sl_server_free(srv);
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "file_server: %s\n", err.msg);
    sl_server_free(srv);
    sl_close(fd);
    return 1;
}
