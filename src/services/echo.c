/* services/echo.c: the echo service: every byte back, binary-safe. When the
 * peer half-closes, the rest is echoed and then the server half-closes. */
#include "socklab/service.h"

/* Echo as much as the output queue takes; the engine keeps the rest. */
static ssize_t echo_input(sl_conn *c, void *st, const uint8_t *data, size_t len,
                          sl_err *err)
{
    size_t room = sl_conn_room(c);
    size_t n = len < room ? len : room;
    (void)st;
    if (n > 0 && sl_conn_send(c, data, n, err) < 0)
        return -1;
    return (ssize_t)n;
}

/* The peer sent FIN: answer with ours once its bytes are all back. */
static int echo_input_end(sl_conn *c, void *st, sl_err *err)
{
    (void)st;
    (void)err;
    sl_conn_shutdown(c);
    return 0;
}

const sl_service sl_echo_service = {
    .name = "echo",
    .state_size = 0,
    .input = echo_input,
    .input_end = echo_input_end,
};
