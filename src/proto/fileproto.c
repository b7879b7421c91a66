/* proto/fileproto.c: the file transfer's frames (docs/protocol.md) and the
 * checks on names. Pure functions over (buf, len): no I/O, no allocation,
 * so a fuzzer can drive them directly. */
#include <errno.h>
#include <string.h>

#include "socklab/fileproto.h"
#include "net/err_internal.h"

static const char MAGIC_REQUEST[4] = { 'S', 'L', 'F', 'R' };
static const char MAGIC_HEADER[4] = { 'S', 'L', 'F', 'H' };
static const char MAGIC_REFUSAL[4] = { 'S', 'L', 'F', 'E' };
static const char MAGIC_TRAILER[4] = { 'S', 'L', 'F', 'T' };

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Check one component [p, p + n) of a name. */
static int component_check(const char *p, size_t n, sl_err *err)
{
    if (n == 0)
        return sl__err(err, SL_EINPUT, EINVAL,
                       "name: empty component (a leading, doubled or trailing '/')");
    if (n > SL_FILE_COMPONENT_MAX)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG,
                       "name: a component is %zu bytes (at most %d)", n,
                       SL_FILE_COMPONENT_MAX);
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return sl__err(err, SL_EINPUT, EINVAL, "name: '%.*s' components are refused",
                       (int)n, p);
    return 0;
}

int sl_file_name_check(const char *name, size_t len, sl_err *err)
{
    size_t start = 0;
    if (name == NULL || len == 0)
        return sl__err(err, SL_EINPUT, EINVAL, "name: empty");
    if (len > SL_FILE_NAME_MAX)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "name: %zu bytes (at most %d)",
                       len, SL_FILE_NAME_MAX);
    if (name[0] == '/')
        return sl__err(err, SL_EINPUT, EINVAL, "name: absolute paths are refused");
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch == '\0')
            return sl__err(err, SL_EINPUT, EINVAL, "name: contains a NUL byte");
        if (ch < 0x20 || ch == 0x7f)
            return sl__err(err, SL_EINPUT, EINVAL,
                           "name: contains the control character 0x%02x", ch);
        if (ch == '/') {
            if (component_check(name + start, i - start, err) < 0)
                return -1;
            start = i + 1;
        }
    }
    return component_check(name + start, len - start, err);
}

const char *sl_file_name_base(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash != NULL ? slash + 1 : name;
}

/* True when the first min(len, 4) bytes agree with magic. */
static bool prefix_ok(const uint8_t *buf, size_t len, const char magic[4])
{
    return len == 0 || memcmp(buf, magic, len < 4 ? len : 4) == 0;
}

/* A name in a peer's frame failed its check: the peer is at fault. */
static ssize_t bad_name(sl_err *err)
{
    if (err != NULL)
        err->kind = SL_EPEER;
    return -1;
}

/* A peer's frame is malformed. */
static ssize_t bad(sl_err *err, const char *frame, const char *why)
{
    return sl__err(err, SL_EPEER, EPROTO, "%s: %s", frame, why);
}

/* Check magic and version of a frame start (at least 5 bytes present). */
static int check_start(const uint8_t *buf, const char magic[4], const char *frame,
                       sl_err *err)
{
    if (memcmp(buf, magic, 4) != 0)
        return (int)bad(err, frame, "not a socklab file-transfer frame (bad magic)");
    if (buf[4] != SL_FILE_VERSION)
        return sl__err(err, SL_EPEER, EPROTO, "%s: version %u is not supported (this is %d)",
                       frame, buf[4], SL_FILE_VERSION);
    return 0;
}

