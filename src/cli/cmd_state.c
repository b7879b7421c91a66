/* cli/cmd_state.c: `socklab state`: the kernel's socket table (TCP and
 * UDP) with queues, timers, TIME_WAIT countdowns and owning processes. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "cli/state.h"

static const char usage_text[] =
    "usage: socklab state [PORT] [OPTIONS]\n\n"
    "List the kernel's TCP and UDP sockets: state, receive and send queues, local\n"
    "and remote address, the running timer (TIME_WAIT shows the time left) and\n"
    "the process holding the socket where it is visible. Read through\n"
    "NETLINK_SOCK_DIAG (as ss does), or /proc/net where netlink is refused; the\n"
    "summary line says which answered.\n\n"
    "  PORT                 only sockets whose local or remote port is PORT\n"
    "  -t, --tcp            TCP only\n"
    "  -u, --udp            UDP only (state UNCONN: not connected)\n"
    "  -4, -6               IPv4 or IPv6 only\n"
    "  -s, --state NAME     only this state (LISTEN, ESTABLISHED, TIME_WAIT,\n"
    "                       FIN_WAIT2, CLOSE_WAIT, CLOSING, UNCONN ...)\n"
    "  -w, --watch          redraw every second (TIME_WAIT counts down) until\n"
    "                       Ctrl+C or --count refreshes\n"
    "  -n, --count N        with --watch: stop after N refreshes\n"
    "  -i, --interval S     with --watch: seconds between refreshes (default 1)\n"
    "      --proc           read /proc/net/{tcp,udp}{,6} instead of netlink\n"
    "  -j, --json           one JSON document per refresh\n"
    "  -h, --help           this help\n";

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static const struct option long_opts[] = {
    { "tcp", no_argument, NULL, 't' },
    { "udp", no_argument, NULL, 'u' },
    { "state", required_argument, NULL, 's' },
    { "watch", no_argument, NULL, 'w' },
    { "count", required_argument, NULL, 'n' },
    { "interval", required_argument, NULL, 'i' },
    { "proc", no_argument, NULL, 'P' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

typedef struct state_opts {
    state_filter f;
    bool watch, json, proc;
    uint64_t count;
    int interval_ms;
} state_opts;

/* Apply one option to o. */
static void apply(state_opts *o, int ch)
{
    switch (ch) {
    case 't': o->f.tcp = true; break;
    case 'u': o->f.udp = true; break;
    case '4': o->f.family = AF_INET; break;
    case '6': o->f.family = AF_INET6; break;
    case 's':
        o->f.state = state_parse_name(optarg);
        if (o->f.state < 0)
            cli_usage_error("--state: '%.40s' is not a socket state (see --help)", optarg);
        break;
    case 'w': o->watch = true; break;
    case 'n': o->count = cli_uint("--count", optarg, 1, 1000000); break;
    case 'i': o->interval_ms = cli_seconds_ms("--interval", optarg, 0.05, 3600); break;
    case 'P': o->proc = true; break;
    case 'j': o->json = true; break;
    case 'h': cli_help(usage_text);
    default: cli_usage_error("unknown option");
    }
}

/* Parse argv into o; a mistake exits 2. */
static void parse(int argc, char **argv, state_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->f.state = -1;
    o->interval_ms = 1000;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":tu46s:wn:i:jh", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        apply(o, ch);
    }
    if (optind < argc) {
        o->f.port = cli_port("PORT", argv[optind++]);
        o->f.by_port = true;
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    if (o->f.tcp && o->f.udp)
        cli_usage_error("--tcp and --udp cannot be used together (give neither for both)");
    if (o->count > 0 && !o->watch)
        cli_usage_error("--count needs --watch");
}

/* Print one table (or JSON document). Returns 0 or -1 with err. */
static int show_once(const state_opts *o, bool clear, sl_err *err)
{
    state_table t;
    if (state_collect(&t, &o->f, o->proc, err) < 0)
        return -1;
    if (o->json) {
        state_print_json(&t, stdout);
    } else {
        if (clear)
            fputs("\033[H\033[2J", stdout);
        state_print_table(&t, stdout);
    }
    fflush(stdout);
    state_table_free(&t);
    return 0;
}

/* Sleep ms, returning early when SIGINT/SIGTERM arrived. */
static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (!interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int cmd_state(int argc, char **argv)
{
    state_opts o;
    struct sigaction sa;
    sl_err err;
    bool tty;

    parse(argc, argv, &o);
    if (!o.watch)
        return show_once(&o, false, &err) < 0 ? cli_fail(&err) : CLI_OK;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;   /* no SA_RESTART: the sleep returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    tty = !o.json && isatty(STDOUT_FILENO);
    for (uint64_t n = 0; !interrupted && (o.count == 0 || n < o.count); n++) {
        if (n > 0)
            pause_ms(o.interval_ms);
        if (interrupted)
            break;
        if (!tty && !o.json && n > 0)
            putchar('\n');
        if (show_once(&o, tty, &err) < 0)
            return cli_fail(&err);
    }
    return CLI_OK;
}
