/* net/netns.c: private network namespaces for experiments, and a "wire":
 * two namespaces joined by TUN devices whose packets a thread of ours
 * carries across, holding back chosen segments on request so that races
 * (a simultaneous close) happen the same way every time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "socklab/capture.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/capture_internal.h"
#include "net/err_internal.h"

#define WIRE_MAX_HELD 256
#define WIRE_PKT 2048      /* TUN MTU is 1500; no offloads without IFF_VNET_HDR */

/* Bring interface name up, with an IPv4 address/24 when addr is not NULL. */
static int iface_up(const char *name, const char *addr, sl_err *err)
{
    struct ifreq ifr;
    struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sl__err_sys(err, "socket");
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (addr != NULL) {
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &sin->sin_addr);
        if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
            goto fail;
        inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
        if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
            goto fail;
    }
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        goto fail;
    sl_close(fd);
    return 0;
fail:
    sl__err_sys(err, "configure %s", name);
    return sl_close(fd);
}

int sl_netns_private(sl_err *err)
{
    if (unshare(CLONE_NEWNET) < 0)
        return sl__err_sys(err, "unshare CLONE_NEWNET (a private network namespace "
                           "needs CAP_SYS_ADMIN)");
    return iface_up("lo", NULL, err);
}

int sl_netns_current(sl_err *err)
{
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl__err_sys(err, "open /proc/thread-self/ns/net");
    return fd;
}

int sl_netns_enter(int fd, sl_err *err)
{
    if (setns(fd, CLONE_NEWNET) < 0)
        return sl__err_sys(err, "setns CLONE_NEWNET");
    return 0;
}

typedef struct held_pkt {
    int to;                 /* side whose TUN receives it */
    sl_segment seg;
    size_t len;
    uint8_t data[WIRE_PKT];
} held_pkt;

struct sl_wire {
    int home;               /* the caller's namespace */
    int ns[2], tun[2];
    int stop[2];            /* a pipe: one byte stops the carrier */
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    sl_wire_hold hold;
    held_pkt *held[WIRE_MAX_HELD];
    size_t nheld;
    sl_seglist segs;
    long long t0_us;
};

static const char *const wire_hosts[2] = { "10.77.0.1", "10.77.0.2" };

const char *sl_wire_host(int side)
{
    return wire_hosts[side != 0];
}

/* Create side i: a fresh namespace with lo up and a TUN device "slwireI"
 * addressed wire_hosts[i]/24. The calling thread stays in it. */
static int wire_side(sl_wire *w, int i, sl_err *err)
{
    struct ifreq ifr;
    if (sl_netns_private(err) < 0 || (w->ns[i] = sl_netns_current(err)) < 0)
        return -1;
    w->tun[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (w->tun[i] < 0)
        return sl__err_sys(err, "open /dev/net/tun");
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "slwire%d", i);
    if (ioctl(w->tun[i], TUNSETIFF, &ifr) < 0)
        return sl__err_sys(err, "TUNSETIFF slwire%d", i);
    return iface_up(ifr.ifr_name, wire_hosts[i], err);
}

/* Should a segment with these flags and payload be held under rule h? */
static bool holds(sl_wire_hold h, uint8_t flags, uint32_t paylen)
{
    if (h == SL_WIRE_HOLD_FIN)
        return (flags & SL_TH_FIN) != 0;
    if (h == SL_WIRE_HOLD_ACK)
        return paylen == 0 && !(flags & (SL_TH_FIN | SL_TH_SYN | SL_TH_RST));
    return false;
}

/* Carry one packet read from side `from` (the lock is held). */
static void carry(sl_wire *w, int from, const uint8_t *pkt, size_t len)
{
    sl_segment seg;
    int is_tcp = sl_segment_parse(SL_LINK_RAW, pkt, len, &seg);
    if (len < 1 || (pkt[0] >> 4) != 4)
        return;     /* IPv6 router solicitations and the like: not ours */
    if (is_tcp) {
        seg.t_us = sl__capture_now_us() - w->t0_us;
        if (sl_seglist_add(&w->segs, &seg, NULL) < 0)
            is_tcp = 0;
    }
    if (is_tcp && holds(w->hold, seg.flags, seg.len) && w->nheld < WIRE_MAX_HELD) {
        held_pkt *h = malloc(sizeof(*h));
        if (h != NULL) {
            h->to = 1 - from;
            h->seg = seg;
            w->segs.seg[w->segs.n - 1].event = SL_SEG_SENT;
            h->len = len;
            memcpy(h->data, pkt, len);
            w->held[w->nheld++] = h;
            pthread_cond_broadcast(&w->changed);
            return;
        }
    }
    if (write(w->tun[1 - from], pkt, len) < 0) {
        /* A full TUN queue drops the packet, as a real wire would; TCP resends. */
    }
}

