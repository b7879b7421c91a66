/* models/iterative.c: the book's iterative server: one client at a time,
 * the next waits in the listen queue until the current one leaves. */
#include <errno.h>
#include <string.h>

#include "engine/engine.h"
#include "net/err_internal.h"

/* Accept one client from lfd and serve it to its end. When accept cannot
 * go on (out of descriptors, even the reserve), wait a little instead of
 * spinning on a readable listener. */
static void serve_next(sl_server *srv, int lfd)
{
    sl_addr peer;
    int cfd = sl__server_accept(srv, lfd, &peer, true);
    if (cfd >= 0) {
        sl__conn_serve_blocking(srv, cfd, &peer);
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
        return;
    if (errno != EMFILE && errno != ENFILE)
        sl__server_say(srv, SL_EV_WARN, NULL, "accept: %s", strerror(errno));
    sl__wait_listener(srv, false, -1, SL_ACCEPT_PAUSE_MS, NULL);
}

static int run_iterative(sl_server *srv, sl_err *err)
{
    sl__dgram_threads dg;
    int rc = 0;
    if (sl__dgram_threads_start(srv, &dg, err) < 0)
        return -1;
    while (!sl__server_stopping(srv)) {
        int lfd = sl__wait_listener(srv, true, -1, -1, err);
        if (lfd == -1) {
            rc = -1;
            sl_server_stop(srv);
        } else if (lfd >= 0) {
            serve_next(srv, lfd);
        }
    }
    sl__dgram_threads_join(&dg);
    return rc;
}

const sl_model sl__model_iterative = {
    .name = "iterative",
    .summary = "one client at a time, the others wait in the listen queue (the book's first server)",
    .event_driven = false,
    .run = run_iterative,
};
