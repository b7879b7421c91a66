/* cli/cmd_bench.c: `socklab bench HOST PORT`: the load generator. Parses
 * the options, runs the library's load engine and prints the report
 * (cli/bench_report.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "cli/cli.h"
#include "cli/bench_cli.h"

static const char usage[] =
    "usage: socklab bench [OPTIONS] HOST PORT   (or HOST:PORT)\n\n"
    "Load a server and report throughput, latency percentiles and errors.\n"
    "Every echoed byte is checked against the byte that was sent.\n\n"
    "Modes (-m):\n"
    "  echo      each connection sends a message and waits for the whole echo\n"
    "            (round trips per second, latency)  [default]\n"
    "  bulk      stream both ways at once, bounded bytes in flight (MB/s)\n"
    "  connect   connect, one echo, close, again (connections per second)\n"
    "  hold      open -c connections, check each, keep them idle for -d\n"
    "  udp       one datagram per flow at a time (datagrams per second, loss)\n"
    "  file      read the stream a file-server sends to its end, again (MB/s)\n\n"
    "Options:\n"
    "  -m, --mode MODE        one of the modes above\n"
    "  -c, --connections N    concurrent connections or flows (default 1)\n"
    "  -s, --size SIZE        message size, K/M suffixes (default 64; bulk 64K)\n"
    "  -d, --duration S       measured seconds (default 5)\n"
    "  -n, --count N          measure N operations instead of a duration\n"
    "  -w, --warmup S         load before measuring, not counted (default 0.5)\n"
    "  -r, --rate R           open loop: R requests per second in all; latency\n"
    "                         counts from when each request was due\n"
    "      --inflight SIZE    bulk: unanswered bytes per connection (default 256K)\n"
    "      --batch N          connections opened at once (default 8)\n"
    "      --timeout S        connect, first echo and datagram timeout (default 5)\n"
    "      --source ADDR      numeric source address (repeat for several)\n"
    "      --sources N        use 127.0.0.1 .. 127.0.0.N as source addresses\n"
    "                         (default for connect and hold on loopback: enough\n"
    "                         for the ports needed)\n"
    "      --server-pid PID   hold: report the memory PID (and its children) uses\n"
    "      --procs N          hold: spread the connections over N processes (by\n"
    "                         default, as many as the descriptor limit needs)\n"
    "      --backend NAME     event loop backend (default: the best built)\n"
    "  -4, -6                 IPv4 or IPv6 only\n"
    "      --histogram        print a text histogram of the latencies\n"
    "      --json             print the report as JSON on stdout\n"
    "  -q, --quiet            no progress line\n"
    "  -h, --help             this help\n\n"
    "Exit status: 0 done, 1 the run failed or echoes were wrong, 2 bad usage.\n";

enum { OPT_INFLIGHT = 256, OPT_BATCH, OPT_TIMEOUT, OPT_SOURCE, OPT_SOURCES, OPT_PID,
       OPT_PROCS, OPT_BACKEND, OPT_HIST, OPT_JSON };

static const struct option long_opts[] = {
    { "mode", required_argument, NULL, 'm' },
    { "connections", required_argument, NULL, 'c' },
    { "size", required_argument, NULL, 's' },
    { "duration", required_argument, NULL, 'd' },
    { "count", required_argument, NULL, 'n' },
    { "warmup", required_argument, NULL, 'w' },
    { "rate", required_argument, NULL, 'r' },
    { "inflight", required_argument, NULL, OPT_INFLIGHT },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "source", required_argument, NULL, OPT_SOURCE },
    { "sources", required_argument, NULL, OPT_SOURCES },
    { "server-pid", required_argument, NULL, OPT_PID },
    { "procs", required_argument, NULL, OPT_PROCS },
    { "backend", required_argument, NULL, OPT_BACKEND },
    { "histogram", no_argument, NULL, OPT_HIST },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* A positive rate in requests per second. */
static double parse_rate(const char *text)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v > 0) || v > 1e9)
        cli_usage_error("--rate: '%.40s' is not a rate between 0 and 1e9 per second", text);
    return v;
}

/* Add a numeric source address. */
static void add_source(bench_opts *o, const char *text)
{
    struct in6_addr a;
    if (inet_pton(AF_INET, text, &a) != 1 && inet_pton(AF_INET6, text, &a) != 1)
        cli_usage_error("--source: '%.60s' is not a numeric address", text);
    if (o->cfg.nsources >= SL_BENCH_MAX_SOURCES)
        cli_usage_error("--source: at most %d source addresses", SL_BENCH_MAX_SOURCES);
    o->cfg.sources[o->cfg.nsources++] = text;
}

/* A loop backend built into this library, or a usage error. */
static const char *check_backend(const char *name)
{
    for (const char *const *b = sl_loop_backends(); *b != NULL; b++)
        if (strcmp(*b, name) == 0)
            return name;
    cli_usage_error("--backend: '%.40s' is not built in (see socklab echo-server --help)", name);
}

