/* net/loop_epoll.c: the epoll backend (Linux). Level-triggered; the data
 * of each descriptor lives in a table indexed by fd, since epoll gives
 * back one word per event and the caller wants both fd and data. A silent
 * descriptor (events 0) is taken out of the epoll set, because epoll would
 * still report hang-ups on it; asking again puts it back. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/loop_internal.h"
#include "net/err_internal.h"

#define EPOLL_BATCH 512   /* events taken per epoll_wait at most */

typedef struct epoll_loop {
    sl_loop base;
    int epfd;
    void **data;          /* by fd */
    size_t ndata;
    struct epoll_event ev[EPOLL_BATCH];
} epoll_loop;

/* Make the data table hold index fd. */
static int table_fit(epoll_loop *l, int fd, sl_err *err)
{
    size_t want = l->ndata ? l->ndata : 64;
    void **p;
    if ((size_t)fd < l->ndata)
        return 0;
    while (want <= (size_t)fd)
        want *= 2;
    p = realloc(l->data, want * sizeof(*p));
    if (p == NULL)
        return sl__err_sys(err, "epoll: table of %zu descriptors", want);
    memset(p + l->ndata, 0, (want - l->ndata) * sizeof(*p));
    l->data = p;
    l->ndata = want;
    return 0;
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & SL_EV_READ)
        e |= EPOLLIN;
    if (events & SL_EV_WRITE)
        e |= EPOLLOUT;
    if (events & SL_EV_EXCLUSIVE)
        e |= EPOLLEXCLUSIVE;
    return e;
}

/* One epoll_ctl call for fd (its data is in the table). */
static int ctl(epoll_loop *l, int op, int fd, unsigned events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = to_epoll(events);
    ev.data.fd = fd;
    return epoll_ctl(l->epfd, op, fd, &ev);
}

static int epoll_add(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    epoll_loop *l = (epoll_loop *)loop;
    if (table_fit(l, fd, err) < 0)
        return -1;
    l->data[fd] = data;
    if (events == 0)
        return 0;   /* registered but silent: outside the epoll set */
    if (ctl(l, EPOLL_CTL_ADD, fd, events) < 0)
        return sl__err_sys(err, "epoll_ctl add %d", fd);
    return 0;
}

/* EPOLLEXCLUSIVE cannot be modified in place, and a silent fd is out of
 * the set: both take a delete and an add; anything else one MOD. */
static int epoll_mod(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    epoll_loop *l = (epoll_loop *)loop;
    if (table_fit(l, fd, err) < 0)
        return -1;
    l->data[fd] = data;
    if (events == 0 || (events & SL_EV_EXCLUSIVE)) {
        if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT)
            return sl__err_sys(err, "epoll_ctl del %d", fd);
        if (events == 0)
            return 0;
    } else if (ctl(l, EPOLL_CTL_MOD, fd, events) == 0) {
        return 0;
    } else if (errno != ENOENT) {
        return sl__err_sys(err, "epoll_ctl mod %d", fd);
    }
    if (ctl(l, EPOLL_CTL_ADD, fd, events) < 0)
        return sl__err_sys(err, "epoll_ctl add %d", fd);
    return 0;
}

static int epoll_del(sl_loop *loop, int fd)
{
    epoll_loop *l = (epoll_loop *)loop;
    if (fd >= 0 && (size_t)fd < l->ndata)
        l->data[fd] = NULL;
    if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

static int epoll_wait_events(sl_loop *loop, sl_loop_event *out, int max,
                             int timeout_ms, sl_err *err)
{
    epoll_loop *l = (epoll_loop *)loop;
    int n = epoll_wait(l->epfd, l->ev, max < EPOLL_BATCH ? max : EPOLL_BATCH, timeout_ms);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0)
        return sl__err_sys(err, "epoll_wait");
    for (int i = 0; i < n; i++) {
        uint32_t e = l->ev[i].events;
        int fd = l->ev[i].data.fd;
        out[i].fd = fd;
        out[i].data = (size_t)fd < l->ndata ? l->data[fd] : NULL;
        out[i].events = ((e & EPOLLIN) ? SL_EV_READ : 0u) |
                        ((e & EPOLLOUT) ? SL_EV_WRITE : 0u) |
                        ((e & (EPOLLERR | EPOLLHUP)) ? SL_EV_ERROR : 0u);
    }
    return n;
}

static void epoll_free(sl_loop *loop)
{
    epoll_loop *l = (epoll_loop *)loop;
    close(l->epfd);
    free(l->data);
    free(l);
}

static const sl_loop_ops epoll_ops = {
    .name = "epoll",
    .add = epoll_add,
    .mod = epoll_mod,
    .del = epoll_del,
    .wait = epoll_wait_events,
    .free = epoll_free,
};

sl_loop *sl__loop_epoll_new(int maxfds, sl_err *err)
{
    epoll_loop *l = calloc(1, sizeof(*l));
    (void)maxfds;   /* the table grows with the highest descriptor seen */
    if (l == NULL) {
        sl__err_sys(err, "epoll: calloc");
        return NULL;
    }
    l->base.ops = &epoll_ops;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        sl__err_sys(err, "epoll_create1");
        free(l);
        return NULL;
    }
    return &l->base;
}
