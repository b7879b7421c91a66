/* proto/file_recv.c: the receiving side of the file transfer (a plain
 * client, docs/protocol.md): ask, read the header, stream the data into a
 * temporary file while hashing it, check size and checksum, put the file
 * in place, and only then say "Thank you". Any failure leaves nothing under
 * the final name and is told to the sender as "Error: ...". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "proto/file_internal.h"
#include "socklab/io.h"
#include "net/err_internal.h"

#define RECV_BUF (256 * 1024)
#define DRAIN_MS 2000   /* how long a failing receiver reads on so its reply is read */
#define RAW_NAME "receive.dat"   /* the seed's file_client.c writes here */

typedef struct recv_ctx {
    int sock;
    const sl_file_recv_opts *o;
    sl_file_recv_result *res;
    sl__file_out out;
    sl_file_hash *hash;
    uint8_t *buf;
    size_t have;                          /* bytes in buf (header phase) */
    uint8_t trailer[SL_FILE_TRAILER_LEN];
    size_t trailer_have;
    bool eof;
} recv_ctx;

/* Receive what is there (waiting at most the timeout). Returns the count,
 * 0 at EOF, -1 on error (reset, timeout). */
static ssize_t recv_some(recv_ctx *x, void *buf, size_t cap, sl_err *err)
{
    for (;;) {
        ssize_t n = recv(x->sock, buf, cap, MSG_DONTWAIT);
        int rc;
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return sl__err(err, SL_EPEER, errno, "connection reset by the sender");
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sl__err_sys(err, "recv");
        rc = sl_wait_fd(x->sock, POLLIN, x->o->timeout_ms > 0 ? x->o->timeout_ms : -1, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return sl__err(err, SL_ETIMEDOUT, ETIMEDOUT, "nothing from the sender for %.1f s",
                           x->o->timeout_ms / 1000.0);
    }
}

/* Send the request (the default protocol's first frame). */
static int send_request(recv_ctx *x, sl_err *err)
{
    const char *name = x->o->name ? x->o->name : "";
    ssize_t n = sl_file_request_encode(name, strlen(name), x->buf, RECV_BUF, err);
    if (n < 0)
        return -1;
    return sl_write_all(x->sock, x->buf, (size_t)n, err);
}

/* Read until the sender's first frame is complete; x->have keeps the bytes
 * that followed it at the start of buf. */
static int read_header(recv_ctx *x, sl_file_header *hdr, sl_err *err)
{
    for (;;) {
        ssize_t used = sl_file_header_parse(x->buf, x->have, hdr, err), n;
        if (used < 0)
            return -1;
        if (used > 0) {
            x->have -= (size_t)used;
            memmove(x->buf, x->buf + used, x->have);
            return 0;
        }
        n = recv_some(x, x->buf + x->have, RECV_BUF - x->have, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return sl__err(err, SL_EPEER, ECONNRESET, x->have == 0
                           ? "the sender closed the connection without sending anything"
                           : "the sender closed the connection in the middle of the header");
        x->have += (size_t)n;
    }
}

/* Check the sender's answer against what was asked for. */
static int check_header(const recv_ctx *x, const sl_file_header *hdr, sl_err *err)
{
    const char *want = x->o->name ? x->o->name : "";
    if (hdr->kind == SL_FILE_REFUSAL)
        return sl__err(err, SL_EPEER, EPERM, "the sender refused: %s", hdr->msg);
    if (want[0] != '\0' && strcmp(want, hdr->name) != 0)
        return sl__err(err, SL_EPEER, EPROTO, "the sender offered '%s' when '%s' was asked for",
                       hdr->name, want);
    return 0;
}

/* Add how far the transfer got to a receive error. */
static int body_error(const recv_ctx *x, sl_err *err)
{
    char what[SL_ERRLEN / 2];
    if (err == NULL)
        return -1;
    snprintf(what, sizeof(what), "%.380s", err->msg);
    if (x->o->raw && x->res->received == 0 && err->kind == SL_ETIMEDOUT)
        snprintf(err->msg, sizeof(err->msg), "%s (a socklab file-server without --raw "
                 "waits for a request: leave out --raw)", what);
    else if (x->o->raw)
        snprintf(err->msg, sizeof(err->msg), "%s after %llu bytes", what,
                 (unsigned long long)x->res->received);
    else
        snprintf(err->msg, sizeof(err->msg), "%s after %llu of %llu bytes", what,
                 (unsigned long long)x->res->received, (unsigned long long)x->res->size);
    return -1;
}

/* Take n received bytes: data up to the announced size (hashed, written),
 * then the trailer. */
static int take(recv_ctx *x, const uint8_t *p, size_t n, sl_err *err)
{
    uint64_t left = x->o->raw ? UINT64_MAX : x->res->size - x->res->received;
    size_t data = (uint64_t)n < left ? n : (size_t)left;
    if (data > 0) {
        if (x->hash != NULL)
            sl_file_hash_update(x->hash, p, data);
        if (sl__file_out_write(&x->out, p, data, err) < 0)
            return body_error(x, err);
        x->res->received += data;
    }
    n -= data;
    if (n > SL_FILE_TRAILER_LEN - x->trailer_have)
        return sl__err(err, SL_EPEER, EPROTO, "the sender sent bytes after the trailer");
    memcpy(x->trailer + x->trailer_have, p + data, n);
    x->trailer_have += n;
    if (x->o->progress != NULL && data > 0)
        x->o->progress(x->res->received, x->o->raw ? UINT64_MAX : x->res->size,
                       x->o->progress_arg);
    return 0;
}

/* Receive the data and the trailer until the sender's EOF. */
static int read_body(recv_ctx *x, sl_err *err)
{
    if (x->have > 0 && take(x, x->buf, x->have, err) < 0)
        return -1;
    x->have = 0;
    for (;;) {
        ssize_t n = recv_some(x, x->buf, RECV_BUF, err);
        if (n < 0)
            return body_error(x, err);
        if (n == 0)
            break;
        if (take(x, x->buf, (size_t)n, err) < 0)
            return -1;
    }
    x->eof = true;
    return 0;
}

/* After EOF: was everything there, and is it what was sent? */
static int verify(recv_ctx *x, sl_err *err)
{
    sl_file_trailer t;
    char got[2 * SL_FILE_HASH_LEN + 1], want[2 * SL_FILE_HASH_LEN + 1];
    sl_file_recv_result *r = x->res;
    if (r->received < r->size)
        return sl__err(err, SL_EPEER, EPIPE, "short by %llu bytes: the sender closed the "
                       "connection after %llu of %llu bytes",
                       (unsigned long long)(r->size - r->received),
                       (unsigned long long)r->received, (unsigned long long)r->size);
    if (x->trailer_have < SL_FILE_TRAILER_LEN)
        return sl__err(err, SL_EPEER, EPIPE, "the sender closed the connection before "
                       "the checksum (%zu of its %d bytes came)", x->trailer_have,
                       SL_FILE_TRAILER_LEN);
    if (sl_file_trailer_parse(x->trailer, x->trailer_have, &t, err) < 0)
        return -1;
    sl_file_hash_final(x->hash, r->hash);
    if (memcmp(t.hash, r->hash, SL_FILE_HASH_LEN) != 0) {
        sl_file_hash_hex(r->hash, got);
        sl_file_hash_hex(t.hash, want);
        return sl__err(err, SL_EPEER, EBADMSG, "checksum mismatch: the data received hashes "
                       "to xxh3-128:%s, the sender's file to xxh3-128:%s: damaged in transit",
                       got, want);
    }
    r->verified = true;
    return 0;
}

/* Say how it went, half-close, and (after a failure) read on for a moment
 * so the sender can read the reply instead of a reset. */
static void reply(recv_ctx *x, const sl_err *failure)
{
    char msg[SL_FILE_REPLY_MAX];
    long long end = sl_now_ms() + DRAIN_MS;
    if (failure == NULL) {
        if (x->o->raw)   /* the seed's client writes "Thank you" and its NUL */
            sl_write_all(x->sock, SL_FILE_THANKS, SL_FILE_RAW_THANKS_LEN, NULL);
        else
            sl_write_all(x->sock, SL_FILE_THANKS, strlen(SL_FILE_THANKS), NULL);
    } else if (!x->o->raw) {
        snprintf(msg, sizeof(msg), "Error: %.480s", failure->msg);
        sl_write_all(x->sock, msg, strlen(msg), NULL);
    }
    shutdown(x->sock, SHUT_WR);
    while (!x->eof && sl_now_ms() < end &&
           sl_wait_fd(x->sock, POLLIN, (int)(end - sl_now_ms()), NULL) == 1) {
        ssize_t n = recv(x->sock, x->buf, RECV_BUF, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
    }
}

/* Ask, receive into the temporary file, verify and commit. */
static int transfer(recv_ctx *x, sl_err *err)
{
    sl_file_header hdr;
    const char *name = RAW_NAME;
    if (!x->o->raw) {
        if (send_request(x, err) < 0 || read_header(x, &hdr, err) < 0 ||
            check_header(x, &hdr, err) < 0)
            return -1;
        memcpy(x->res->name, hdr.name, hdr.name_len + 1);
        x->res->size = hdr.size;
        x->res->algorithm = hdr.algorithm;
        name = hdr.name;
    }
    if (sl__file_out_target(&x->out, x->o->output, name, x->o->force, err) < 0 ||
        sl__file_out_create(&x->out, x->res->size, err) < 0 || read_body(x, err) < 0)
        return -1;
    if (x->o->raw)
        x->res->size = x->res->received;
    else if (verify(x, err) < 0)
        return -1;
    if (sl__file_out_commit(&x->out, err) < 0)
        return -1;
    memcpy(x->res->path, x->out.path, strlen(x->out.path) + 1);
    return 0;
}

/* True when path names an existing directory. */
static bool is_dir(const char *path)
{
    struct stat st;
    return path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Before anything is sent: refuse what can be refused from the options
 * alone (a bad name, a missing checksum library, an existing target). */
static int precheck(const sl_file_recv_opts *o, sl_err *err)
{
    sl__file_out out;
    const char *why;
    const char *name = o->name ? o->name : "";
    bool named_output = o->output != NULL && strcmp(o->output, "-") != 0 && !is_dir(o->output);
    int rc = 0;
    if (name[0] != '\0' && sl_file_name_check(name, strlen(name), err) < 0)
        return -1;
    if (!o->raw && !sl_file_hash_available(&why))
        return sl__err(err, SL_EUNSUPPORTED, ENOSYS, "%s", why);
    if (name[0] == '\0' && !named_output)
        return 0;   /* the final name comes with the header */
    rc = sl__file_out_target(&out, o->output, name[0] ? name : RAW_NAME, o->force, err);
    sl__file_out_close(&out);
    return rc;
}

int sl_file_receive(int sock, const sl_file_recv_opts *opts, sl_file_recv_result *res,
                    sl_err *err)
{
    recv_ctx x;
    long long started = sl_now_ms();
    int rc = -1;
    memset(res, 0, sizeof(*res));
    memset(&x, 0, sizeof(x));
    x.sock = sock;
    x.o = opts;
    x.res = res;
    x.out.dir_fd = x.out.fd = -1;
    if (precheck(opts, err) < 0)
        return -1;
    x.buf = malloc(RECV_BUF);
    if (x.buf == NULL)
        return sl__err_sys(err, "malloc");
    if (opts->raw || (x.hash = sl_file_hash_new(err)) != NULL)
        rc = transfer(&x, err);
    res->ms = sl_now_ms() - started;
    reply(&x, rc < 0 ? err : NULL);
    sl__file_out_close(&x.out);
    sl_file_hash_free(x.hash);
    free(x.buf);
    return rc;
}
