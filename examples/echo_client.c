/* examples/echo_client.c: the book's echo client (chapter 4) on libsocklab.
 * Usage: echo_client HOST PORT   (then type lines; Q or q quits)
 *
 * The book reads the echo with one read() and may print half of it: TCP
 * keeps no message boundaries. sl_read_full reads exactly as many bytes as
 * were sent; sl_connect tries every address of HOST (IPv6 and IPv4) with a
 * timeout and names the cause when all fail. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <socklab/socklab.h>

int main(int argc, char **argv)
{
    sl_endpoint ep = { 0 };
    sl_err err;
    char line[1024], echo[1024];
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    snprintf(ep.host, sizeof(ep.host), "%s", argv[1]);
    snprintf(ep.port, sizeof(ep.port), "%s", argv[2]);
    if ((fd = sl_connect(&ep, AF_UNSPEC, SOCK_STREAM, 10000, NULL, &err)) < 0)
        goto fail;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        size_t len = strlen(line);
        ssize_t got;
        if (strcmp(line, "q\n") == 0 || strcmp(line, "Q\n") == 0)
            break;
        if (sl_write_all(fd, line, len, &err) < 0 ||
            (got = sl_read_full(fd, echo, len, &err)) < 0)
            goto fail;
        if ((size_t)got < len) {
            fprintf(stderr, "echo_client: the server closed the connection\n");
            sl_close(fd);
            return 1;
        }
        printf("Message from server: %.*s", (int)got, echo);
    }
    shutdown(fd, SHUT_WR);      /* our FIN first: TIME_WAIT stays on our side */
    while (sl_read_some(fd, echo, sizeof(echo), NULL) > 0)
        ;
    sl_close(fd);
    return 0;
fail:
    fprintf(stderr, "echo_client: %s\n", err.msg);
    return 1;
}
