/* bench/peers/fork_echo.c: the minimal fork-per-client echo server, as a
 * careful programmer writes it in a page: accept, fork, the child echoes
 * with read/write until EOF; children are reaped by SIGCHLD = SIG_IGN.
 * usage: fork_echo PORT (0: any); prints "listening on tcp 127.0.0.1:PORT". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Echo until EOF or an error. */
static void serve(int fd)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf)), off = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        while (off < n) {
            ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return;
            off += w;
        }
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 0));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
        perror("fork_echo: bind/listen");
        return 1;
    }
    getsockname(lfd, (struct sockaddr *)&a, &len);
    fprintf(stderr, "listening on tcp 127.0.0.1:%d (fork per client)\n", ntohs(a.sin_port));
    signal(SIGCHLD, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            serve(fd);
            _exit(0);
        }
        close(fd);
    }
}
