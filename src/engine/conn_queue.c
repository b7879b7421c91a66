/* engine/conn_queue.c: the output queue of event-driven connections. Data
 * is written straight to the socket when nothing is queued (one write per
 * message in steady state); only what the socket refuses is copied, into a
 * buffer allocated on first need and bounded by the server's out_limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "net/err_internal.h"

/* Make room for need more queued bytes (compacting or growing the buffer). */
static int queue_reserve(sl_conn *c, size_t need, sl_err *err)
{
    size_t want;
    uint8_t *p;
    if (c->out_off > 0 && c->out_len > 0)
        memmove(c->out, c->out + c->out_off, c->out_len);
    c->out_off = 0;
    if (c->out_len + need <= c->out_cap)
        return 0;
    want = c->out_cap ? c->out_cap : 16384;
    while (want < c->out_len + need)
        want *= 2;
    p = realloc(c->out, want);
    if (p == NULL)
        return sl__err_sys(err, "conn: queue %zu bytes", want);
    c->out = p;
    c->out_cap = want;
    return 0;
}

int sl__conn_send_event(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    const uint8_t *p = data;
    if (c->out_len == 0 && c->file_left == 0) {
        ssize_t n = sl_send_some(c->fd, p, len, err);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNRESET || errno == EPIPE
                       ? sl__err(err, SL_EPEER, errno, "send: connection reset by peer")
                       : -1;
        if (n > 0) {
            c->bytes_out += (uint64_t)n;
            p += n;
            len -= (size_t)n;
        }
    }
    if (len == 0)
        return 0;
    if (queue_reserve(c, len, err) < 0)
        return -1;
    memcpy(c->out + c->out_len, p, len);
    c->out_len += len;
    return 0;
}