/* Apply one parsed option to o. */
static void apply(bench_opts *o, int ch)
{
    switch (ch) {
    case 'm': {
        int m = sl_bench_mode_parse(optarg);
        if (m < 0)
            cli_usage_error("--mode: '%.40s' is not a mode (see --help)", optarg);
        o->cfg.mode = (sl_bench_mode)m;
        break;
    }
    case 'c': o->cfg.connections = (int)cli_uint("--connections", optarg, 1, 10000000); break;
    case 's': o->cfg.msg_size = (size_t)cli_size("--size", optarg, 1, 1u << 30); o->size_set = true; break;
    case 'd': o->cfg.duration_ms = cli_seconds_ms("--duration", optarg, 0.001, 86400); o->duration_set = true; break;
    case 'n': o->cfg.count = cli_uint("--count", optarg, 1, UINT64_MAX); break;
    case 'w': o->cfg.warmup_ms = cli_seconds_ms("--warmup", optarg, 0, 3600); break;
    case 'r': o->cfg.rate = parse_rate(optarg); break;
    case OPT_INFLIGHT: o->cfg.inflight = (size_t)cli_size("--inflight", optarg, 1, 1u << 30); break;
    case OPT_BATCH: o->cfg.open_batch = (int)cli_uint("--batch", optarg, 1, 100000); break;
    case OPT_TIMEOUT: o->cfg.timeout_ms = cli_seconds_ms("--timeout", optarg, 0.001, 3600); break;
    case OPT_SOURCE: add_source(o, optarg); break;
    case OPT_SOURCES: o->nsources = (int)cli_uint("--sources", optarg, 1, SL_BENCH_MAX_SOURCES); break;
    case OPT_PID: o->server_pid = (int)cli_uint("--server-pid", optarg, 1, 1u << 30); break;
    case OPT_PROCS: o->procs = (int)cli_uint("--procs", optarg, 1, 256); break;
    case OPT_BACKEND: o->cfg.backend = check_backend(optarg); break;
    case OPT_HIST: o->histogram = true; break;
    case OPT_JSON: o->json = true; break;
    case '4': o->cfg.family = AF_INET; break;
    case '6': o->cfg.family = AF_INET6; break;
    case 'q': o->quiet = true; break;
    case 'h': cli_help(usage);
    default: cli_usage_error("unknown option");
    }
}

/* HOST PORT, or one HOST:PORT. */
static void parse_target(bench_opts *o, int argc, char **argv)
{
    cli_target(argc, argv, &optind, "127.0.0.1", &o->cfg.target);
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    if (o->cfg.target.is_unix)
        cli_usage_error("unix sockets are not supported by bench");
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, bench_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    sl_bench_config_init(&o->cfg);
    o->cfg.warmup_ms = 500;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":m:c:s:d:n:w:r:46qh", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        apply(o, ch);
    }
    parse_target(o, argc, argv);
    bench_check_options(o);
}

/* How many processes the run needs (1 unless hold passes the limit). */
static int plan_procs(const bench_opts *o)
{
    long long limit = cli_raise_fd_limit(), per = limit - 64;
    int procs = o->procs;
    if (procs == 0 && o->cfg.connections + 64 > limit) {
        if (o->cfg.mode != SL_BENCH_HOLD || per < 1) {
            cli_error("%d connections need more descriptors than this process may open (%lld);"
                      " only -m hold spreads them over processes", o->cfg.connections, limit);
            return -1;
        }
        procs = (int)((o->cfg.connections + per - 1) / per);
    }
    if (procs > 0 && o->cfg.connections / procs + 64 > limit) {
        cli_error("%d connections in %d processes need more descriptors than each may open"
                  " (%lld)", o->cfg.connections, procs, limit);
        return -1;
    }
    return procs > 0 ? procs : 1;
}

static double tv_s(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The CPU this run cost (the children's too when they held connections):
 * on a small machine the client competes with the server for it. */
static void cpu_used(bench_opts *o, const struct rusage *before, bool children)
{
    struct rusage now, kids;
    getrusage(RUSAGE_SELF, &now);
    o->cpu_user_s = tv_s(&now.ru_utime) - tv_s(&before->ru_utime);
    o->cpu_sys_s = tv_s(&now.ru_stime) - tv_s(&before->ru_stime);
    if (children && getrusage(RUSAGE_CHILDREN, &kids) == 0) {
        o->cpu_user_s += tv_s(&kids.ru_utime);
        o->cpu_sys_s += tv_s(&kids.ru_stime);
    }
}

int cmd_bench(int argc, char **argv)
{
    bench_opts o;
    sl_bench_result res;
    sl_err err;
    struct sigaction sa;
    struct rusage ru0;
    long long t0;
    int rc, procs;

    parse(argc, argv, &o);
    procs = plan_procs(&o);
    if (procs < 0)
        return CLI_FAIL;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    o.cfg.stop = &stop_flag;
    bench_progress_setup(&o);
    sl_err_clear(&err);
    getrusage(RUSAGE_SELF, &ru0);
    t0 = sl_now_ms();
    if (procs > 1)
        rc = bench_run_procs(&o, procs, &stop_flag, &res, &err);
    else
        rc = sl_bench_run(&o.cfg, &res, &err);
    cpu_used(&o, &ru0, procs > 1);
    o.wall_s = (double)(sl_now_ms() - t0) / 1000.0;
    bench_progress_end(&o);
    if (rc < 0) {
        if (o.json)
            bench_report_failure(&o, &err);
        return cli_fail(&err);
    }
    if (err.kind != SL_OK)
        cli_error("%s", err.msg);
    rc = bench_report(&o, &res);
    sl_bench_result_free(&res);
    return rc;
}
