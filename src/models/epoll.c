/* models/epoll.c: the epoll model: the event driver on epoll() readiness loops
 * (engine/event_serve.c, engine/conn_event.c); --workers loops share the
 * listener. */
#include "engine/engine.h"
#ifdef __linux__

static int run_epoll(sl_server *srv, sl_err *err)
{
    return sl__event_serve(srv, "epoll", err);
}

const sl_model sl__model_epoll = {
    .name = "epoll",
    .summary = "nonblocking event loops with epoll (Linux), one per CPU by default (--workers)",
    .event_driven = true,
    .run = run_epoll,
};
#endif
