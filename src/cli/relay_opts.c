/* cli/relay_opts.c: the options of `socklab relay`: where to listen, the
 * target, and the faults, each range-checked; "cannot use X with Y" checks
 * in one place. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/relay_opts.h"

static const char usage_text[] =
    "usage: socklab relay [OPTIONS] -p PORT TARGET_HOST TARGET_PORT\n\n"
    "Forward every TCP connection (with --udp: every datagram) to the target,\n"
    "injecting the faults asked for. Without faults it is a faithful relay: a FIN\n"
    "on one side becomes shutdown(SHUT_WR) on the other, a reset becomes a reset.\n"
    "Prints 'listening on tcp ADDRESS:PORT' on stderr (with -p 0 the kernel picks).\n\n"
    "Options:\n"
    "  -p, --port PORT        port to listen on\n"
    "  -b, --bind ADDRESS     address to bind (default: every address)\n"
    "  -4, -6                 IPv4 or IPv6 only (listener and target)\n"
    "  -u, --udp              relay UDP datagrams instead of TCP connections\n"
    "Faults (on both directions unless --dir says otherwise):\n"
    "      --dir up|down|both up: client to target, down: target to client\n"
    "      --delay MS         hold every chunk (datagram) MS milliseconds\n"
    "      --jitter MS        plus or minus up to MS (TCP keeps the order)\n"
    "      --rate BYTES       TCP: at most BYTES per second (K, M, G suffixes)\n"
    "      --cut-after N      TCP: cut the connection once N bytes went through\n"
    "      --cut-mode fin|rst how to cut (default fin: both sides see an EOF)\n"
    "      --flip-at OFFSET   TCP: invert the byte at OFFSET of the stream\n"
    "      --stall S          TCP: stop forwarding for S seconds ...\n"
    "      --stall-after N    ... once N bytes went through (default 0)\n"
    "      --drop P           UDP: drop a datagram with probability P (0 to 1)\n"
    "      --dup P            UDP: send a datagram twice with probability P\n"
    "      --seed N           seed of jitter, drop and dup (a run is repeatable)\n"
    "Limits:\n"
    "      --buffer SIZE      bytes held per direction (default 256K)\n"
    "      --max-clients N    connections (UDP flows) at once (default 1024)\n"
    "      --connect-timeout S  to the target (default 10)\n"
    "      --close-timeout S  bound on draining after a FIN cut (default 2)\n"
    "      --udp-idle S       forget a silent UDP flow after S seconds (default 60)\n"
    "      --backend NAME     event loop (epoll, poll, select)\n"
    "  -q, --quiet            no per-connection log lines\n"
    "  -h, --help             this help\n";

enum { OPT_DIR = 256, OPT_DELAY, OPT_JITTER, OPT_RATE, OPT_CUT, OPT_CUTMODE, OPT_FLIP,
       OPT_STALL, OPT_STALLAFTER, OPT_DROP, OPT_DUP, OPT_SEED, OPT_BUFFER, OPT_MAX,
       OPT_CONNTO, OPT_CLOSETO, OPT_UDPIDLE, OPT_BACKEND };

static const struct option long_opts[] = {
    { "port", required_argument, NULL, 'p' },
    { "bind", required_argument, NULL, 'b' },
    { "udp", no_argument, NULL, 'u' },
    { "dir", required_argument, NULL, OPT_DIR },
    { "delay", required_argument, NULL, OPT_DELAY },
    { "jitter", required_argument, NULL, OPT_JITTER },
    { "rate", required_argument, NULL, OPT_RATE },
    { "cut-after", required_argument, NULL, OPT_CUT },
    { "cut-mode", required_argument, NULL, OPT_CUTMODE },
    { "flip-at", required_argument, NULL, OPT_FLIP },
    { "stall", required_argument, NULL, OPT_STALL },
    { "stall-after", required_argument, NULL, OPT_STALLAFTER },
    { "drop", required_argument, NULL, OPT_DROP },
    { "dup", required_argument, NULL, OPT_DUP },
    { "seed", required_argument, NULL, OPT_SEED },
    { "buffer", required_argument, NULL, OPT_BUFFER },
    { "max-clients", required_argument, NULL, OPT_MAX },
    { "connect-timeout", required_argument, NULL, OPT_CONNTO },
    { "close-timeout", required_argument, NULL, OPT_CLOSETO },
    { "udp-idle", required_argument, NULL, OPT_UDPIDLE },
    { "backend", required_argument, NULL, OPT_BACKEND },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

double relay_probability(const char *opt, const char *text)
{
    char *end;
    double v;
    if (text == NULL || !(isdigit((unsigned char)text[0]) || text[0] == '.'))
        cli_usage_error("%s: '%.40s' is not a probability (0 to 1)", opt, text ? text : "");
    v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v) || v < 0.0 || v > 1.0)
        cli_usage_error("%s: '%.40s' is not a probability (0 to 1)", opt, text);
    return v;
}

/* --dir up|down|both. */
static unsigned parse_dir(const char *text)
{
    if (strcmp(text, "up") == 0)
        return SL_RELAY_UP;
    if (strcmp(text, "down") == 0)
        return SL_RELAY_DOWN;
    if (strcmp(text, "both") == 0)
        return SL_RELAY_UP | SL_RELAY_DOWN;
    cli_usage_error("--dir: '%.40s' is not up, down or both", text);
}

