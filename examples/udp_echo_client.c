/* examples/udp_echo_client.c: the book's connected UDP echo client
 * (chapter 6) on libsocklab. Usage: udp_echo_client HOST PORT
 *
 * sl_connect on a datagram socket connect()s it: send and recv then talk
 * to the server only, datagrams from anyone else are dropped by the
 * kernel, and a closed port comes back as "Connection refused" (the ICMP
 * error an unconnected socket is never told of). Unlike the book's client
 * it does not wait forever for a lost datagram: one second, then it says
 * so. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
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
    if ((fd = sl_connect(&ep, AF_UNSPEC, SOCK_DGRAM, 0, NULL, &err)) < 0)
        goto fail;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        ssize_t got;
        int ready;
        if (strcmp(line, "q\n") == 0 || strcmp(line, "Q\n") == 0)
            break;
        if (sl_send_some(fd, line, strlen(line), &err) < 0 ||
            (ready = sl_wait_fd(fd, POLLIN, 1000, &err)) < 0)
            goto fail_fd;
        if (ready == 0) {
            fprintf(stderr, "udp_echo_client: no echo within 1 s (datagram lost?)\n");
            sl_close(fd);
            return 1;
        }
        if ((got = sl_read_some(fd, echo, sizeof(echo), &err)) < 0)
            goto fail_fd;
        printf("Message from server: %.*s", (int)got, echo);
    }
    sl_close(fd);
    return 0;
fail_fd:
    sl_close(fd);
fail:
    fprintf(stderr, "udp_echo_client: %s\n", err.msg);
    return 1;
}
