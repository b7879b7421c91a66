/* cli/cmd_echo_server.c: `socklab echo-server`: the echo service on a TCP
 * port and the UDP port of the same number (the seed's point: the two
 * protocols' ports are separate, so both can be 9190), or on a unix
 * socket, under a chosen model. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "socklab/dgram.h"

typedef struct server_opts {
    sl_endpoint ep;
    sl_listen_opts listen;
    sl_server_config cfg;
    cli_log log;
    bool tcp, udp;              /* serve these (both unless --tcp or --udp) */
    bool only_tcp, only_udp;    /* --tcp, --udp */
    sl_dgram_config dgram;
} server_opts;

/* With port 0, pairs of TCP and UDP ports tried before giving up. */
#define PAIR_TRIES 32

/* Print the usage, with one line per model from the library's table. */
static noreturn void help(void)
{
    const sl_model *const *m = sl_models();
    printf("usage: socklab echo-server [OPTIONS]\n\n"
           "Echo every byte back to each TCP client, and every UDP datagram whole to its\n"
           "sender, on the same port number: a TCP and a UDP port are separate, so both\n"
           "can be 9190. Prints 'listening on tcp ADDRESS:PORT' and 'listening on udp\n"
           "ADDRESS:PORT' on stderr once it listens (with -p 0 the kernel picks the port,\n"
           "the same for both). A datagram is never answered when it comes from port 0\n"
           "or from a well-known reflector port (7 echo, 19 chargen, 53 dns, 123 ntp ...),\n"
           "or was sent to a broadcast address: an echo server must not become a loop or\n"
           "an amplifier for forged datagrams.\n\n"
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
           "      --tcp              serve TCP only\n"
           "      --udp              serve UDP only\n"
           "      --udp-buffer SIZE  bytes read per datagram (default 64K: fits the largest,\n"
           "                         65,507 bytes over IPv4); a larger datagram is reported\n"
           "                         (MSG_TRUNC) and not echoed\n"
           "      --udp-rate N       answer at most N datagrams/s per source address\n"
           "                         (token bucket, %d sources remembered)\n"
           "  -q, --quiet            no per-client or per-datagram log lines\n"
           "  -h, --help             this help\n", SL_DGRAM_RATE_SOURCES);
    exit(CLI_OK);
}

enum { OPT_MAX = 256, OPT_IDLE, OPT_CLOSE, OPT_COUNT, OPT_BACKLOG, OPT_NOREUSE,
       OPT_TCP, OPT_UDP, OPT_UDP_BUFFER, OPT_UDP_RATE };

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
    { "tcp", no_argument, NULL, OPT_TCP },
    { "udp", no_argument, NULL, OPT_UDP },
    { "udp-buffer", required_argument, NULL, OPT_UDP_BUFFER },
    { "udp-rate", required_argument, NULL, OPT_UDP_RATE },
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
    case OPT_TCP: o->only_tcp = true; break;
    case OPT_UDP: o->only_udp = true; break;
    case OPT_UDP_BUFFER:
        o->dgram.buffer = (size_t)cli_size("--udp-buffer", optarg, 1, SL_DGRAM_BUFFER_DEFAULT);
        break;
    case OPT_UDP_RATE: o->dgram.rate = (unsigned)cli_uint("--udp-rate", optarg, 1, 100000000); break;
    case 'q': o->log.quiet = o->dgram.quiet = true; break;
    case 'h': help();
    default: cli_usage_error("unknown option");
    }
}

/* Decide which protocols are served; refuse options that cannot apply. */
static void choose_protocols(server_opts *o)
{
    if (o->only_tcp && o->only_udp)
        cli_usage_error("--tcp and --udp cannot be used together (without either, both "
                        "are served)");
    if (o->only_udp && o->ep.unix)
        cli_usage_error("--udp needs an IP address: unix: sockets are served as streams");
    if (o->only_udp && o->cfg.count > 0)
        cli_usage_error("--count counts TCP clients: it cannot be used with --udp");
    o->tcp = !o->only_udp;
    o->udp = !o->only_tcp && !o->ep.unix;
    if (!o->udp && (o->dgram.buffer > 0 || o->dgram.rate > 0))
        cli_usage_error("--udp-buffer and --udp-rate need UDP (not with --tcp or unix:)");
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
    choose_protocols(o);
}

/* Bind the UDP socket on ep. No SO_REUSEADDR: UDP has no TIME_WAIT to get
 * past, and on Linux it would let a second server bind the same port and
 * silently take its datagrams. */
static int listen_udp(const sl_endpoint *ep, const server_opts *o, sl_addr *bound,
                      sl_err *err)
{
    sl_listen_opts u = o->listen;
    u.socktype = SOCK_DGRAM;
    u.no_reuseaddr = true;
    return sl_listen(ep, &u, bound, err);
}

