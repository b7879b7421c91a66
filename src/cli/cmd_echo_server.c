/* cli/cmd_echo_server.c: `socklab echo-server`: the echo service on a TCP
 * port (or a unix socket) under a chosen model. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct server_opts {
    sl_endpoint ep;
    sl_listen_opts listen;
    sl_server_config cfg;
    cli_log log;
} server_opts;

/* Print the usage, with one line per model from the library's table. */
static noreturn void help(void)
{
    const sl_model *const *m = sl_models();
    printf("usage: socklab echo-server [OPTIONS]\n\n"
           "Echo every byte back to each client. Prints 'listening on tcp ADDRESS:PORT'\n"
           "on stderr once it listens (with -p 0 the kernel picks the port).\n\n"
           "Options:\n"
           "  -p, --port PORT        port to listen on (default 9190, the book's)\n"
           "  -b, --bind ADDRESS     address to bind: HOST, HOST:PORT, [IPv6]:PORT or\n"
           "                         unix:PATH (default: every address, IPv6 and IPv4)\n"
           "  -4, -6                 IPv4 or IPv6 only\n"
           "  -m, --model NAME       how clients are scheduled (default %s):\n",
           sl_model_default()->name);
    for (; *m != NULL; m++)
        printf("      %-10s %s\n", (*m)->name, (*m)->summary);
    printf("  -w, --workers N        event loops sharing the port (event models)\n"
           "      --max-clients N    at most N clients at once (others wait or are refused)\n"
           "      --idle-timeout S   close a client idle for S seconds\n"
           "      --close-timeout S  bound on a graceful close (default 2)\n"
           "      --count N          exit after serving N clients (the book's served 5)\n"
           "      --backlog N        listen() backlog (default SOMAXCONN)\n"
           "      --no-reuseaddr     leave SO_REUSEADDR off, as reuseadr_eserver.c does:\n"
           "                         a restart then fails while TIME_WAIT holds the port\n"
           "  -q, --quiet            no per-client log lines\n"
           "  -h, --help             this help\n");
    exit(CLI_OK);
}

enum { OPT_MAX = 256, OPT_IDLE, OPT_CLOSE, OPT_COUNT, OPT_BACKLOG, OPT_NOREUSE };

static const struct option long_opts[] = {
    { "port", required_argument, NULL, 'p' },
    { "bind", required_argument, NULL, 'b' },
    { "model", required_argument, NULL, 'm' },
    { "workers", required_argument, NULL, 'w' },
    { "max-clients", required_argument, NULL, OPT_MAX },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "close-timeout", required_argument, NULL, OPT_CLOSE },
    { "count", required_argument, NULL, OPT_COUNT },
    { "backlog", required_argument, NULL, OPT_BACKLOG },
    { "no-reuseaddr", no_argument, NULL, OPT_NOREUSE },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Apply one parsed option to o. */
static void apply(server_opts *o, int ch, const char **port, const char **bind)
{
    switch (ch) {
    case 'p': cli_port("--port", optarg); *port = optarg; break;
    case 'b': *bind = optarg; break;
    case '4': o->listen.family = AF_INET; break;
    case '6': o->listen.family = AF_INET6; break;
    case 'm':
        if (sl_model_find(optarg) == NULL)
            cli_usage_error("--model: '%.40s' is not a model (see --help)", optarg);
        o->cfg.model = optarg;
        break;
    case 'w': o->cfg.workers = (int)cli_uint("--workers", optarg, 1, 1024); break;
    case OPT_MAX: o->cfg.max_clients = (int)cli_uint("--max-clients", optarg, 1, 10000000); break;
    case OPT_IDLE: o->cfg.idle_timeout_ms = cli_seconds_ms("--idle-timeout", optarg, 0.001, 86400); break;
    case OPT_CLOSE: o->cfg.close_timeout_ms = cli_seconds_ms("--close-timeout", optarg, 0.001, 3600); break;
    case OPT_COUNT: o->cfg.count = cli_uint("--count", optarg, 1, UINT64_MAX); break;
    case OPT_BACKLOG: o->listen.backlog = (int)cli_uint("--backlog", optarg, 1, 65535); break;
    case OPT_NOREUSE: o->listen.no_reuseaddr = true; break;
    case 'q': o->log.quiet = true; break;
    case 'h': help();
    default: cli_usage_error("unknown option");
    }
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, server_opts *o)
{
    const char *port = NULL, *bind = NULL;
    int ch;
    memset(o, 0, sizeof(*o));
    o->listen.v6only = -1;
    o->log.service = "echo";
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":p:b:46m:w:qh", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        apply(o, ch, &port, &bind);
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    if (bind != NULL)
        cli_endpoint("--bind", bind, &o->ep);
    if (o->ep.unix && port != NULL)
        cli_usage_error("--port cannot be used with a unix: address");
    if (port != NULL && o->ep.port[0] != '\0')
        cli_usage_error("the port is given twice (--port and --bind HOST:PORT)");
    sl_endpoint_default(&o->ep, NULL, port ? port : "9190");
}

int cmd_echo_server(int argc, char **argv)
{
    server_opts o;
    sl_server *srv;
    sl_addr bound;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    int fd, rc;

    parse(argc, argv, &o);
    cli_signals_server(NULL);
    o.cfg.service = &sl_echo_service;
    o.cfg.on_event = cli_log_event;
    o.cfg.event_arg = &o.log;
    srv = sl_server_new(&o.cfg, &err);
    if (srv == NULL)
        return cli_fail(&err);
    fd = sl_listen(&o.ep, &o.listen, &bound, &err);
    if (fd < 0 || sl_server_add_listener(srv, fd, SOCK_STREAM, &err) < 0) {
        sl_server_free(srv);
        sl_close(fd);
        return cli_fail(&err);
    }
    sl_addr_format(&bound, where, sizeof(where));
    fprintf(stderr, "listening on %s%s (echo, model %s%s)\n", o.ep.unix ? "" : "tcp ",
            where, o.cfg.model ? o.cfg.model : sl_model_default()->name,
            o.listen.no_reuseaddr ? ", SO_REUSEADDR off" : "");
    cli_signals_server(srv);
    rc = sl_server_run(srv, &err);
    cli_signals_server(NULL);
    sl_close(fd);
    if (o.ep.unix)
        sl_unlink_unix(&bound);
    sl_server_free(srv);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
