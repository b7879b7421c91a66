/* examples/file_client.c: the seed's half-close file client (file_client.c)
 * on libsocklab. Usage: file_client HOST PORT [OUTPUT]
 *
 * The book's client reads until EOF into receive.dat and cannot tell a
 * whole file from a cut one. sl_file_receive writes to a temporary file,
 * checks size and checksum, moves the file into place only then, and
 * replies "Thank you" over the direction the server left open. */
#include <stdio.h>
#include <socklab/socklab.h>

int main(int argc, char **argv)
{
    sl_endpoint ep = { 0 };
    sl_file_recv_opts opts = { .timeout_ms = 30000 };
    sl_file_recv_result res;
    sl_err err;
    int fd;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s HOST PORT [OUTPUT]\n", argv[0]);
        return 2;
    }
    snprintf(ep.host, sizeof(ep.host), "%s", argv[1]);
    snprintf(ep.port, sizeof(ep.port), "%s", argv[2]);
    opts.output = argc == 4 ? argv[3] : NULL;
    if ((fd = sl_connect(&ep, AF_UNSPEC, SOCK_STREAM, 10000, NULL, &err)) < 0)
        goto fail;
    if (sl_file_receive(fd, &opts, &res, &err) < 0) {
        sl_close(fd);
        goto fail;
    }
    sl_close(fd);
    printf("Received file data\n%s: %llu bytes%s\n", res.path,
           (unsigned long long)res.received, res.verified ? ", verified" : "");
    return 0;
fail:
    fprintf(stderr, "file_client: %s\n", err.msg);
    return 1;
}
