/* fuzz/fuzz_fileproto.c: the file-transfer protocol parsers (request,
 * header or refusal, trailer) and the network name check on any bytes.
 * Invariants: a parser never takes more than it was given; a complete
 * frame's fields are within their bounds, a name it accepts passes the
 * name check, and encoding the fields again gives back the same frame;
 * the first byte of input picks how the rest is cut, so frames split
 * across reads are parsed too (0, "need more", until complete). */
#include "socklab/fileproto.h"
#include "fuzz.h"

static void check_request(const uint8_t *data, size_t size)
{
    static sl_file_request req;
    static uint8_t again[SL_FILE_REQUEST_FIXED + SL_FILE_NAME_MAX + 16];
    sl_err err;
    ssize_t n = sl_file_request_parse(data, size, &req, &err);
    FUZZ_ASSERT(n >= -1 && n <= (ssize_t)size);
    if (n <= 0)
        return;
    FUZZ_ASSERT(req.name_len <= SL_FILE_NAME_MAX && req.name[req.name_len] == '\0');
    if (req.name_len > 0)
        FUZZ_ASSERT(sl_file_name_check(req.name, req.name_len, &err) == 0);
    FUZZ_ASSERT(sl_file_request_encode(req.name, req.name_len, again, sizeof(again),
                                       &err) == n);
    FUZZ_ASSERT(memcmp(again, data, (size_t)n) == 0);
}

static void check_header(const uint8_t *data, size_t size)
{
    static sl_file_header hdr;
    static uint8_t again[SL_FILE_HEADER_FIXED + SL_FILE_NAME_MAX + SL_FILE_MSG_MAX + 16];
    sl_err err;
    ssize_t n = sl_file_header_parse(data, size, &hdr, &err), m;
    FUZZ_ASSERT(n >= -1 && n <= (ssize_t)size);
    if (n <= 0)
        return;
    if (hdr.kind == SL_FILE_REFUSAL) {
        FUZZ_ASSERT(strnlen(hdr.msg, sizeof(hdr.msg)) <= SL_FILE_MSG_MAX);
        return;    /* a refusal's message is cleaned for display: no round trip */
    }
    FUZZ_ASSERT(hdr.kind == SL_FILE_HEADER && hdr.size <= SL_FILE_SIZE_MAX);
    FUZZ_ASSERT(hdr.name_len <= SL_FILE_NAME_MAX && hdr.name[hdr.name_len] == '\0');
    FUZZ_ASSERT(sl_file_name_check(hdr.name, hdr.name_len, &err) == 0);
    m = sl_file_header_encode(hdr.name, hdr.name_len, hdr.size, hdr.algorithm, again,
                              sizeof(again), &err);
    FUZZ_ASSERT(m == n && memcmp(again, data, (size_t)n) == 0);
}

static void check_trailer(const uint8_t *data, size_t size)
{
    sl_file_trailer t;
    uint8_t again[SL_FILE_TRAILER_LEN];
    sl_err err;
    ssize_t n = sl_file_trailer_parse(data, size, &t, &err);
    FUZZ_ASSERT(n >= -1 && n <= (ssize_t)size);
    if (n <= 0)
        return;
    FUZZ_ASSERT(n == SL_FILE_TRAILER_LEN);
    FUZZ_ASSERT(sl_file_trailer_encode(&t, again, sizeof(again), &err) == n);
    FUZZ_ASSERT(memcmp(again, data, (size_t)n) == 0);
}

/* Every prefix shorter than a complete frame must ask for more (0) or be
 * refused (-1), never be taken as complete. */
static void check_prefixes(const uint8_t *data, size_t size, size_t step)
{
    static sl_file_header hdr;
    sl_err err;
    ssize_t whole = sl_file_header_parse(data, size, &hdr, &err);
    if (whole <= 0)
        return;
    for (size_t cut = 0; cut < (size_t)whole; cut += step)
        FUZZ_ASSERT(sl_file_header_parse(data, cut, &hdr, &err) <= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_err err;
    uint8_t mode;
    if (size == 0)
        return 0;
    mode = data[0];
    data++;
    size--;
    switch (mode % 4) {
    case 0: check_request(data, size); break;
    case 1: check_header(data, size); break;
    case 2: check_trailer(data, size); break;
    default:
        if (sl_file_name_check((const char *)data, size, &err) == 0)
            FUZZ_ASSERT(size > 0 && memchr(data, '\0', size) == NULL);
        break;
    }
    if (mode % 4 == 1)
        check_prefixes(data, size, (size_t)(mode / 4) + 1);
    return 0;
}
