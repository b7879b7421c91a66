/* net/capture_pcap.c: the libpcap capture backend (built with SL_HAVE_PCAP;
 * without it, opening says "not built"). The frames come from libpcap; the
 * TCP parse is ours (net/capture.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "net/capture_internal.h"
#include "net/err_internal.h"
#include "socklab/io.h"

#ifdef SL_HAVE_PCAP
#include <pcap/pcap.h>

/* pcap_dispatch callback: hand the frame to the capture. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    sl_capture *c = (sl_capture *)(void *)user;
    long long ts = (long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
    sl__capture_take(c, bytes, h->caplen, ts);
}

/* Filter the port in the kernel, so a busy loopback cannot crowd out ours. */
static int set_filter(pcap_t *p, uint16_t port, sl_err *err)
{
    struct bpf_program prog;
    char expr[64];
    snprintf(expr, sizeof(expr), "tcp port %u", (unsigned)port);
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return sl__err(err, SL_ESYS, EINVAL, "pcap filter '%s': %s", expr, pcap_geterr(p));
    if (pcap_setfilter(p, &prog) < 0) {
        sl__err(err, SL_ESYS, EINVAL, "pcap_setfilter: %s", pcap_geterr(p));
        pcap_freecode(&prog);
        return -1;
    }
    pcap_freecode(&prog);
    return 0;
}

/* Activate p; a refusal for lack of privilege is EPERM. */
static int activate(pcap_t *p, const char *ifname, sl_err *err)
{
    int rc;
    pcap_set_snaplen(p, 256);            /* headers only: 14 + 40 + 60 */
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, 4 << 20);
    rc = pcap_activate(p);
    if (rc == PCAP_ERROR_PERM_DENIED)
        return sl__err(err, SL_ESYS, EPERM, "capture on %s: permission denied (capturing "
                       "needs CAP_NET_RAW, e.g. root)", ifname);
    if (rc < 0)
        return sl__err(err, SL_ESYS, EIO, "pcap_activate %s: %s", ifname, pcap_geterr(p));
    return 0;
}

/* pcap_dispatch callback that keeps nothing. */
static void discard(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)user;
    (void)h;
    (void)bytes;
}

/* libpcap activates the capture before the filter can be set: what came in
 * between is every frame on the interface. Drop it (bounded), so a ring
 * full of strangers' frames cannot make us miss the connection to come. */
static void flush_unfiltered(pcap_t *p)
{
    for (int i = 0; i < 1000; i++)
        if (pcap_dispatch(p, -1, discard, NULL) <= 0)
            break;
}

int sl__pcap_open(sl_capture *c, const char *ifname, sl_err *err)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_create(ifname, eb);
    int dlt;
    if (p == NULL)
        return sl__err(err, SL_ESYS, EIO, "pcap_create %s: %s", ifname, eb);
    if (activate(p, ifname, err) < 0 || set_filter(p, c->port, err) < 0)
        goto fail;
    dlt = pcap_datalink(p);
    if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
        sl__err(err, SL_ESYS, EINVAL, "capture on %s: link type %d not handled", ifname, dlt);
        goto fail;
    }
    if (pcap_setnonblock(p, 1, eb) < 0) {
        sl__err(err, SL_ESYS, EIO, "pcap_setnonblock: %s", eb);
        goto fail;
    }
    flush_unfiltered(p);
    c->linktype = dlt == DLT_EN10MB ? SL_LINK_ETHERNET : SL_LINK_RAW;
    c->pcap = p;
    snprintf(c->backend, sizeof(c->backend), "%.50s", pcap_lib_version());
    return 0;
fail:
    pcap_close(p);
    return -1;
}

int sl__pcap_drain(sl_capture *c, int quiet_ms, sl_err *err)
{
    pcap_t *p = c->pcap;
    struct pollfd pfd = { .fd = pcap_get_selectable_fd(p), .events = POLLIN };
    long long end = sl_now_ms() + 20LL * quiet_ms;
    for (;;) {
        int n = pcap_dispatch(p, -1, on_frame, (u_char *)(void *)c);
        if (n < 0)
            return sl__err(err, SL_ESYS, EIO, "pcap_dispatch: %s", pcap_geterr(p));
        if (n > 0 && sl_now_ms() < end)
            continue;
        if (sl_now_ms() >= end || pfd.fd < 0)
            return 0;
        n = poll(&pfd, 1, quiet_ms);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return sl__err_sys(err, "poll capture");
    }
}

void sl__pcap_close(sl_capture *c)
{
    pcap_close(c->pcap);
    c->pcap = NULL;
}

#else

int sl__pcap_open(sl_capture *c, const char *ifname, sl_err *err)
{
    (void)c;
    (void)ifname;
    return sl__err(err, SL_EUNSUPPORTED, ENOSYS, "libpcap: not built (libpcap-dev "
                   "was missing at build time)");
}

int sl__pcap_drain(sl_capture *c, int quiet_ms, sl_err *err)
{
    (void)c;
    (void)quiet_ms;
    return sl__err(err, SL_EUNSUPPORTED, ENOSYS, "libpcap: not built");
}

void sl__pcap_close(sl_capture *c)
{
    (void)c;
}

#endif
