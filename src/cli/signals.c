/* cli/signals.c: the command's signal handlers. They only call the
 * async-signal-safe sl_server_stop (a flag and one byte to a pipe). */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"

static sl_server *volatile stop_target;

static void on_stop_signal(int sig)
{
    (void)sig;
    if (stop_target != NULL)
        sl_server_stop(stop_target);
}

void cli_signals_server(sl_server *srv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    stop_target = srv;
    sa.sa_handler = srv != NULL ? on_stop_signal : SIG_DFL;
    sa.sa_flags = 0;    /* no SA_RESTART: blocked reads return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
