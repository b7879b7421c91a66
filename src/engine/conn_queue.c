/* engine/conn_queue.c: the output queue of event-driven connections. Data
 * is written straight to the socket when nothing is queued (one write per
 * message in steady state); only what the socket refuses is copied, into a
 * buffer allocated on first need, bounded by the server's out_limit and
 * freed once it drains. A file range goes out with sendfile after the
 * queued bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "engine/conn_driver.h"
#include "socklab/io.h"
#include "net/err_internal.h"

#define SENDFILE_CHUNK (1u << 20)   /* per call: others get their turn */

sl__conn_ext *sl__conn_ext_get(sl_conn *c, sl_err *err)
{
    if (c->ext == NULL) {
        c->ext = calloc(1, sizeof(*c->ext));
        if (c->ext == NULL) {
            sl__err_sys(err, "conn: calloc");
            return NULL;
        }
        c->ext->file_fd = -1;
    }
    return c->ext;
}

void sl__conn_ext_trim(sl_conn *c)
{
    sl__conn_ext *x = c->ext;
    if (x == NULL)
        return;
    if (x->out_len == 0 && x->out != NULL) {
        free(x->out);
        x->out = NULL;
        x->out_off = x->out_cap = 0;
    }
    if (x->in_len == 0 && x->in != NULL) {
        free(x->in);
        x->in = NULL;
        x->in_off = 0;
    }
    if (x->out == NULL && x->in == NULL && x->file_left == 0) {
        free(x);
        c->ext = NULL;
    }
}

void sl__conn_ext_drop(sl_conn *c)
{
    if (c->ext == NULL)
        return;
    free(c->ext->out);
    free(c->ext->in);
    free(c->ext);
    c->ext = NULL;
}

size_t sl__conn_queued(const sl_conn *c)
{
    return c->ext != NULL ? c->ext->out_len : 0;
}

bool sl__conn_pending(const sl_conn *c)
{
    return c->ext != NULL && (c->ext->out_len > 0 || c->ext->file_left > 0);
}

/* Make room for need more queued bytes (compacting or growing the buffer). */
static int queue_reserve(sl__conn_ext *x, size_t need, sl_err *err)
{
    size_t want;
    uint8_t *p;
    if (x->out_off > 0 && x->out_len > 0)
        memmove(x->out, x->out + x->out_off, x->out_len);
    x->out_off = 0;
    if (x->out_len + need <= x->out_cap)
        return 0;
    want = x->out_cap ? x->out_cap : 16384;
    while (want < x->out_len + need)
        want *= 2;
    p = realloc(x->out, want);
    if (p == NULL)
        return sl__err_sys(err, "conn: queue %zu bytes", want);
    x->out = p;
    x->out_cap = want;
    return 0;
}

/* Error record for a failed send. */
static int send_error(const char *what, sl_err *err)
{
    if (errno == ECONNRESET || errno == EPIPE)
        return sl__err(err, SL_EPEER, errno, "%s: connection reset by peer", what);
    return sl__err_sys(err, "%s", what);
}

int sl__conn_send_event(sl_conn *c, const void *data, size_t len, sl_err *err)
{
    const uint8_t *p = data;
    sl__conn_ext *x;
    if (!sl__conn_pending(c)) {
        ssize_t n = sl_send_some(c->fd, p, len, NULL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return send_error("send", err);
        if (n > 0) {
            c->bytes_out += (uint64_t)n;
            p += n;
            len -= (size_t)n;
        }
    }
    if (len == 0)
        return 0;
    x = sl__conn_ext_get(c, err);
    if (x == NULL || queue_reserve(x, len, err) < 0)
        return -1;
    memcpy(x->out + x->out_len, p, len);
    x->out_len += len;
    return 0;
}

/* Write queued bytes. Returns 1 when none are left, 0 when the socket is full. */
static int flush_queue(sl_conn *c, sl__conn_ext *x, sl_err *err)
{
    while (x->out_len > 0) {
        ssize_t n = sl_send_some(c->fd, x->out + x->out_off, x->out_len, NULL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : send_error("send", err);
        c->bytes_out += (uint64_t)n;
        x->out_off += (size_t)n;
        x->out_len -= (size_t)n;
    }
    return 1;
}

/* Send the pending file range. Returns 1 when done, 0 when the socket is full. */
static int flush_file(sl_conn *c, sl__conn_ext *x, sl_err *err)
{
    while (x->file_left > 0) {
        size_t chunk = x->file_left > SENDFILE_CHUNK ? SENDFILE_CHUNK : (size_t)x->file_left;
        ssize_t n = sendfile(c->fd, x->file_fd, &x->file_off, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : send_error("sendfile", err);
        if (n == 0)
            return sl__err(err, SL_ESYS, EIO, "sendfile: the file ended %llu bytes early",
                           (unsigned long long)x->file_left);
        x->file_left -= (uint64_t)n;
        c->bytes_out += (uint64_t)n;
        if ((size_t)n < chunk)
            return 0;   /* the socket took less: it is full, wait for writability */
    }
    return 1;
}

int sl__conn_flush(sl_conn *c, sl_err *err)
{
    sl__conn_ext *x = c->ext;
    int rc;
    if (x == NULL)
        return 1;
    rc = flush_queue(c, x, err);
    if (rc == 1 && x->file_left > 0)
        rc = flush_file(c, x, err);
    if (rc == 1) {
        x->file_fd = -1;
        sl__conn_ext_trim(c);
    }
    return rc;
}
