/* cli/server_cli.c: the options and the run that every server command
 * (echo-server, file-server) shares, parsed and checked in one place. */
#include <stdlib.h>
#include <string.h>

#include "cli/server_cli.h"

void cli_server_init(cli_server *s, const char *service)
{
    memset(s, 0, sizeof(*s));
    s->listen.v6only = -1;
    s->log.service = service;
}

bool cli_server_option(cli_server *s, int ch, const char *arg)
{
    switch (ch) {
    case 'p': cli_port("--port", arg); s->port = arg; break;
    case 'b': s->bind = arg; break;
    case '4': s->listen.family = AF_INET; break;
    case '6': s->listen.family = AF_INET6; break;
    case 'm':
        if (sl_model_find(arg) == NULL)
            cli_usage_error("--model: '%.40s' is not a model (see --help)", arg);
        s->cfg.model = arg;
        break;
    case 'w': s->cfg.workers = (int)cli_uint("--workers", arg, 1, 1024); break;
    case CLI_SERVER_OPT_MAX:
        s->cfg.max_clients = (int)cli_uint("--max-clients", arg, 1, 10000000);
        break;
    case CLI_SERVER_OPT_IDLE:
        s->cfg.idle_timeout_ms = cli_seconds_ms("--idle-timeout", arg, 0.001, 86400);
        break;
    case CLI_SERVER_OPT_CLOSE:
        s->cfg.close_timeout_ms = cli_seconds_ms("--close-timeout", arg, 0.001, 3600);
        break;
    case CLI_SERVER_OPT_PROCS: s->cfg.worker_processes = true; break;
    case CLI_SERVER_OPT_COUNT: s->cfg.count = cli_uint("--count", arg, 1, UINT64_MAX); break;
    case CLI_SERVER_OPT_BACKLOG:
        s->listen.backlog = (int)cli_uint("--backlog", arg, 1, 65535);
        break;
    case 'q': s->log.quiet = true; break;
    default: return false;
    }
    return true;
}

void cli_server_finish(cli_server *s)
{
    if (s->bind != NULL)
        cli_endpoint("--bind", s->bind, &s->ep);
    if (s->ep.is_unix && s->port != NULL)
        cli_usage_error("--port cannot be used with a unix: address");
    if (s->port != NULL && s->ep.port[0] != '\0')
        cli_usage_error("the port is given twice (--port and --bind HOST:PORT)");
    sl_endpoint_default(&s->ep, NULL, s->port ? s->port : "9190");
}

void cli_server_help_where(FILE *out)
{
    fprintf(out,
            "  -p, --port PORT        port to listen on (default 9190, the book's)\n"
            "  -b, --bind ADDRESS     address to bind: HOST, HOST:PORT, [IPv6]:PORT or\n"
            "                         unix:PATH (default: every address, IPv6 and IPv4)\n"
            "  -4, -6                 IPv4 or IPv6 only\n"
            "  -m, --model NAME       how clients are scheduled (default %s):\n",
            sl_model_default()->name);
    for (const sl_model *const *m = sl_models(); *m != NULL; m++)
        fprintf(out, "      %-10s %s\n", (*m)->name, (*m)->summary);
}

void cli_server_help_workers(FILE *out)
{
    fprintf(out,
            "  -w, --workers N        event loops sharing the port (event models; default:\n"
            "                         one per CPU)\n"
            "      --worker-processes\n"
            "                         the workers are processes, not threads: each has its\n"
            "                         own descriptor limit, so together they hold more\n"
            "                         clients than one process may open (event models)\n");
}

int cli_server_run(sl_server *srv, sl_err *err)
{
    int rc;
    (void)cli_raise_fd_limit();   /* as many clients as the hard limit allows */
    cli_signals_server(srv);
    rc = sl_server_run(srv, err);
    cli_signals_server(NULL);
    return rc;
}
