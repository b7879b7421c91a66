/* services/file_send.c: the file service, the sending side of the file
 * transfer (docs/protocol.md), written once for every model. It waits for
 * the receiver's request, sends the header, then the file with sendfile
 * while file_hasher.c reads it once more from the page cache to hash it
 * (beside the sending, in a thread of its own for a large file), then the
 * checksum trailer, half-closes, and reads the receiver's reply; the
 * transfer succeeded only when the reply is "Thank you".
 *
 * A file sent whole before and unchanged since is not hashed again: the
 * checksum kept from then goes out (file_cache.c).
 *
 * It moves to its next step only once everything it queued has been
 * written (bytes out reached what was queued): at once under a blocking
 * model, where sends complete before they return, or from the drained
 * callback under an event model. With --raw it speaks the seed's protocol:
 * the bytes from the start, the half-close, then the reply. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "services/file_internal.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

enum phase { PH_REQUEST, PH_SENDING, PH_REPLY, PH_DONE };

typedef struct file_state {
    const sl_file_service_config *cfg;
    enum phase phase;
    int fd;                       /* the file being sent */
    struct stat st;               /* its status when opened */
    uint64_t off;                 /* bytes of it queued so far */
    uint64_t queued;              /* bytes out once everything queued is written */
    sl__file_hasher *hasher;      /* hashing beside the sending (NULL: raw, or cached) */
    bool cached;                  /* the checksum is known from an earlier transfer */
    uint8_t digest[SL_FILE_HASH_LEN];
    uint8_t req[SL_FILE_REQUEST_FIXED + SL_FILE_NAME_MAX];
    size_t req_len;
    char reply[SL_FILE_REPLY_MAX + 1];
    size_t reply_len;
    char name[SL_FILE_NAME_MAX + 1];
} file_state;

/* Release the hasher, then the file it reads. */
static void drop_file(file_state *s)
{
    sl__file_hasher_cancel(s->hasher);
    s->hasher = NULL;
    if (s->fd >= 0)
        sl_close(s->fd);
    s->fd = -1;
}

/* Queue len bytes and count them. */
static int queue(sl_conn *c, file_state *s, const void *data, size_t len, sl_err *err)
{
    if (sl_conn_send(c, data, len, err) < 0)
        return -1;
    s->queued += len;
    return 0;
}

/* Queue the rest of the file with sendfile. */
static int send_rest(sl_conn *c, file_state *s, sl_err *err)
{
    uint64_t n = (uint64_t)s->st.st_size - s->off;
    s->queued += n;
    s->off += n;
    return sl_conn_send_file(c, s->fd, (off_t)(s->off - n), n, err);
}

/* The file is out: check it did not change, send the trailer, half-close. */
static int end_file(sl_conn *c, file_state *s, sl_err *err)
{
    struct stat now;
    uint8_t frame[SL_FILE_TRAILER_LEN];
    sl_file_trailer t;
    char hex[2 * SL_FILE_HASH_LEN + 1] = "";
    if (fstat(s->fd, &now) == 0 && (now.st_size != s->st.st_size ||
        now.st_mtim.tv_sec != s->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != s->st.st_mtim.tv_nsec))
        return sl__err(err, SL_ESYS, EIO, "%s changed while being sent; no checksum sent, "
                       "so the receiver discards it", s->name);
    if (!s->cfg->raw) {
        t.algorithm = SL_FILE_HASH_XXH3_128;
        if (s->cached) {
            memcpy(t.hash, s->digest, SL_FILE_HASH_LEN);
        } else {
            sl_err why;
            int rc = sl__file_hasher_end(s->hasher, t.hash, &why);
            s->hasher = NULL;
            if (rc < 0)
                return sl__err(err, why.kind, why.code, "%s: %.400s", s->name, why.msg);
            sl__file_cache_put(&s->st, t.hash);   /* sent whole, unchanged */
        }
        sl_file_hash_hex(t.hash, hex);
        if (sl_file_trailer_encode(&t, frame, sizeof(frame), err) < 0 ||
            queue(c, s, frame, sizeof(frame), err) < 0)
            return -1;
    }
    drop_file(s);
    sl_conn_shutdown(c);
    s->phase = PH_REPLY;
    sl_conn_log(c, "sent %s: %llu bytes%s%s%s, half-closed; waiting for the reply", s->name,
                (unsigned long long)s->st.st_size, hex[0] ? ", xxh3-128:" : "", hex,
                s->cached ? " (kept from an earlier transfer of the unchanged file)" : "");
    return 0;
}

