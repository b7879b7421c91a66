/* net/loop_select.c: the select() backend, the seed's multiplexing server.
 * An fd_set holds descriptors below FD_SETSIZE only: a larger one is
 * refused at add time with a clear error and never written into a set
 * (FD_SET past the end is a buffer overflow). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "net/loop_internal.h"
#include "net/err_internal.h"

typedef struct select_loop {
    sl_loop base;
    fd_set rd, wr;                    /* what is watched */
    unsigned char watched[FD_SETSIZE]; /* 1 when fd is registered */
    void *data[FD_SETSIZE];
    int maxfd;                        /* highest registered fd, -1 none */
    int start;                        /* where the next scan begins */
} select_loop;

/* Refuse descriptors an fd_set cannot hold. */
static int check_fd(int fd, sl_err *err)
{
    if (fd < 0 || fd >= FD_SETSIZE)
        return sl__err(err, SL_EUNSUPPORTED, EMFILE,
                       "select: descriptor %d is at or above FD_SETSIZE (%d), "
                       "which select() cannot watch", fd, FD_SETSIZE);
    return 0;
}

static void set_events(select_loop *l, int fd, unsigned events, void *data)
{
    FD_CLR(fd, &l->rd);
    FD_CLR(fd, &l->wr);
    if (events & SL_EV_READ)
        FD_SET(fd, &l->rd);
    if (events & SL_EV_WRITE)
        FD_SET(fd, &l->wr);
    l->data[fd] = data;
}

static int select_add(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    select_loop *l = (select_loop *)loop;
    if (check_fd(fd, err) < 0)
        return -1;
    if (l->watched[fd])
        return sl__err(err, SL_EINPUT, EEXIST, "select: descriptor %d added twice", fd);
    l->watched[fd] = 1;
    set_events(l, fd, events, data);
    if (fd > l->maxfd)
        l->maxfd = fd;
    return 0;
}

static int select_mod(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    select_loop *l = (select_loop *)loop;
    if (check_fd(fd, err) < 0)
        return -1;
    if (!l->watched[fd])
        return sl__err(err, SL_EINPUT, ENOENT, "select: descriptor %d is not watched", fd);
    set_events(l, fd, events, data);
    return 0;
}

static int select_del(sl_loop *loop, int fd)
{
    select_loop *l = (select_loop *)loop;
    if (fd < 0 || fd >= FD_SETSIZE || !l->watched[fd])
        return 0;
    set_events(l, fd, 0, NULL);
    l->watched[fd] = 0;
    while (l->maxfd >= 0 && !l->watched[l->maxfd])
        l->maxfd--;
    return 0;
}

static int select_wait(sl_loop *loop, sl_loop_event *out, int max, int timeout_ms,
                       sl_err *err)
{
    select_loop *l = (select_loop *)loop;
    fd_set rd = l->rd, wr = l->wr;
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int n = l->maxfd + 1, got = 0, start = l->start;
    int rc = select(n, &rd, &wr, NULL, timeout_ms < 0 ? NULL : &tv);
    if (rc < 0 && errno == EINTR)
        return 0;
    if (rc < 0)
        return sl__err_sys(err, "select");
    for (int k = 0; k < n && got < max && rc > 0; k++) {
        int fd = (start + k) % n;
        unsigned ev = (FD_ISSET(fd, &rd) ? SL_EV_READ : 0u) |
                      (FD_ISSET(fd, &wr) ? SL_EV_WRITE : 0u);
        if (ev == 0)
            continue;
        rc -= (ev == (SL_EV_READ | SL_EV_WRITE)) ? 2 : 1;
        out[got].fd = fd;
        out[got].data = l->data[fd];
        out[got].events = ev;
        got++;
        l->start = fd + 1;
    }
    return got;
}

static void select_free(sl_loop *loop)
{
    free(loop);
}

static const sl_loop_ops select_ops = {
    .name = "select",
    .add = select_add,
    .mod = select_mod,
    .del = select_del,
    .wait = select_wait,
    .free = select_free,
};

sl_loop *sl__loop_select_new(int maxfds, sl_err *err)
{
    select_loop *l = calloc(1, sizeof(*l));
    (void)maxfds;   /* fixed by FD_SETSIZE */
    if (l == NULL) {
        sl__err_sys(err, "select: calloc");
        return NULL;
    }
    l->base.ops = &select_ops;
    FD_ZERO(&l->rd);
    FD_ZERO(&l->wr);
    l->maxfd = -1;
    return &l->base;
}
