/* engine/dgram.c: serving datagram sockets: not built yet (issue 4). No
 * command adds a datagram listener until it is. */
#include <errno.h>
#include "engine/engine.h"
#include "net/err_internal.h"

int sl__dgram_serve_ready(sl_server *srv, int fd, sl_err *err)
{
    (void)srv;
    (void)fd;
    return sl__err(err, SL_EUNSUPPORTED, ENOSYS, "UDP serving is not built yet");
}

void sl__dgram_serve_loop(sl_server *srv, int fd)
{
    (void)fd;
    sl__server_say(srv, SL_EV_WARN, NULL, "UDP serving is not built yet");
}
