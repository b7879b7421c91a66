/* models/iterative.c: the book's iterative server: one client at a time,
 * the next waits in the listen queue until the current one leaves. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "engine/engine.h"
#include "net/err_internal.h"

/* Wait for a listener or the stop pipe. Returns the ready listener's fd,
 * 0 when stopping, -1 on error. */
static int wait_listener(sl_server *srv, sl_err *err)
{
    struct pollfd p[SL_MAX_LISTENERS + 1];
    int n = 0;
    for (int i = 0; i < srv->nlisteners; i++)
        if (srv->listen_type[i] == SOCK_STREAM)
            p[n++] = (struct pollfd){ .fd = srv->listen_fd[i], .events = POLLIN };
    p[n] = (struct pollfd){ .fd = srv->stop_pipe[0], .events = POLLIN };
    while (!sl__server_stopping(srv)) {
        if (poll(p, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return sl__err_sys(err, "poll");
        }
        for (int i = 0; i < n; i++)
            if (p[i].revents != 0)
                return p[i].fd;
    }
    return 0;
}

static int run_iterative(sl_server *srv, sl_err *err)
{
    while (!sl__server_stopping(srv)) {
        sl_addr peer;
        int cfd, lfd = wait_listener(srv, err);
        if (lfd < 0)
            return -1;
        if (lfd == 0)
            break;
        cfd = sl__server_accept(srv, lfd, &peer, true);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EMFILE &&
                errno != ENFILE)
                sl__server_say(srv, SL_EV_WARN, NULL, "accept: %s", strerror(errno));
            continue;
        }
        sl__conn_serve_blocking(srv, cfd, &peer);
    }
    return 0;
}

const sl_model sl__model_iterative = {
    .name = "iterative",
    .summary = "one client at a time, the others wait in the listen queue (the book's first server)",
    .event_driven = false,
    .run = run_iterative,
};