/* Apply one fault option; false when ch is not a fault option. */
static bool apply_fault(sl_relay_faults *f, int ch, const char *arg)
{
    switch (ch) {
    case OPT_DIR: f->dirs = parse_dir(arg); break;
    case OPT_DELAY: f->delay_ms = (int)cli_uint("--delay", arg, 0, 3600000); break;
    case OPT_JITTER: f->jitter_ms = (int)cli_uint("--jitter", arg, 0, 3600000); break;
    case OPT_RATE: f->rate = cli_size("--rate", arg, 1, (uint64_t)1 << 40); break;
    case OPT_CUT:
        f->cut = true;
        f->cut_after = cli_size("--cut-after", arg, 0, UINT64_MAX);
        break;
    case OPT_CUTMODE:
        if (strcmp(arg, "fin") != 0 && strcmp(arg, "rst") != 0)
            cli_usage_error("--cut-mode: '%.40s' is not fin or rst", arg);
        f->cut_rst = strcmp(arg, "rst") == 0;
        break;
    case OPT_FLIP:
        f->flip = true;
        f->flip_at = cli_size("--flip-at", arg, 0, UINT64_MAX);
        break;
    case OPT_STALL:
        f->stall = true;
        f->stall_ms = cli_seconds_ms("--stall", arg, 0.001, 86400);
        break;
    case OPT_STALLAFTER: f->stall_after = cli_size("--stall-after", arg, 0, UINT64_MAX); break;
    case OPT_DROP: f->drop = relay_probability("--drop", arg); break;
    case OPT_DUP: f->dup = relay_probability("--dup", arg); break;
    default: return false;
    }
    return true;
}

/* Apply one option that is not a fault. */
static void apply(relay_opts *o, int ch, const char **port, const char **bind)
{
    if (apply_fault(&o->cfg.faults, ch, optarg))
        return;
    switch (ch) {
    case 'p': cli_port("--port", optarg); *port = optarg; break;
    case 'b': *bind = optarg; break;
    case '4': o->listen.family = o->cfg.family = AF_INET; break;
    case '6': o->listen.family = o->cfg.family = AF_INET6; break;
    case 'u': o->cfg.udp = true; break;
    case OPT_SEED: o->cfg.seed = cli_uint("--seed", optarg, 0, UINT64_MAX); o->seeded = true; break;
    case OPT_BUFFER: o->cfg.buffer = cli_size("--buffer", optarg, 1, (uint64_t)1 << 30); break;
    case OPT_MAX: o->cfg.max_clients = (int)cli_uint("--max-clients", optarg, 1, 1000000); break;
    case OPT_CONNTO: o->cfg.connect_timeout_ms = cli_seconds_ms("--connect-timeout", optarg, 0.001, 3600); break;
    case OPT_CLOSETO: o->cfg.close_timeout_ms = cli_seconds_ms("--close-timeout", optarg, 0.001, 3600); break;
    case OPT_UDPIDLE: o->cfg.udp_idle_ms = cli_seconds_ms("--udp-idle", optarg, 0.001, 86400); break;
    case OPT_BACKEND: o->cfg.backend = optarg; break;
    case 'q': o->log.quiet = true; break;
    case 'h': cli_help(usage_text);
    default: cli_usage_error("unknown option");
    }
}

