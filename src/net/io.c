/* net/io.c: whole reads and writes that survive partial transfers, EINTR
 * and a peer that has gone (no SIGPIPE). */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "socklab/io.h"
#include "net/err_internal.h"

ssize_t sl_read_some(int fd, void *buf, size_t len, sl_err *err)
{
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sl__err_sys(err, "read");
    return n;
}

ssize_t sl_read_full(int fd, void *buf, size_t len, sl_err *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = sl_read_some(fd, (char *)buf + got, len - got, err);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

ssize_t sl_send_some(int fd, const void *buf, size_t len, sl_err *err)
{
    ssize_t n;
    do
        n = send(fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return sl__err_sys(err, "send");
    return n;
}

/* One write: send() with MSG_NOSIGNAL on sockets, write() on anything else. */
static ssize_t write_once(int fd, const void *buf, size_t len, int *is_socket)
{
    ssize_t n;
    if (*is_socket) {
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0 || errno != ENOTSOCK)
            return n;
        *is_socket = 0;
    }
    return write(fd, buf, len);
}

int sl_write_all(int fd, const void *buf, size_t len, sl_err *err)
{
    const char *p = buf;
    int is_socket = 1;
    while (len > 0) {
        ssize_t n = write_once(fd, p, len, &is_socket);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A nonblocking descriptor: wait instead of spinning. */
            if (sl_wait_fd(fd, POLLOUT, -1, err) < 0)
                return -1;
            continue;
        }
        if (n < 0)
            return sl__err_sys(err, "write");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int sl_wait_fd(int fd, short events, int timeout_ms, sl_err *err)
{
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
    long long deadline = timeout_ms >= 0 ? sl_now_ms() + timeout_ms : 0;
    for (;;) {
        int left = timeout_ms < 0 ? -1 : (int)(deadline - sl_now_ms());
        int rc;
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        rc = poll(&p, 1, left);
        if (rc >= 0)
            return rc > 0 ? 1 : 0;
        if (errno != EINTR)
            return sl__err_sys(err, "poll");
    }
}

long long sl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
