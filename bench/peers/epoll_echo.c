/* bench/peers/epoll_echo.c: a minimal single-threaded epoll echo server,
 * the floor for memory per idle connection: nothing is allocated for a
 * connection until a write would block (then its unsent bytes are kept
 * and its reading paused until they drain).
 * usage: epoll_echo PORT (0: any); prints "listening on tcp 127.0.0.1:PORT". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct pending {
    size_t off, len;
    char data[];
} pending;

static pending **pend;   /* by descriptor; NULL: nothing unsent */
static int ep;

static void drop(int fd)
{
    free(pend[fd]);
    pend[fd] = NULL;
    close(fd);
}

/* Send buf; keep what the socket will not take and wait for EPOLLOUT. */
static int send_or_keep(int fd, const char *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd };
    if (n < 0 && errno != EAGAIN)
        return -1;
    if (n < 0)
        n = 0;
    if ((size_t)n == len)
        return 0;
    pend[fd] = malloc(sizeof(pending) + len - (size_t)n);
    if (pend[fd] == NULL)
        return -1;
    pend[fd]->off = 0;
    pend[fd]->len = len - (size_t)n;
    memcpy(pend[fd]->data, buf + n, pend[fd]->len);
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void on_ready(int fd, unsigned events)
{
    static char buf[65536];
    if (pend[fd] != NULL && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        pending *p = pend[fd];
        ssize_t n = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        if (n < 0 && errno != EAGAIN) {
            drop(fd);
            return;
        }
        p->off += n > 0 ? (size_t)n : 0;
        if (p->off == p->len) {
            free(p);
            pend[fd] = NULL;
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        }
        return;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN) || (n > 0 && send_or_keep(fd, buf, (size_t)n) < 0))
        drop(fd);
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    struct rlimit rl;
    struct epoll_event ev, evs[256];
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    pend = calloc(rl.rlim_cur, sizeof(*pend));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 0));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (pend == NULL || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
        perror("epoll_echo: bind/listen");
        return 1;
    }
    getsockname(lfd, (struct sockaddr *)&a, &len);
    fprintf(stderr, "listening on tcp 127.0.0.1:%d (minimal epoll)\n", ntohs(a.sin_port));
    ep = epoll_create1(EPOLL_CLOEXEC);
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != lfd) {
                on_ready(fd, evs[i].events);
                continue;
            }
            for (int k = 0; k < 64; k++) {
                int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0)
                    break;
                if ((rlim_t)c >= rl.rlim_cur) { close(c); continue; }
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                ev.events = EPOLLIN;
                ev.data.fd = c;
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
            }
        }
    }
}