/* The "cannot use X with Y" checks. */
static void check(const relay_opts *o)
{
    const sl_relay_faults *f = &o->cfg.faults;
    if (o->cfg.udp && (f->rate || f->cut || f->flip || f->stall))
        cli_usage_error("--rate, --cut-after, --flip-at and --stall are for TCP, not --udp");
    if (!o->cfg.udp && (f->drop > 0 || f->dup > 0))
        cli_usage_error("--drop and --dup need --udp");
    if (f->stall_after > 0 && !f->stall)
        cli_usage_error("--stall-after needs --stall");
    if (f->cut_rst && !f->cut)
        cli_usage_error("--cut-mode needs --cut-after");
    if (o->listen_ep.is_unix)
        cli_usage_error("--bind: the relay listens on TCP or UDP, not unix:");
    if (o->cfg.backend != NULL) {
        const char *const *b = sl_loop_backends();
        while (*b != NULL && strcmp(*b, o->cfg.backend) != 0)
            b++;
        if (*b == NULL)
            cli_usage_error("--backend: '%.40s' is not built in", o->cfg.backend);
    }
}

/* The target: HOST PORT, or one HOST:PORT argument. */
static void parse_target(int argc, char **argv, relay_opts *o)
{
    if (optind >= argc)
        cli_usage_error("the target is missing (TARGET_HOST TARGET_PORT)");
    if (argc - optind > 2)
        cli_usage_error("unexpected argument '%.40s'", argv[optind + 2]);
    cli_endpoint("target", argv[optind], &o->cfg.target);
    if (argc - optind == 2) {
        if (o->cfg.target.port[0] != '\0')
            cli_usage_error("the target's port is given twice");
        cli_port("target port", argv[optind + 1]);
        sl_endpoint_default(&o->cfg.target, NULL, argv[optind + 1]);
    }
    if (o->cfg.target.is_unix)
        cli_usage_error("target: the relay connects over TCP or UDP, not unix:");
    if (o->cfg.target.host[0] == '\0' || o->cfg.target.port[0] == '\0')
        cli_usage_error("target: both a host and a port are needed");
}

void relay_opts_parse(int argc, char **argv, relay_opts *o)
{
    const char *port = NULL, *bind = NULL;
    int ch;
    memset(o, 0, sizeof(*o));
    o->listen.v6only = -1;
    o->log.service = "relay";
    opterr = 0;
    optind = 0;    /* glibc: start afresh (the parser may run more than once) */
    while ((ch = getopt_long(argc, argv, ":p:b:46uqh", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %.40s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        apply(o, ch, &port, &bind);
    }
    if (bind != NULL)
        cli_endpoint("--bind", bind, &o->listen_ep);
    if (port != NULL && o->listen_ep.port[0] != '\0')
        cli_usage_error("the port is given twice (--port and --bind HOST:PORT)");
    if (port == NULL && o->listen_ep.port[0] == '\0')
        cli_usage_error("the port to listen on is missing (-p PORT; 0 lets the kernel pick)");
    sl_endpoint_default(&o->listen_ep, NULL, port);
    parse_target(argc, argv, o);
    check(o);
    o->listen.socktype = o->cfg.udp ? SOCK_DGRAM : SOCK_STREAM;
}

/* Append ", " (after the first) and one formatted piece to buf[len]. */
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (*used > 0 && *used + 2 < len) {
        memcpy(buf + *used, ", ", 3);
        *used += 2;
    }
    if (*used >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

void relay_faults_describe(const sl_relay_config *cfg, char *buf, size_t len)
{
    const sl_relay_faults *f = &cfg->faults;
    size_t used = 0;
    buf[0] = '\0';
    if (f->delay_ms) add(buf, len, &used, "delay %d ms", f->delay_ms);
    if (f->jitter_ms) add(buf, len, &used, "jitter %d ms", f->jitter_ms);
    if (f->rate) add(buf, len, &used, "rate %llu B/s", (unsigned long long)f->rate);
    if (f->cut) add(buf, len, &used, "cut after %llu bytes (%s)",
                    (unsigned long long)f->cut_after, f->cut_rst ? "RST" : "FIN");
    if (f->flip) add(buf, len, &used, "flip at %llu", (unsigned long long)f->flip_at);
    if (f->stall) add(buf, len, &used, "stall %d ms after %llu bytes", f->stall_ms,
                      (unsigned long long)f->stall_after);
    if (f->drop > 0) add(buf, len, &used, "drop %g", f->drop);
    if (f->dup > 0) add(buf, len, &used, "dup %g", f->dup);
    if (used > 0 && f->dirs != 0 && f->dirs != (SL_RELAY_UP | SL_RELAY_DOWN))
        add(buf, len, &used, "%s only", f->dirs == SL_RELAY_UP ? "up" : "down");
    if (used == 0)
        snprintf(buf, len, "none");
}