ssize_t sl_file_request_encode(const char *name, size_t name_len, uint8_t *out,
                               size_t cap, sl_err *err)
{
    if (name_len > 0 && sl_file_name_check(name, name_len, err) < 0)
        return -1;
    if (cap < SL_FILE_REQUEST_FIXED + name_len)
        return sl__err(err, SL_EINPUT, ENOBUFS, "request: buffer too small");
    memcpy(out, MAGIC_REQUEST, 4);
    out[4] = SL_FILE_VERSION;
    out[5] = 0;
    put16(out + 6, (uint16_t)name_len);
    if (name_len > 0)
        memcpy(out + SL_FILE_REQUEST_FIXED, name, name_len);
    return (ssize_t)(SL_FILE_REQUEST_FIXED + name_len);
}

ssize_t sl_file_request_parse(const uint8_t *buf, size_t len, sl_file_request *req,
                              sl_err *err)
{
    size_t n;
    if (!prefix_ok(buf, len, MAGIC_REQUEST))
        return bad(err, "request", "not a socklab file-transfer frame (bad magic)");
    if (len < SL_FILE_REQUEST_FIXED)
        return 0;
    if (check_start(buf, MAGIC_REQUEST, "request", err) < 0)
        return -1;
    if (buf[5] != 0)
        return bad(err, "request", "reserved flags are set");
    n = get16(buf + 6);
    if (n > SL_FILE_NAME_MAX)
        return bad(err, "request", "name length over 4095 bytes");
    if (len < SL_FILE_REQUEST_FIXED + n)
        return 0;
    if (n > 0 && sl_file_name_check((const char *)buf + SL_FILE_REQUEST_FIXED, n, err) < 0)
        return bad_name(err);
    memcpy(req->name, buf + SL_FILE_REQUEST_FIXED, n);
    req->name[n] = '\0';
    req->name_len = n;
    return (ssize_t)(SL_FILE_REQUEST_FIXED + n);
}

ssize_t sl_file_header_encode(const char *name, size_t name_len, uint64_t size,
                              uint8_t algorithm, uint8_t *out, size_t cap,
                              sl_err *err)
{
    if (sl_file_name_check(name, name_len, err) < 0)
        return -1;
    if (size > SL_FILE_SIZE_MAX)
        return sl__err(err, SL_EINPUT, EFBIG, "header: size over 2^63 - 1");
    if (cap < SL_FILE_HEADER_FIXED + name_len)
        return sl__err(err, SL_EINPUT, ENOBUFS, "header: buffer too small");
    memcpy(out, MAGIC_HEADER, 4);
    out[4] = SL_FILE_VERSION;
    out[5] = algorithm;
    put16(out + 6, (uint16_t)name_len);
    put64(out + 8, size);
    memcpy(out + SL_FILE_HEADER_FIXED, name, name_len);
    return (ssize_t)(SL_FILE_HEADER_FIXED + name_len);
}

ssize_t sl_file_refusal_encode(const char *msg, uint8_t *out, size_t cap, sl_err *err)
{
    size_t n = strlen(msg);
    if (n > SL_FILE_MSG_MAX)
        n = SL_FILE_MSG_MAX;
    if (cap < SL_FILE_REFUSAL_FIXED + n)
        return sl__err(err, SL_EINPUT, ENOBUFS, "refusal: buffer too small");
    memcpy(out, MAGIC_REFUSAL, 4);
    out[4] = SL_FILE_VERSION;
    out[5] = 0;
    put16(out + 6, (uint16_t)n);
    memcpy(out + SL_FILE_REFUSAL_FIXED, msg, n);
    return (ssize_t)(SL_FILE_REFUSAL_FIXED + n);
}

/* The refusal frame: "SLFE", version, 0, length, message. */
static ssize_t refusal_parse(const uint8_t *buf, size_t len, sl_file_header *hdr,
                             sl_err *err)
{
    size_t n = get16(buf + 6);
    if (buf[5] != 0)
        return bad(err, "refusal", "reserved byte is set");
    if (n > SL_FILE_MSG_MAX)
        return bad(err, "refusal", "message over 1024 bytes");
    if (len < SL_FILE_REFUSAL_FIXED + n)
        return 0;
    hdr->kind = SL_FILE_REFUSAL;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[SL_FILE_REFUSAL_FIXED + i];
        hdr->msg[i] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);   /* printable */
    }
    hdr->msg[n] = '\0';
    hdr->name[0] = '\0';
    hdr->name_len = 0;
    hdr->size = 0;
    hdr->algorithm = 0;
    return (ssize_t)(SL_FILE_REFUSAL_FIXED + n);
}

