/* net/loop.c: the event-loop front: picks a backend by name and forwards
 * each call to it. The backends are one file each (loop_epoll.c,
 * loop_poll.c, loop_select.c). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "net/loop_internal.h"
#include "net/err_internal.h"

typedef sl_loop *(*loop_ctor)(int maxfds, sl_err *err);

static const struct backend {
    const char *name;
    loop_ctor make;
} backends[] = {
#ifdef __linux__
    { "epoll", sl__loop_epoll_new },
#endif
    { "poll", sl__loop_poll_new },
    { "select", sl__loop_select_new },
};

static const char *const backend_names[] = {
#ifdef __linux__
    "epoll",
#endif
    "poll", "select", NULL,
};

sl_loop *sl_loop_new(const char *backend, int maxfds, sl_err *err)
{
    size_t n = sizeof(backends) / sizeof(backends[0]);
    if (backend == NULL)
        return backends[0].make(maxfds, err);
    for (size_t i = 0; i < n; i++)
        if (strcmp(backends[i].name, backend) == 0)
            return backends[i].make(maxfds, err);
    sl__err(err, SL_EUNSUPPORTED, ENOSYS, "event loop '%s': not built", backend);
    return NULL;
}

int sl_loop_add(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    if (fd < 0)
        return sl__err(err, SL_EINPUT, EBADF, "%s: add descriptor %d", loop->ops->name, fd);
    return loop->ops->add(loop, fd, events, data, err);
}

int sl_loop_mod(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err)
{
    return loop->ops->mod(loop, fd, events, data, err);
}

int sl_loop_del(sl_loop *loop, int fd)
{
    return loop->ops->del(loop, fd);
}

int sl_loop_wait(sl_loop *loop, sl_loop_event *out, int max, int timeout_ms,
                 sl_err *err)
{
    if (max <= 0)
        return sl__err(err, SL_EINPUT, EINVAL, "%s: wait for %d events",
                       loop->ops->name, max);
    return loop->ops->wait(loop, out, max, timeout_ms, err);
}

const char *sl_loop_backend(const sl_loop *loop)
{
    return loop->ops->name;
}

const char *const *sl_loop_backends(void)
{
    return backend_names;
}

void sl_loop_free(sl_loop *loop)
{
    if (loop != NULL)
        loop->ops->free(loop);
}
