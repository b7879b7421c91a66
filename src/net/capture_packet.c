/* net/capture_packet.c: the AF_PACKET capture backend, used where libpcap
 * is not built: a raw packet socket bound to the interface, a classic BPF
 * filter for the port, kernel timestamps on each frame. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "net/capture_internal.h"
#include "net/err_internal.h"
#include "socklab/io.h"
#include "socklab/sock.h"

/* "tcp port P" for Ethernet frames (loopback has an all-zero Ethernet
 * header): IPv4 (unfragmented, any header length) or IPv6 (TCP right after
 * the fixed header), source or destination port P. Offsets are relative to
 * the next instruction. */
static int attach_filter(int fd, uint16_t port, sl_err *err)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),              /* 0 ethertype */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),   /* 1 -> 2 : 11 */
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),              /* 2 protocol */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 15),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),              /* 4 fragment */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 13, 0),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),             /* 6 X = IHL*4 */
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14),              /* 7 sport */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 9, 0),
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),              /* 9 dport */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 7, 8),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 7), /* 11 */
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),              /* 12 next header */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 5),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 54),              /* 14 sport */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 2, 0),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),              /* 16 dport */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 262144),                   /* 18 accept */
        BPF_STMT(BPF_RET | BPF_K, 0),                        /* 19 drop */
    };
    struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
        return sl__err_sys(err, "setsockopt SO_ATTACH_FILTER");
    return 0;
}

int sl__packet_open(sl_capture *c, const char *ifname, sl_err *err)
{
    struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
    int one = 1, fd;

    ll.sll_ifindex = (int)if_nametoindex(ifname);
    if (ll.sll_ifindex == 0)
        return sl__err_sys(err, "capture: interface %s", ifname);
    /* Protocol 0: the socket receives nothing until bind() names ETH_P_ALL,
     * after the filter is attached. Opened with ETH_P_ALL it would queue
     * every frame of every interface meanwhile, and a few 64 KiB loopback
     * frames fill its receive buffer, so the frames we want were dropped. */
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 && (errno == EPERM || errno == EACCES))
        return sl__err(err, SL_ESYS, EPERM, "capture on %s: permission denied (an AF_PACKET "
                       "socket needs CAP_NET_RAW, e.g. root)", ifname);
    if (fd < 0)
        return sl__err_sys(err, "socket AF_PACKET");
    if (attach_filter(fd, c->port, err) < 0)
        return sl_close(fd);
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
        sl__err_sys(err, "capture on %s", ifname);
        return sl_close(fd);
    }
    c->fd = fd;
    c->linktype = SL_LINK_ETHERNET;
    snprintf(c->backend, sizeof(c->backend), "AF_PACKET");
    return 0;
}

/* Read one frame without waiting. Returns 1, 0 when none is queued, -1. */
static int read_frame(sl_capture *c, sl_err *err)
{
    uint8_t frame[256];
    char ctl[CMSG_SPACE(sizeof(struct timespec))];
    struct sockaddr_ll from;
    struct iovec iov = { frame, sizeof(frame) };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                          .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
    long long ts = sl__capture_now_us();
    ssize_t n;

    do
        n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : sl__err_sys(err, "recv capture");
    for (struct cmsghdr *m = CMSG_FIRSTHDR(&msg); m != NULL; m = CMSG_NXTHDR(&msg, m)) {
        if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(m), sizeof(t));
            ts = (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
        }
    }
    /* On loopback every frame passes twice, going out and coming in: keep
     * one (libpcap does the same). */
    if (from.sll_pkttype != PACKET_OUTGOING)
        sl__capture_take(c, frame, (size_t)n < sizeof(frame) ? (size_t)n : sizeof(frame), ts);
    return 1;
}

int sl__packet_drain(sl_capture *c, int quiet_ms, sl_err *err)
{
    long long end = sl_now_ms() + 20LL * quiet_ms;
    for (;;) {
        int rc = read_frame(c, err);
        if (rc < 0)
            return -1;
        if (rc > 0 && sl_now_ms() < end)
            continue;
        if (sl_now_ms() >= end)
            return 0;
        rc = sl_wait_fd(c->fd, POLLIN, quiet_ms, err);
        if (rc <= 0)
            return rc;
    }
}

void sl__packet_close(sl_capture *c)
{
    sl_close(c->fd);
    c->fd = -1;
}