/* Go as far as the output written so far allows. */
static int pump(sl_conn *c, file_state *s, sl_err *err)
{
    while (s->phase == PH_SENDING && sl_conn_bytes_out(c) >= s->queued) {
        int rc = s->off < (uint64_t)s->st.st_size ? send_rest(c, s, err)
                                                  : end_file(c, s, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Open the named file and start sending it (header first, unless raw). */
static int start(sl_conn *c, file_state *s, const char *name, sl_err *err)
{
    uint8_t hdr[SL_FILE_HEADER_FIXED + SL_FILE_NAME_MAX];
    const char *base = name[0] ? name : sl_file_name_base(s->cfg->path);
    ssize_t n;
    s->fd = sl__file_open_served(s->cfg, name, &s->st, err);
    if (s->fd < 0)
        return -1;
    (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);   /* read ahead: a hint */
    snprintf(s->name, sizeof(s->name), "%s", base);
    if (!s->cfg->raw) {
        s->cached = sl__file_cache_get(&s->st, s->digest);
        if (!s->cached &&
            (s->hasher = sl__file_hasher_start(s->fd, (uint64_t)s->st.st_size, err)) == NULL)
            return -1;
        n = sl_file_header_encode(base, strlen(base), (uint64_t)s->st.st_size,
                                  SL_FILE_HASH_XXH3_128, hdr, sizeof(hdr), err);
        if (n < 0 || queue(c, s, hdr, (size_t)n, err) < 0)
            return -1;
    }
    s->phase = PH_SENDING;
    sl_conn_log(c, "sending %s (%llu bytes)%s", s->name, (unsigned long long)s->st.st_size,
                s->cfg->raw ? " raw" : "");
    return pump(c, s, err);
}

/* Tell the receiver why its request is refused; the transfer has failed.
 * The kind is SL_EINPUT (the request was the bad input), so every model
 * closes gracefully and the receiver reads the refusal, not a reset. */
static int refuse(sl_conn *c, file_state *s, sl_err *err)
{
    uint8_t frame[SL_FILE_REFUSAL_FIXED + SL_FILE_MSG_MAX];
    char why[SL_FILE_MSG_MAX + 1];
    ssize_t n;
    snprintf(why, sizeof(why), "%s", err->msg);
    n = sl_file_refusal_encode(why, frame, sizeof(frame), NULL);
    if (n > 0)
        sl_conn_send(c, frame, (size_t)n, NULL);
    sl_conn_finish(c);
    s->phase = PH_DONE;
    return sl__err(err, SL_EINPUT, EPERM, "request refused: %s", why);
}

static int file_open(sl_conn *c, void *st, const void *config, sl_err *err)
{
    file_state *s = st;
    s->cfg = config;
    s->fd = -1;
    s->phase = PH_REQUEST;
    if (s->cfg->raw)
        return start(c, s, "", err);   /* the seed's server sends at once */
    return 0;
}

/* Collect the request; once it is whole, answer it. */
static ssize_t take_request(sl_conn *c, file_state *s, const uint8_t *data, size_t len,
                            sl_err *err)
{
    sl_file_request req;
    size_t n = len < sizeof(s->req) - s->req_len ? len : sizeof(s->req) - s->req_len;
    ssize_t used;
    memcpy(s->req + s->req_len, data, n);
    s->req_len += n;
    used = sl_file_request_parse(s->req, s->req_len, &req, err);
    if (used < 0)
        return refuse(c, s, err);
    if (used == 0)
        return (ssize_t)n;
    if ((size_t)used != s->req_len)
        return sl__err(err, SL_EPEER, EPROTO, "the receiver sent more than its request");
    if (start(c, s, req.name, err) < 0)   /* nothing sent yet: say why */
        return s->phase == PH_REQUEST && s->queued == 0 ? refuse(c, s, err) : -1;
    return (ssize_t)n;
}

static ssize_t file_input(sl_conn *c, void *st, const uint8_t *data, size_t len,
                          sl_err *err)
{
    file_state *s = st;
    if (s->phase == PH_REQUEST)
        return take_request(c, s, data, len, err);
    if (s->phase == PH_DONE)
        return (ssize_t)len;   /* after a refusal: read and discard until EOF */
    if (len > SL_FILE_REPLY_MAX - s->reply_len)
        return sl__err(err, SL_EPEER, EPROTO, "the receiver's reply is over %d bytes",
                       SL_FILE_REPLY_MAX);
    memcpy(s->reply + s->reply_len, data, len);
    s->reply_len += len;
    return (ssize_t)len;
}

/* The reply as it can be logged: control bytes shown as '?', and the
 * seed's trailing NUL (or a newline from nc) dropped. */
static void clean_reply(file_state *s)
{
    while (s->reply_len > 0 && (s->reply[s->reply_len - 1] == '\0' ||
           s->reply[s->reply_len - 1] == '\n' || s->reply[s->reply_len - 1] == '\r'))
        s->reply_len--;
    s->reply[s->reply_len] = '\0';
    for (size_t i = 0; i < s->reply_len; i++)
        if ((unsigned char)s->reply[i] < 0x20 || s->reply[i] == 0x7f)
            s->reply[i] = '?';
}

/* The receiver's EOF: judge the transfer by its reply. */
static int file_input_end(sl_conn *c, void *st, sl_err *err)
{
    file_state *s = st;
    if (s->phase == PH_DONE)
        return 0;
    if (s->phase == PH_REQUEST && s->req_len == 0) {
        sl_conn_log(c, "closed without asking for a file");
        return 0;
    }
    if (s->phase == PH_REQUEST)
        return sl__err(err, SL_EPEER, EPROTO, "the receiver closed in the middle of its request");
    clean_reply(s);
    if (s->reply_len > 0)
        sl_conn_log(c, "Message from client: %s", s->reply);
    if (s->phase == PH_SENDING)
        return sl__err(err, SL_EPEER, EPIPE, "the receiver closed after %llu of %llu bytes%s%s",
                       (unsigned long long)sl_conn_bytes_out(c),
                       (unsigned long long)s->queued, s->reply_len ? ": " : "", s->reply);
    s->phase = PH_DONE;
    sl_conn_finish(c);
    if (strcmp(s->reply, SL_FILE_THANKS) != 0)
        return sl__err(err, SL_EPEER, EPROTO, "the receiver did not confirm %s: %s", s->name,
                       s->reply_len ? s->reply : "it closed without a reply");
    return 0;
}

static int file_drained(sl_conn *c, void *st, sl_err *err)
{
    return pump(c, st, err);
}

static void file_close(sl_conn *c, void *st, const sl_err *why)
{
    (void)c;
    (void)why;
    drop_file(st);
}

const sl_service sl_file_service = {
    .name = "file",
    .state_size = sizeof(file_state),
    .open = file_open,
    .input = file_input,
    .input_end = file_input_end,
    .drained = file_drained,
    .close = file_close,
};
