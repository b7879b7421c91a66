/* socklab/io.h: whole reads and writes. EINTR is retried here and nowhere
 * else; writes on sockets never raise SIGPIPE (MSG_NOSIGNAL). */
#ifndef SOCKLAB_IO_H
#define SOCKLAB_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "socklab/err.h"

/* One read of at most len bytes. Returns the count, 0 at end of file. */
ssize_t sl_read_some(int fd, void *buf, size_t len, sl_err *err);

/* Read until len bytes or end of file. Returns the count (< len at EOF). */
ssize_t sl_read_full(int fd, void *buf, size_t len, sl_err *err);

/* Write all len bytes to a socket, pipe or file. Returns 0 or -1. */
int sl_write_all(int fd, const void *buf, size_t len, sl_err *err);

/* One send on a socket without SIGPIPE. Returns the count or -1. */
ssize_t sl_send_some(int fd, const void *buf, size_t len, sl_err *err);

/* Wait until fd is readable (events POLLIN) or writable (POLLOUT) for at
 * most timeout_ms (< 0: forever). Returns 1 ready, 0 timed out, -1 error. */
int sl_wait_fd(int fd, short events, int timeout_ms, sl_err *err);

/* Milliseconds of a monotonic clock. */
long long sl_now_ms(void);

#endif
