/* net/diag.c: reading the kernel's socket table through NETLINK_SOCK_DIAG
 * (what ss uses), falling back to /proc/net where netlink is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "socklab/diag.h"
#include "socklab/sock.h"
#include "net/addr_internal.h"
#include "net/err_internal.h"

static const char *const state_names[SL_TCP_STATE_MAX] = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
    "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
    "NEW_SYN_RECV",
};

const char *sl_tcp_state_name(int state)
{
    if (state <= 0 || state >= SL_TCP_STATE_MAX)
        return "UNKNOWN";
    return state_names[state];
}

int sl_tcp_state_parse(const char *name)
{
    for (int s = 1; s < SL_TCP_STATE_MAX; s++) {
        const char *a = state_names[s], *b = name;
        for (; *a != '\0' && *b != '\0'; a++, b++) {
            char cb = *b == '-' ? '_' : *b;
            if ((cb | 0x20) != (*a | 0x20))
                break;
        }
        if (*a == '\0' && *b == '\0')
            return s;
    }
    return -1;
}

/* Turn one inet_diag_msg into an sl_sockinfo. */
static void from_diag(const struct inet_diag_msg *m, int proto, sl_sockinfo *info)
{
    memset(info, 0, sizeof(*info));
    info->proto = proto;
    info->family = m->idiag_family;
    info->state = m->idiag_state;
    sl__addr_raw(&info->local, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
    sl__addr_raw(&info->remote, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
    info->rqueue = m->idiag_rqueue;
    info->wqueue = m->idiag_wqueue;
    info->timer = m->idiag_timer;
    info->expires_ms = m->idiag_expires;
    info->retrans = m->idiag_retrans;
    info->uid = m->idiag_uid;
    info->inode = m->idiag_inode;
}

/* Send one dump request for family/proto on the netlink socket fd. */
static int diag_request(int fd, int family, int proto, sl_err *err)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = (uint8_t)family;
    msg.req.sdiag_protocol = (uint8_t)proto;
    msg.req.idiag_states = ~0u;
    if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
        return sl__err_sys(err, "sock_diag request");
    return 0;
}

/* Read the dump answer, calling visit for each socket. Returns 0 at
 * NLMSG_DONE, the visitor's non-zero value, or -1. */
static int diag_read(int fd, int proto, sl_sock_visit visit, void *arg, sl_err *err)
{
    static __thread long buf[8192];   /* 64 KiB, aligned for nlmsghdr */
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        struct nlmsghdr *h;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? sl__err_sys(err, "sock_diag recv")
                         : sl__err(err, SL_ESYS, EIO, "sock_diag: no answer");
        for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
            sl_sockinfo info;
            int rc;
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                errno = -e->error;
                return sl__err_sys(err, "sock_diag");
            }
            from_diag(NLMSG_DATA(h), proto, &info);
            if ((rc = visit(&info, arg)) != 0)
                return rc;
        }
    }
}

/* The whole table of one family and protocol through netlink. */
static int scan_netlink(int proto, int family, sl_sock_visit visit, void *arg,
                        sl_err *err)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    int rc;
    if (fd < 0)
        return sl__err_sys(err, "socket NETLINK_SOCK_DIAG");
    rc = diag_request(fd, family, proto, err);
    if (rc == 0)
        rc = diag_read(fd, proto, visit, arg, err);
    sl_close(fd);
    return rc;
}

/* Parse one hex address from /proc/net/{tcp,udp}{,6}: the kernel prints
 * the address's 32-bit words as native integers. */
static int proc_addr(const char *hex, int family, sl_addr *a)
{
    uint32_t w[4];
    unsigned port;
    int words = family == AF_INET ? 1 : 4;
    for (int i = 0; i < words; i++)
        if (sscanf(hex + 8 * i, "%8x", &w[i]) != 1)
            return -1;
    if (sscanf(hex + 8 * words, ":%x", &port) != 1)
        return -1;
    sl__addr_raw(a, family, w, htons((uint16_t)port));
    return 0;
}

