/* net/capture_live.c: a live capture of one port's TCP segments on an
 * interface: libpcap where it was built in, else an AF_PACKET socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/capture_internal.h"
#include "net/err_internal.h"

long long sl__capture_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sl__capture_take(sl_capture *c, const uint8_t *frame, size_t len, long long ts_us)
{
    sl_segment seg;
    if (sl_segment_parse(c->linktype, frame, len, &seg) != 1)
        return;
    if (sl_addr_port(&seg.src) != c->port && sl_addr_port(&seg.dst) != c->port)
        return;
    seg.t_us = ts_us - c->t0_us;
    if (seg.t_us < 0)
        seg.t_us = 0;
    if (sl_seglist_add(&c->segs, &seg, c->err.kind == SL_OK ? &c->err : NULL) < 0)
        return;
}

sl_capture *sl_capture_open(const char *ifname, uint16_t port, sl_err *err)
{
    sl_capture *c = calloc(1, sizeof(*c));
    sl_err first;
    if (c == NULL) {
        sl__err_sys(err, "capture");
        return NULL;
    }
    c->fd = -1;
    c->port = port;
    c->t0_us = sl__capture_now_us();
    sl_err_clear(&c->err);
    if (sl__pcap_open(c, ifname, &first) == 0)
        return c;
    /* Without libpcap, or when it failed for a reason other than
     * permission, AF_PACKET may still work. */
    if ((first.kind == SL_EUNSUPPORTED || first.code != EPERM) &&
        sl__packet_open(c, ifname, first.kind == SL_EUNSUPPORTED ? err : NULL) == 0)
        return c;
    if (first.kind != SL_EUNSUPPORTED && err != NULL)
        *err = first;
    free(c);
    return NULL;
}

int sl_capture_drain(sl_capture *c, int quiet_ms, sl_err *err)
{
    int rc = c->pcap != NULL ? sl__pcap_drain(c, quiet_ms, err)
                             : sl__packet_drain(c, quiet_ms, err);
    if (rc == 0 && c->err.kind != SL_OK) {
        if (err != NULL)
            *err = c->err;
        return -1;
    }
    return rc;
}

const sl_seglist *sl_capture_segments(const sl_capture *c)
{
    return &c->segs;
}

const char *sl_capture_backend(const sl_capture *c)
{
    return c->backend;
}

void sl_capture_close(sl_capture *c)
{
    if (c == NULL)
        return;
    if (c->pcap != NULL)
        sl__pcap_close(c);
    else
        sl__packet_close(c);
    sl_seglist_free(&c->segs);
    free(c);
}