/* Bind the TCP listener, then the UDP socket on the port it got. With port
 * 0 the kernel picks a TCP port whose UDP twin may be taken: then try a new
 * pair, a bounded number of times. */
static int open_pair(const server_opts *o, int fds[2], sl_addr bound[2], sl_err *err)
{
    bool any = strcmp(o->ep.port, "0") == 0;
    for (int tries = 0; tries < PAIR_TRIES; tries++) {
        sl_endpoint uep = o->ep;
        fds[0] = sl_listen(&o->ep, &o->listen, &bound[0], err);
        if (fds[0] < 0)
            return -1;
        snprintf(uep.port, sizeof(uep.port), "%u", (unsigned)sl_addr_port(&bound[0]));
        fds[1] = listen_udp(&uep, o, &bound[1], err);
        if (fds[1] >= 0)
            return 0;
        fds[0] = sl_close(fds[0]);
        if (!any || errno != EADDRINUSE)
            return -1;
    }
    return -1;
}

/* Open what o asks for and give it to srv. On failure fds[] holds what
 * is left to close. */
static int open_listeners(const server_opts *o, sl_server *srv, int fds[2],
                          sl_addr bound[2], sl_err *err)
{
    if (o->tcp && o->udp) {
        if (open_pair(o, fds, bound, err) < 0)
            return -1;
    } else if (o->tcp) {
        if ((fds[0] = sl_listen(&o->ep, &o->listen, &bound[0], err)) < 0)
            return -1;
    } else if ((fds[1] = listen_udp(&o->ep, o, &bound[1], err)) < 0) {
        return -1;
    }
    if (fds[0] >= 0 && sl_server_add_listener(srv, fds[0], SOCK_STREAM, err) < 0)
        return -1;
    if (fds[1] >= 0 && (sl_server_add_listener(srv, fds[1], SOCK_DGRAM, err) < 0 ||
                        sl_server_set_dgram(srv, &o->dgram, err) < 0))
        return -1;
    return 0;
}

/* The 'listening on' lines (tests and scripts read them). */
static void announce(const server_opts *o, const int fds[2], const sl_addr bound[2])
{
    const char *model = o->cfg.model ? o->cfg.model : sl_model_default()->name;
    char where[SL_ADDRSTRLEN];
    if (fds[0] >= 0)
        fprintf(stderr, "listening on %s%s (echo, model %s%s)\n", o->ep.unix ? "" : "tcp ",
                sl_addr_format(&bound[0], where, sizeof(where)), model,
                o->listen.no_reuseaddr ? ", SO_REUSEADDR off" : "");
    if (fds[1] >= 0)
        fprintf(stderr, "listening on udp %s (echo, model %s)\n",
                sl_addr_format(&bound[1], where, sizeof(where)), model);
}

/* What the UDP socket did, once the server stops (also when quiet: it is
 * one line, not one per datagram). */
static void report_udp(const sl_server *srv)
{
    sl_dgram_stats st;
    sl_server_dgram_stats(srv, &st);
    fprintf(stderr, "udp: %llu datagrams in, %llu echoed (%llu bytes), %llu truncated, "
            "%llu refused, %llu to broadcast or multicast, %llu over the rate, "
            "%llu echoes not sent\n", (unsigned long long)st.received,
            (unsigned long long)st.echoed, (unsigned long long)st.bytes,
            (unsigned long long)st.truncated, (unsigned long long)st.refused,
            (unsigned long long)st.not_unicast, (unsigned long long)st.rate_limited,
            (unsigned long long)st.send_failed);
}

int cmd_echo_server(int argc, char **argv)
{
    server_opts o;
    sl_server *srv;
    sl_addr bound[2];
    sl_err err;
    int fds[2] = { -1, -1 }, rc;

    parse(argc, argv, &o);
    cli_signals_server(NULL);
    o.cfg.service = &sl_echo_service;
    o.cfg.on_event = cli_log_event;
    o.cfg.event_arg = &o.log;
    srv = sl_server_new(&o.cfg, &err);
    if (srv == NULL)
        return cli_fail(&err);
    if (open_listeners(&o, srv, fds, bound, &err) < 0) {
        sl_server_free(srv);
        sl_close(fds[0]);
        sl_close(fds[1]);
        return cli_fail(&err);
    }
    announce(&o, fds, bound);
    cli_signals_server(srv);
    rc = sl_server_run(srv, &err);
    cli_signals_server(NULL);
    if (fds[1] >= 0)
        report_udp(srv);
    sl_close(fds[0]);
    sl_close(fds[1]);
    if (o.ep.unix)
        sl_unlink_unix(&bound[0]);
    sl_server_free(srv);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
