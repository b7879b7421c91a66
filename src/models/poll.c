/* models/poll.c: the poll model: the event driver on poll() readiness loops
 * (engine/event_serve.c, engine/conn_event.c); --workers loops share the
 * listener. */
#include "engine/engine.h"

static int run_poll(sl_server *srv, sl_err *err)
{
    return sl__event_serve(srv, "poll", err);
}

const sl_model sl__model_poll = {
    .name = "poll",
    .summary = "nonblocking event loops with poll(), no FD_SETSIZE limit",
    .event_driven = true,
    .run = run_poll,
};