/* The header frame proper, once magic and version are known good. */
static ssize_t header_fields(const uint8_t *buf, size_t len, sl_file_header *hdr,
                             sl_err *err)
{
    size_t n;
    uint64_t size;
    if (len < SL_FILE_HEADER_FIXED)
        return 0;
    if (buf[5] != SL_FILE_HASH_XXH3_128)
        return sl__err(err, SL_EPEER, EPROTO, "header: checksum algorithm %u is unknown",
                       buf[5]);
    n = get16(buf + 6);
    size = get64(buf + 8);
    if (n == 0 || n > SL_FILE_NAME_MAX)
        return bad(err, "header", "name length is 0 or over 4095 bytes");
    if (size > SL_FILE_SIZE_MAX)
        return bad(err, "header", "size over 2^63 - 1 bytes");
    if (len < SL_FILE_HEADER_FIXED + n)
        return 0;
    if (sl_file_name_check((const char *)buf + SL_FILE_HEADER_FIXED, n, err) < 0)
        return bad_name(err);
    hdr->kind = SL_FILE_HEADER;
    hdr->algorithm = buf[5];
    hdr->size = size;
    memcpy(hdr->name, buf + SL_FILE_HEADER_FIXED, n);
    hdr->name[n] = '\0';
    hdr->name_len = n;
    hdr->msg[0] = '\0';
    return (ssize_t)(SL_FILE_HEADER_FIXED + n);
}

ssize_t sl_file_header_parse(const uint8_t *buf, size_t len, sl_file_header *hdr,
                             sl_err *err)
{
    bool refusal;
    if (len == 0)
        return 0;
    refusal = prefix_ok(buf, len, MAGIC_REFUSAL);
    if (!refusal && !prefix_ok(buf, len, MAGIC_HEADER))
        return bad(err, "header", "not a socklab file-transfer frame (bad magic; "
                   "a --raw sender sends the bytes alone)");
    if (len < 8)
        return 0;
    if (check_start(buf, refusal ? MAGIC_REFUSAL : MAGIC_HEADER,
                    refusal ? "refusal" : "header", err) < 0)
        return -1;
    return refusal ? refusal_parse(buf, len, hdr, err) : header_fields(buf, len, hdr, err);
}

ssize_t sl_file_trailer_encode(const sl_file_trailer *t, uint8_t *out, size_t cap,
                               sl_err *err)
{
    if (cap < SL_FILE_TRAILER_LEN)
        return sl__err(err, SL_EINPUT, ENOBUFS, "trailer: buffer too small");
    memcpy(out, MAGIC_TRAILER, 4);
    out[4] = t->algorithm;
    memset(out + 5, 0, 3);
    memcpy(out + 8, t->hash, SL_FILE_HASH_LEN);
    return SL_FILE_TRAILER_LEN;
}

ssize_t sl_file_trailer_parse(const uint8_t *buf, size_t len, sl_file_trailer *t,
                              sl_err *err)
{
    if (!prefix_ok(buf, len, MAGIC_TRAILER))
        return bad(err, "trailer", "missing after the data (bad magic)");
    if (len < SL_FILE_TRAILER_LEN)
        return 0;
    if (buf[4] != SL_FILE_HASH_XXH3_128)
        return sl__err(err, SL_EPEER, EPROTO, "trailer: checksum algorithm %u is unknown",
                       buf[4]);
    if (buf[5] != 0 || buf[6] != 0 || buf[7] != 0)
        return bad(err, "trailer", "reserved bytes are set");
    t->algorithm = buf[4];
    memcpy(t->hash, buf + 8, SL_FILE_HASH_LEN);
    return SL_FILE_TRAILER_LEN;
}