/* The carrier thread: move packets between the two TUN devices. */
static void *carrier(void *arg)
{
    sl_wire *w = arg;
    struct pollfd p[3] = { { w->tun[0], POLLIN, 0 }, { w->tun[1], POLLIN, 0 },
                           { w->stop[0], POLLIN, 0 } };
    uint8_t pkt[WIRE_PKT];
    for (;;) {
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[2].revents != 0)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            if (!(p[i].revents & POLLIN))
                continue;
            while ((n = read(w->tun[i], pkt, sizeof(pkt))) > 0) {
                pthread_mutex_lock(&w->mu);
                carry(w, i, pkt, (size_t)n);
                pthread_mutex_unlock(&w->mu);
            }
        }
    }
    return NULL;
}

/* Initialise the fields that sl_wire_free must be able to release. */
static sl_wire *wire_alloc(sl_err *err)
{
    sl_wire *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        sl__err_sys(err, "wire");
        return NULL;
    }
    w->home = w->ns[0] = w->ns[1] = w->tun[0] = w->tun[1] = -1;
    w->stop[0] = w->stop[1] = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->changed, NULL);
    w->t0_us = sl__capture_now_us();
    return w;
}

sl_wire *sl_wire_new(sl_err *err)
{
    sl_wire *w = wire_alloc(err);
    int rc;
    if (w == NULL)
        return NULL;
    if ((w->home = sl_netns_current(err)) < 0 || wire_side(w, 0, err) < 0 ||
        wire_side(w, 1, err) < 0 || sl_netns_enter(w->home, err) < 0)
        goto fail;
    if (pipe2(w->stop, O_CLOEXEC) < 0) {
        sl__err_sys(err, "pipe");
        goto fail;
    }
    if ((rc = pthread_create(&w->thread, NULL, carrier, w)) != 0) {
        errno = rc;
        sl__err_sys(err, "pthread_create");
        goto fail;
    }
    w->running = true;
    return w;
fail:
    sl_wire_free(w);
    return NULL;
}

int sl_wire_enter(const sl_wire *w, int side, sl_err *err)
{
    return sl_netns_enter(w->ns[side != 0], err);
}

void sl_wire_set_hold(sl_wire *w, sl_wire_hold hold)
{
    size_t keep = 0;
    pthread_mutex_lock(&w->mu);
    w->hold = hold;
    for (size_t i = 0; i < w->nheld; i++) {
        held_pkt *h = w->held[i];
        if (holds(hold, h->seg.flags, h->seg.len)) {
            w->held[keep++] = h;
            continue;
        }
        h->seg.event = SL_SEG_ARRIVED;
        h->seg.t_us = sl__capture_now_us() - w->t0_us;
        sl_seglist_add(&w->segs, &h->seg, NULL);
        if (write(w->tun[h->to], h->data, h->len) < 0) {
            /* dropped, as on a real wire */
        }
        free(h);
    }
    w->nheld = keep;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->mu);
}

size_t sl_wire_held(sl_wire *w)
{
    size_t n;
    pthread_mutex_lock(&w->mu);
    n = w->nheld;
    pthread_mutex_unlock(&w->mu);
    return n;
}

int sl_wire_wait_held(sl_wire *w, size_t n, int timeout_ms)
{
    long long end = sl_now_ms() + timeout_ms;
    int ok;
    pthread_mutex_lock(&w->mu);
    while (w->nheld < n && sl_now_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;     /* re-check the deadline every 10 ms */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->changed, &w->mu, &ts);
    }
    ok = w->nheld >= n;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

int sl_wire_segments(sl_wire *w, sl_seglist *out, sl_err *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->segs.n && rc == 0; i++)
        rc = sl_seglist_add(out, &w->segs.seg[i], err);
    pthread_mutex_unlock(&w->mu);
    if (rc < 0)
        sl_seglist_free(out);
    return rc;
}

void sl_wire_free(sl_wire *w)
{
    if (w == NULL)
        return;
    if (w->running) {
        if (write(w->stop[1], "x", 1) < 0) {
            /* the pipe is ours and empty: this cannot fail */
        }
        pthread_join(w->thread, NULL);
    }
    for (size_t i = 0; i < w->nheld; i++)
        free(w->held[i]);
    if (w->home >= 0)
        sl_netns_enter(w->home, NULL);
    for (int i = 0; i < 2; i++) {
        sl_close(w->tun[i]);
        sl_close(w->ns[i]);
        sl_close(w->stop[i]);
    }
    sl_close(w->home);
    sl_seglist_free(&w->segs);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->changed);
    free(w);
}
