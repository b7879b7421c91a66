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
#include "cli/server_cli.h"
#include "socklab/dgram.h"

typedef struct server_opts {
    cli_server s;               /* where, how, limits, log */
    bool tcp, udp;              /* serve these (both unless --tcp or --udp) */
    bool only_tcp, only_udp;    /* --tcp, --udp */
    sl_dgram_config dgram;
} server_opts;

/* With port 0, pairs of TCP and UDP ports tried before giving up. */
#define PAIR_TRIES 32

/* Print the usage, with one line per model from the library's table. */
static noreturn void help(void)
{
    printf("usage: socklab echo-server [OPTIONS]\n\n"
           "Echo every byte back to each TCP client, and every UDP datagram whole to its\n"
           "sender, on the same port number: a TCP and a UDP port are separate, so both\n"
           "can be 9190. Prints 'listening on tcp ADDRESS:PORT' and 'listening on udp\n"
           "ADDRESS:PORT' on stderr once it listens (with -p 0 the kernel picks the port,\n"
           "the same for both). A datagram is never answered when it comes from port 0\n"
           "or from a well-known reflector port (7 echo, 19 chargen, 53 dns, 123 ntp ...),\n"
           "or was sent to a broadcast address: an echo server must not become a loop or\n"
           "an amplifier for forged datagrams.\n\n"
           "Options:\n");
    cli_server_help_where(stdout);
    cli_server_help_workers(stdout);
    printf("      --max-clients N    at most N clients at once (others wait or are refused)\n"
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

enum { OPT_NOREUSE = CLI_SERVER_OPT_END, OPT_TCP, OPT_UDP, OPT_UDP_BUFFER, OPT_UDP_RATE };

static const struct option long_opts[] = {
    CLI_SERVER_LONGOPTS,
    { "no-reuseaddr", no_argument, NULL, OPT_NOREUSE },
    { "tcp", no_argument, NULL, OPT_TCP },
    { "udp", no_argument, NULL, OPT_UDP },
    { "udp-buffer", required_argument, NULL, OPT_UDP_BUFFER },
    { "udp-rate", required_argument, NULL, OPT_UDP_RATE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Apply one of echo-server's own options to o. */
static void apply(server_opts *o, int ch)
{
    switch (ch) {
    case OPT_NOREUSE: o->s.listen.no_reuseaddr = true; break;
    case OPT_TCP: o->only_tcp = true; break;
    case OPT_UDP: o->only_udp = true; break;
    case OPT_UDP_BUFFER:
        o->dgram.buffer = (size_t)cli_size("--udp-buffer", optarg, 1, SL_DGRAM_BUFFER_DEFAULT);
        break;
    case OPT_UDP_RATE: o->dgram.rate = (unsigned)cli_uint("--udp-rate", optarg, 1, 100000000); break;
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
    if (o->only_udp && o->s.ep.is_unix)
        cli_usage_error("--udp needs an IP address: unix: sockets are served as streams");
    if (o->only_udp && o->s.cfg.count > 0)
        cli_usage_error("--count counts TCP clients: it cannot be used with --udp");
    o->tcp = !o->only_udp;
    o->udp = !o->only_tcp && !o->s.ep.is_unix;
    if (!o->udp && (o->dgram.buffer > 0 || o->dgram.rate > 0))
        cli_usage_error("--udp-buffer and --udp-rate need UDP (not with --tcp or unix:)");
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, server_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    cli_server_init(&o->s, "echo");
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":" CLI_SERVER_SHORTOPTS "h", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        if (!cli_server_option(&o->s, ch, optarg))
            apply(o, ch);
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    o->dgram.quiet = o->s.log.quiet;
    cli_server_finish(&o->s);
    choose_protocols(o);
}

/* Bind the UDP socket on ep. No SO_REUSEADDR: UDP has no TIME_WAIT to get
 * past, and on Linux it would let a second server bind the same port and
 * silently take its datagrams. */
static int listen_udp(const sl_endpoint *ep, const server_opts *o, sl_addr *bound,
                      sl_err *err)
{
    sl_listen_opts u = o->s.listen;
    u.socktype = SOCK_DGRAM;
    u.no_reuseaddr = true;
    return sl_listen(ep, &u, bound, err);
}

/* Bind the TCP listener, then the UDP socket on the port it got. With port
 * 0 the kernel picks a TCP port whose UDP twin may be taken: then try a new
 * pair, a bounded number of times. */
static int open_pair(const server_opts *o, int fds[2], sl_addr bound[2], sl_err *err)
{
    bool any = strcmp(o->s.ep.port, "0") == 0;
    for (int tries = 0; tries < PAIR_TRIES; tries++) {
        sl_endpoint uep = o->s.ep;
        fds[0] = sl_listen(&o->s.ep, &o->s.listen, &bound[0], err);
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
        if ((fds[0] = sl_listen(&o->s.ep, &o->s.listen, &bound[0], err)) < 0)
            return -1;
    } else if ((fds[1] = listen_udp(&o->s.ep, o, &bound[1], err)) < 0) {
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
    const char *model = o->s.cfg.model ? o->s.cfg.model : sl_model_default()->name;
    char where[SL_ADDRSTRLEN];
    if (fds[0] >= 0)
        fprintf(stderr, "listening on %s%s (echo, model %s%s)\n", o->s.ep.is_unix ? "" : "tcp ",
                sl_addr_format(&bound[0], where, sizeof(where)), model,
                o->s.listen.no_reuseaddr ? ", SO_REUSEADDR off" : "");
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
    o.s.cfg.service = &sl_echo_service;
    o.s.cfg.on_event = cli_log_event;
    o.s.cfg.event_arg = &o.s.log;
    srv = sl_server_new(&o.s.cfg, &err);
    if (srv == NULL)
        return cli_fail(&err);
    if (open_listeners(&o, srv, fds, bound, &err) < 0) {
        sl_server_free(srv);
        sl_close(fds[0]);
        sl_close(fds[1]);
        return cli_fail(&err);
    }
    announce(&o, fds, bound);
    rc = cli_server_run(srv, &err);
    if (fds[1] >= 0)
        report_udp(srv);
    sl_close(fds[0]);
    sl_close(fds[1]);
    if (o.s.ep.is_unix)
        sl_unlink_unix(&bound[0]);
    sl_server_free(srv);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