/* Parse one line of /proc/net/tcp (or udp); 0 when it is a socket row. */
static int proc_line(const char *line, int family, int proto, sl_sockinfo *info)
{
    char local[64], remote[64];
    unsigned st, tx, rx, tr, retr;
    unsigned long when, inode;
    unsigned uid;
    long hz = sysconf(_SC_CLK_TCK);

    if (sscanf(line, " %*u: %63s %63s %x %x:%x %x:%lx %x %u %*u %lu", local, remote,
               &st, &tx, &rx, &tr, &when, &retr, &uid, &inode) != 10)
        return -1;
    memset(info, 0, sizeof(*info));
    if (proc_addr(local, family, &info->local) < 0 ||
        proc_addr(remote, family, &info->remote) < 0)
        return -1;
    info->proto = proto;
    info->family = family;
    info->state = (int)st;
    info->wqueue = tx;
    info->rqueue = rx;
    info->timer = (int)tr;
    info->expires_ms = (uint32_t)(when * 1000 / (unsigned long)(hz > 0 ? hz : 100));
    info->retrans = retr;
    info->uid = uid;
    info->inode = inode;
    return 0;
}

/* The whole table of one family and protocol from /proc/net. */
static int scan_proc(int proto, int family, sl_sock_visit visit, void *arg, sl_err *err)
{
    char path[64], line[512];
    sl_sockinfo info;
    FILE *f;
    int rc = 0;

    snprintf(path, sizeof(path), "/proc/net/%s%s", proto == IPPROTO_UDP ? "udp" : "tcp",
             family == AF_INET6 ? "6" : "");
    f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : sl__err_sys(err, "open %s", path);
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL)
        if (proc_line(line, family, proto, &info) == 0)
            rc = visit(&info, arg);
    fclose(f);
    return rc;
}

const char *sl_diag_source_name(sl_diag_source source)
{
    return source == SL_DIAG_PROC ? "/proc" : "netlink";
}

int sl_socktable_scan_from(sl_diag_source from, int proto, int family,
                           sl_sock_visit visit, void *arg, sl_err *err)
{
    static const int families[] = { AF_INET, AF_INET6 };
    int rc = 0;

    for (size_t i = 0; i < 2 && rc == 0; i++) {
        if (family != AF_UNSPEC && family != families[i])
            continue;
        if (from == SL_DIAG_PROC) {
            rc = scan_proc(proto, families[i], visit, arg, err);
            continue;
        }
        rc = scan_netlink(proto, families[i], visit, arg, err);
        /* A kernel without IPv6 answers the AF_INET6 dump with an error. */
        if (rc == -1 && families[i] == AF_INET6 && errno != EPERM && errno != EACCES)
            rc = 0;
    }
    return rc;
}

int sl_socktable_scan(int proto, int family, sl_sock_visit visit, void *arg,
                      sl_diag_source *source, sl_err *err)
{
    int first = family == AF_INET6 ? AF_INET6 : AF_INET;
    int rc;

    /* Probe netlink on the first family alone: a refusal there (seccomp,
     * a container without NETLINK_SOCK_DIAG) means /proc for everything,
     * and nothing has been visited twice. */
    rc = sl_socktable_scan_from(SL_DIAG_NETLINK, proto, first, visit, arg, NULL);
    if (rc == -1) {
        if (source != NULL)
            *source = SL_DIAG_PROC;
        return sl_socktable_scan_from(SL_DIAG_PROC, proto, family, visit, arg, err);
    }
    if (source != NULL)
        *source = SL_DIAG_NETLINK;
    if (rc == 0 && family == AF_UNSPEC)
        rc = sl_socktable_scan_from(SL_DIAG_NETLINK, proto, AF_INET6, visit, arg, err);
    return rc;
}
