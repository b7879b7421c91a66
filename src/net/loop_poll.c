/* net/loop_poll.c: the poll() backend. The descriptors sit in one dense
 * pollfd array (removal moves the last one into the hole) with an index
 * by fd; a silent descriptor keeps its slot with a negative fd, which
 * poll() skips. Ready descriptors are reported from a rotating start so
 * a full batch never starves the ones at the end. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "net/loop_internal.h"
#include "net/err_internal.h"

typedef struct poll_loop {
    sl_loop base;
    struct pollfd *pfd;   /* dense, n used of cap */
    int *fds;             /* the real fd of each slot */
    void **data;          /* the data of each slot */
    size_t n, cap;
    int *slot;            /* by fd: slot + 1, 0 when not watched */
    size_t nslot;
    size_t start;         /* where the next scan begins */
} poll_loop;

static short to_poll(unsigned events)
{
    return (short)(((events & SL_EV_READ) ? POLLIN : 0) |
                   ((events & SL_EV_WRITE) ? POLLOUT : 0));
}

/* Grow the arrays so one more slot and index fd fit. */
static int poll_fit(poll_loop *l, int fd, sl_err *err)
{
    if (l->n == l->cap) {
        size_t want = l->cap ? l->cap * 2 : 64;
        struct pollfd *p = realloc(l->pfd, want * sizeof(*p));
        int *f = p ? realloc(l->fds, want * sizeof(*f)) : NULL;
        void **d = f ? realloc(l->data, want * sizeof(*d)) : NULL;
        if (p) l->pfd = p;
        if (f) l->fds = f;
        if (d == NULL)
            return sl__err_sys(err, "poll: %zu descriptors", want);
        l->data = d;
        l->cap = want;
    }
    if ((size_t)fd >= l->nslot) {
        size_t want = l->nslot ? l->nslot : 64;
        int *s;
        while (want <= (size_t)fd)
            want *= 2;
        s = realloc(l->slot, want * sizeof(*s));
        if (s == NULL)
            return sl__err_sys(err, "poll: index of %zu descriptors", want);
        memset(s + l->nslot, 0, (want - l->nslot) * sizeof(*s));
        l->slot = s;
        l->nslot = want;
    }
    return 0;
}

/* Set slot i to watch fd for events (a negative pollfd fd when silent). */
static void slot_set(poll_loop *l, size_t i, int fd, unsigned events, void *data)
{
    l->pfd[i].fd = events ? fd : -1;
    l->pfd[i].events = to_poll(events);
    l->pfd[i].revents = 0;
    l->fds[i] = fd;
    l->data[i] = data;
}

static int poll_add(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    poll_loop *l = (poll_loop *)loop;
    if (poll_fit(l, fd, err) < 0)
        return -1;
    if (l->slot[fd] != 0)
        return sl__err(err, SL_EINPUT, EEXIST, "poll: descriptor %d added twice", fd);
    slot_set(l, l->n, fd, events, data);
    l->slot[fd] = (int)++l->n;
    return 0;
}

static int poll_mod(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    poll_loop *l = (poll_loop *)loop;
    if (fd < 0 || (size_t)fd >= l->nslot || l->slot[fd] == 0)
        return sl__err(err, SL_EINPUT, ENOENT, "poll: descriptor %d is not watched", fd);
    slot_set(l, (size_t)l->slot[fd] - 1, fd, events, data);
    return 0;
}

static int poll_del(sl_loop *loop, int fd)
{
    poll_loop *l = (poll_loop *)loop;
    size_t i, last;
    if (fd < 0 || (size_t)fd >= l->nslot || l->slot[fd] == 0)
        return 0;
    i = (size_t)l->slot[fd] - 1;
    last = --l->n;
    if (i != last) {
        l->pfd[i] = l->pfd[last];
        l->fds[i] = l->fds[last];
        l->data[i] = l->data[last];
        l->slot[l->fds[i]] = (int)i + 1;
    }
    l->slot[fd] = 0;
    return 0;
}

static int poll_wait(sl_loop *loop, sl_loop_event *out, int max, int timeout_ms,
                     sl_err *err)
{
    poll_loop *l = (poll_loop *)loop;
    int rc = poll(l->pfd, (nfds_t)l->n, timeout_ms), got = 0;
    size_t start = l->start;
    if (rc < 0 && errno == EINTR)
        return 0;
    if (rc < 0)
        return sl__err_sys(err, "poll");
    for (size_t k = 0; k < l->n && got < max && rc > 0; k++) {
        size_t i = (start + k) % l->n;
        short r = l->pfd[i].revents;
        if (r == 0 || l->pfd[i].fd < 0)
            continue;
        rc--;
        out[got].fd = l->fds[i];
        out[got].data = l->data[i];
        out[got].events = ((r & POLLIN) ? SL_EV_READ : 0u) |
                          ((r & POLLOUT) ? SL_EV_WRITE : 0u) |
                          ((r & (POLLERR | POLLHUP | POLLNVAL)) ? SL_EV_ERROR : 0u);
        got++;
        l->start = i + 1;
    }
    return got;
}

static void poll_free(sl_loop *loop)
{
    poll_loop *l = (poll_loop *)loop;
    free(l->pfd);
    free(l->fds);
    free(l->data);
    free(l->slot);
    free(l);
}

static const sl_loop_ops poll_ops = {
    .name = "poll",
    .add = poll_add,
    .mod = poll_mod,
    .del = poll_del,
    .wait = poll_wait,
    .free = poll_free,
};

sl_loop *sl__loop_poll_new(int maxfds, sl_err *err)
{
    poll_loop *l = calloc(1, sizeof(*l));
    (void)maxfds;   /* the arrays grow as descriptors are added */
    if (l == NULL) {
        sl__err_sys(err, "poll: calloc");
        return NULL;
    }
    l->base.ops = &poll_ops;
    return &l->base;
}
