/* net/capture_internal.h: what the capture backends (libpcap, AF_PACKET)
 * share with the capture object. */
#ifndef SL_CAPTURE_INTERNAL_H
#define SL_CAPTURE_INTERNAL_H

#include "socklab/capture.h"

struct sl_capture {
    sl_seglist segs;
    long long t0_us;          /* CLOCK_REALTIME at open, microseconds */
    uint16_t port;
    int fd;                   /* AF_PACKET socket, or -1 */
    void *pcap;               /* pcap_t when libpcap is used */
    int linktype;             /* SL_LINK_* */
    char backend[64];
    sl_err err;               /* a failure inside a callback */
};

/* Microseconds of CLOCK_REALTIME (what frame timestamps use). */
long long sl__capture_now_us(void);

/* Keep a frame captured at ts_us when it is a TCP segment of c->port. */
void sl__capture_take(sl_capture *c, const uint8_t *frame, size_t len, long long ts_us);

/* libpcap: open, drain, close (open fails with SL_EUNSUPPORTED when the
 * library was not built in). */
int sl__pcap_open(sl_capture *c, const char *ifname, sl_err *err);
int sl__pcap_drain(sl_capture *c, int quiet_ms, sl_err *err);
void sl__pcap_close(sl_capture *c);

/* AF_PACKET: the same, with an in-kernel filter for the port. */
int sl__packet_open(sl_capture *c, const char *ifname, sl_err *err);
int sl__packet_drain(sl_capture *c, int quiet_ms, sl_err *err);
void sl__packet_close(sl_capture *c);

#endif
