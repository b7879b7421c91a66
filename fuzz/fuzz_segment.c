/* fuzz/fuzz_segment.c: the TCP segment parser behind `socklab demo` and
 * captures (sl_segment_parse) on any frame, Ethernet or raw IP. Frames
 * come from the network: the parser must never read past them. Invariants:
 * a parsed segment's addresses are IPv4 or IPv6, and the flag names format
 * within their buffer. The payload length
 * is the one the headers state (a capture may keep only the headers), so
 * it is bounded by the 16-bit length fields, not by the frame. */
#include "socklab/capture.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_segment seg;
    char flags[64];
    uint8_t *copy;
    int link;
    if (size == 0)
        return 0;
    link = (data[0] & 1) ? SL_LINK_ETHERNET : SL_LINK_RAW;
    /* An exact-size heap copy: reading one byte past it is an ASan error. */
    copy = malloc(size - 1 > 0 ? size - 1 : 1);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data + 1, size - 1);
    memset(&seg, 0, sizeof(seg));
    if (sl_segment_parse(link, copy, size - 1, &seg) == 1) {
        FUZZ_ASSERT(seg.len <= 65535);
        FUZZ_ASSERT(seg.src.u.sa.sa_family == AF_INET || seg.src.u.sa.sa_family == AF_INET6);
        FUZZ_ASSERT(seg.dst.u.sa.sa_family == seg.src.u.sa.sa_family);
        FUZZ_ASSERT(strlen(sl_segment_flags(seg.flags, flags, sizeof(flags))) < sizeof(flags));
    }
    free(copy);
    return 0;
}
