/* engine/blocking.c: pieces shared by the blocking models (iterative, fork,
 * threads): waiting for a listener together with the stop pipe, and the
 * threads that serve datagram listeners beside them. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "engine/engine.h"
#include "net/err_internal.h"

int sl__wait_listener(sl_server *srv, bool accepting, int extra, int timeout_ms,
                      sl_err *err)
{
    struct pollfd p[SL_MAX_LISTENERS + 2];
    nfds_t n = 0;
    for (int i = 0; accepting && i < srv->nlisteners; i++)
        if (srv->listen_type[i] == SOCK_STREAM)
            p[n++] = (struct pollfd){ .fd = srv->listen_fd[i], .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = srv->stop_pipe[0], .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = extra, .events = POLLIN };   /* -1 is skipped */
    if (sl__server_stopping(srv))
        return SL__WAIT_NONE;
    if (poll(p, n, timeout_ms) < 0) {
        if (errno == EINTR)
            return SL__WAIT_NONE;   /* the caller looks at the stop flag again */
        return sl__err_sys(err, "poll");
    }
    if (p[n - 1].revents != 0)
        return SL__WAIT_EXTRA;
    for (nfds_t i = 0; i + 2 < n; i++)
        if (p[i].revents != 0)
            return p[i].fd;
    return SL__WAIT_NONE;
}

static void *dgram_main(void *arg)
{
    const struct sl__dgram_arg *a = arg;
    sl__dgram_serve_loop(a->srv, a->fd);
    return NULL;
}

int sl__dgram_threads_start(sl_server *srv, sl__dgram_threads *t, sl_err *err)
{
    t->n = 0;
    for (int i = 0; i < srv->nlisteners; i++) {
        struct sl__dgram_arg *a = &t->arg[t->n];
        int rc;
        if (srv->listen_type[i] != SOCK_DGRAM)
            continue;
        a->srv = srv;
        a->fd = srv->listen_fd[i];
        rc = pthread_create(&t->tid[t->n], NULL, dgram_main, a);
        if (rc != 0) {
            errno = rc;
            sl__err_sys(err, "pthread_create (datagram listener)");
            sl_server_stop(srv);   /* the threads already started end on it */
            sl__dgram_threads_join(t);
            return -1;
        }
        t->n++;
    }
    return 0;
}

void sl__dgram_threads_join(sl__dgram_threads *t)
{
    for (int i = 0; i < t->n; i++)
        pthread_join(t->tid[i], NULL);
    t->n = 0;
}
