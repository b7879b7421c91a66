/* models/select.c: the select model: the event driver on select() readiness loops
 * (engine/event_serve.c, engine/conn_event.c); --workers loops share the
 * listener. */
#include "engine/engine.h"

static int run_select(sl_server *srv, sl_err *err)
{
    return sl__event_serve(srv, "select", err);
}

const sl_model sl__model_select = {
    .name = "select",
    .summary = "select() event loops (the book's multiplexing server); fds >= FD_SETSIZE refused",
    .event_driven = true,
    .run = run_select,
};
