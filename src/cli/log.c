/* cli/log.c: the server's log on stderr, one line per event. Each line is
 * written with one fprintf, so lines from threads and children never mix. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

/* Whether ev makes a line: failures, refusals and warnings always do;
 * the rest only without -q. */
static bool prints(const sl_event *ev, const cli_log *log)
{
    if (ev->kind == SL_EV_REFUSED || ev->kind == SL_EV_WARN)
        return true;
    if (ev->kind == SL_EV_CLOSE && ev->err != NULL)
        return true;
    return !log->quiet;
}

void cli_log_event(const sl_event *ev, void *arg)
{
    const cli_log *log = arg;
    char who[SL_ADDRSTRLEN] = "-";
    if (!prints(ev, log))
        return;    /* a quiet busy server formats nothing per client */
    if (ev->peer != NULL)
        sl_addr_format(ev->peer, who, sizeof(who));
    switch (ev->kind) {
    case SL_EV_OPEN:
        fprintf(stderr, "client %" PRIu64 " %s connected\n", ev->conn_id, who);
        break;
    case SL_EV_CLOSE:
        if (ev->err != NULL)
            fprintf(stderr, "client %" PRIu64 " %s failed after %" PRIu64 " bytes in, %"
                    PRIu64 " out, %.3f s: %s\n", ev->conn_id, who, ev->bytes_in,
                    ev->bytes_out, (double)ev->duration_ms / 1000.0, ev->err->msg);
        else
            fprintf(stderr, "client %" PRIu64 " %s left: %" PRIu64 " bytes in, %" PRIu64
                    " out, %.3f s\n", ev->conn_id, who, ev->bytes_in, ev->bytes_out,
                    (double)ev->duration_ms / 1000.0);
        break;
    case SL_EV_REFUSED:
    case SL_EV_WARN:
        fprintf(stderr, "%s\n", ev->msg);
        break;
    case SL_EV_INFO:
        if (ev->conn_id != 0)
            fprintf(stderr, "client %" PRIu64 " %s: %s\n", ev->conn_id, who, ev->msg);
        else
            fprintf(stderr, "%s\n", ev->msg);
        break;
    }
}
