/* socklab/capture.h: watching TCP segments: a capture on a loopback
 * interface (libpcap where built, else an AF_PACKET socket), the segment
 * parser both use, a state tracker that follows RFC 793's state diagram
 * from the segments, and private network namespaces for experiments
 * (with a user-space "wire" between two of them that can hold segments). */
#ifndef SOCKLAB_CAPTURE_H
#define SOCKLAB_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"

/* TCP header flags. */
enum { SL_TH_FIN = 0x01, SL_TH_SYN = 0x02, SL_TH_RST = 0x04, SL_TH_PSH = 0x08,
       SL_TH_ACK = 0x10, SL_TH_URG = 0x20 };

/* Link types of the frames given to the parser (libpcap's DLT numbers). */
enum { SL_LINK_ETHERNET = 1, SL_LINK_RAW = 12 };

/* When a segment was seen: on a plain link, sending and arriving are one
 * moment; a wire that holds a segment records both moments apart. */
enum { SL_SEG_SEEN = 0, SL_SEG_SENT = 1, SL_SEG_ARRIVED = 2 };

/* One TCP segment as seen on the wire. */
typedef struct sl_segment {
    int event;             /* SL_SEG_* */
    long long t_us;        /* microseconds since the capture started */
    sl_addr src, dst;
    uint32_t seq, ack;     /* raw numbers */
    uint16_t win;
    uint8_t flags;         /* SL_TH_* */
    uint32_t len;          /* payload bytes */
} sl_segment;

/* Parse one frame of link type linktype (SL_LINK_ETHERNET or SL_LINK_RAW,
 * IPv4 or IPv6, no IPv6 extension headers) holding a TCP segment. Returns 1
 * and fills seg (t_us 0), 0 when the frame is not a whole TCP segment. */
int sl_segment_parse(int linktype, const uint8_t *frame, size_t len, sl_segment *seg);

/* "SYN", "SYN,ACK", "FIN,ACK", "RST" ... into buf. */
char *sl_segment_flags(uint8_t flags, char *buf, size_t len);

/* A growing list of segments. */
typedef struct sl_seglist {
    sl_segment *seg;
    size_t n, cap;
} sl_seglist;

int sl_seglist_add(sl_seglist *l, const sl_segment *seg, sl_err *err);
void sl_seglist_free(sl_seglist *l);

/* A capture of the TCP segments to or from one port on an interface. */
typedef struct sl_capture sl_capture;

/* Start capturing on ifname ("lo") the TCP segments whose source or
 * destination port is port. Needs CAP_NET_RAW: without it, fails with
 * kind SL_EUNSUPPORTED or SL_ESYS and EPERM, and a message saying so. */
sl_capture *sl_capture_open(const char *ifname, uint16_t port, sl_err *err);

/* Take in what has been captured, waiting up to quiet_ms after the last
 * frame for more (bounded by 20 x quiet_ms in all). Returns 0 or -1. */
int sl_capture_drain(sl_capture *c, int quiet_ms, sl_err *err);

/* The segments captured so far, in order. */
const sl_seglist *sl_capture_segments(const sl_capture *c);

/* "libpcap 1.10.3" or "AF_PACKET". */
const char *sl_capture_backend(const sl_capture *c);

void sl_capture_close(sl_capture *c);

/* Following both ends of one connection through the segments. The
 * connection is the first one seen (its SYN's addresses; without a SYN,
 * the first segment's). a is the side that sent the first segment. */
typedef struct sl_track {
    sl_addr a, b;
    uint32_t isn_a, isn_b;          /* for relative numbers */
    bool have_isn_a, have_isn_b;
    int state_a, state_b;           /* SL_TCP_* (SL_TCP_CLOSE at the start) */
    uint32_t fin_seq_a, fin_seq_b;  /* SEQ of each side's FIN */
    bool fin_a, fin_b;
    bool started;
} sl_track;

void sl_track_init(sl_track *t);

/* Feed one segment. Returns 1 when it was sent by a, 2 when by b, 0 when
 * it belongs to another connection (ignored). After the call, state_a and
 * state_b hold each side's state as the segments imply: a sender changes
 * state when it sends (SYN_SENT, FIN_WAIT1, LAST_ACK), a receiver when the
 * segment arrives (SL_SEG_SEEN: both at once, as on a loopback). */
int sl_track_segment(sl_track *t, const sl_segment *seg);

/* Private network namespaces (Linux, CAP_SYS_ADMIN): experiments that leave
 * nothing behind, TIME_WAIT included, and see none of the host's traffic. */

/* Move the calling thread into a new network namespace with its loopback
 * up. Returns 0, or -1 (EPERM where not permitted) with err. */
int sl_netns_private(sl_err *err);

/* The calling thread's network namespace as a descriptor (for sl_netns_enter). */
int sl_netns_current(sl_err *err);

/* Move the calling thread into the namespace held by fd. */
int sl_netns_enter(int fd, sl_err *err);

/* A wire: two fresh network namespaces, A (10.77.0.1) and B (10.77.0.2),
 * each with a TUN device whose packets a thread of ours carries across.
 * The caller can hold segments with chosen flags in the wire, then release
 * them, to make races (a simultaneous close) happen every time. Every
 * segment carried is recorded. */
typedef struct sl_wire sl_wire;

/* Segments the wire holds back instead of delivering. */
typedef enum sl_wire_hold {
    SL_WIRE_PASS = 0,        /* deliver everything */
    SL_WIRE_HOLD_FIN,        /* hold segments that carry FIN */
    SL_WIRE_HOLD_ACK,        /* hold segments without FIN, SYN or data (bare ACKs) */
} sl_wire_hold;

/* Create the namespaces and start the carrier thread. The calling thread
 * ends up back in the namespace it was in. */
sl_wire *sl_wire_new(sl_err *err);

/* Enter namespace A (side 0) or B (side 1) on the calling thread. */
int sl_wire_enter(const sl_wire *w, int side, sl_err *err);

/* The address of side 0 or 1. */
const char *sl_wire_host(int side);

/* Change what is held; segments held under the old rule that the new one
 * lets through are delivered, in order. */
void sl_wire_set_hold(sl_wire *w, sl_wire_hold hold);

/* How many segments are held now. */
size_t sl_wire_held(sl_wire *w);

/* Wait until at least n segments are held (or timeout_ms passes).
 * Returns 1 when they are, 0 on timeout. */
int sl_wire_wait_held(sl_wire *w, size_t n, int timeout_ms);

/* A copy of the segments carried so far (caller frees with sl_seglist_free). */
int sl_wire_segments(sl_wire *w, sl_seglist *out, sl_err *err);

/* Stop the carrier, close the devices and namespaces (their sockets die
 * with them), and return the caller to the namespace it was in. */
void sl_wire_free(sl_wire *w);

#endif
