/* cli/cmd_wait.c: `socklab wait`: wait until a TCP port accepts
 * connections (what scripts do with `nc -z` in a loop). Each attempt
 * connects, then closes cleanly (FIN, drain, close), so the server never
 * sees a reset; exits 0 once one attempt connects, 1 at the deadline. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/json.h"

/* How long a clean close may wait for the server's own FIN. */
#define WAIT_CLOSE_MS 500

typedef struct wait_opts {
    sl_endpoint ep;
    int family;
    int timeout_ms;      /* 0: wait forever */
    int interval_ms;
    bool quiet, verbose, json;
} wait_opts;

typedef struct wait_result {
    bool ready;
    unsigned attempts;
    long long elapsed_ms;
    sl_addr peer;
    sl_err last;         /* the last attempt's error (kind SL_OK if none) */
} wait_result;

static noreturn void help(void)
{
    cli_help(
        "usage: socklab wait [OPTIONS] HOST PORT\n"
        "       socklab wait [OPTIONS] HOST:PORT | [IPv6]:PORT | unix:PATH\n\n"
        "Wait until a TCP port accepts connections: connect every interval until\n"
        "one connection succeeds (it is then closed cleanly) or the timeout\n"
        "passes. Exit status 0 when the port accepted, 1 on timeout (the message\n"
        "names the last error: refused, unreachable, timed out ...), 2 on bad usage.\n\n"
        "Options:\n"
        "  -t, --timeout S      give up after S seconds (default 30; 0: never)\n"
        "  -i, --interval S     time between attempts (default 0.5)\n"
        "  -4, -6               IPv4 or IPv6 only\n"
        "      --json           print the result as JSON on standard output\n"
        "  -q, --quiet          print nothing when the port accepts\n"
        "  -v, --verbose        report each failed attempt on standard error\n"
        "  -h, --help           this help\n");
}

enum { OPT_JSON = 256 };

static const struct option long_opts[] = {
    { "timeout", required_argument, NULL, 't' },
    { "interval", required_argument, NULL, 'i' },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The target: HOST PORT, or one HOST:PORT / unix:PATH argument. */
static void parse_target(int argc, char **argv, wait_opts *o)
{
    cli_target(argc, argv, &optind, NULL, &o->ep);
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, wait_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 30000;
    o->interval_ms = 500;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":t:i:46qvh", long_opts, NULL)) != -1) {
        switch (ch) {
        case 't': o->timeout_ms = cli_seconds_ms("--timeout", optarg, 0, 86400 * 365); break;
        case 'i': o->interval_ms = cli_seconds_ms("--interval", optarg, 0.001, 3600); break;
        case '4': o->family = AF_INET; break;
        case '6': o->family = AF_INET6; break;
        case OPT_JSON: o->json = true; break;
        case 'q': o->quiet = true; break;
        case 'v': o->verbose = true; break;
        case 'h': help();
        case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    if (o->quiet && o->verbose)
        cli_usage_error("-q and -v cannot be used together");
    parse_target(argc, argv, o);
}

/* Close a connected socket without a reset: FIN, then read and discard what
 * the server sends until its FIN or a short bound, then close. */
static void close_clean(int fd)
{
    char junk[4096];
    long long end = sl_now_ms() + WAIT_CLOSE_MS;
    shutdown(fd, SHUT_WR);
    while (sl_now_ms() < end &&
           sl_wait_fd(fd, POLLIN, (int)(end - sl_now_ms()), NULL) == 1 &&
           sl_read_some(fd, junk, sizeof(junk), NULL) > 0)
        ;
    sl_close(fd);
}

/* Sleep ms milliseconds (a signal only shortens it). */
static void pause_ms(long long ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
                           .tv_nsec = (long)(ms % 1000) * 1000000L };
    if (ms > 0)
        nanosleep(&ts, NULL);
}

/* Attempt until one connection succeeds or the deadline passes (the last
 * attempt's connect gives up at the deadline). Returns -1 only for an input
 * error that no retry can fix (r->last says which). */
static int wait_loop(const wait_opts *o, wait_result *r)
{
    long long start = sl_now_ms(), now = start;
    long long end = o->timeout_ms > 0 ? start + o->timeout_ms : 0;
    while (r->attempts == 0 || end == 0 || now < end) {
        long long next = now + o->interval_ms;
        int fd = sl_connect(&o->ep, o->family, SOCK_STREAM, end ? (int)(end - now) : 0,
                            &r->peer, &r->last);
        r->attempts++;
        if (fd >= 0) {
            close_clean(fd);
            sl_err_clear(&r->last);
            r->ready = true;
            break;
        }
        if (r->last.kind == SL_EINPUT)
            return -1;
        if (o->verbose)
            cli_error("attempt %u: %s", r->attempts, r->last.msg);
        now = sl_now_ms();
        pause_ms((end && next > end ? end : next) - now);
        now = sl_now_ms();
    }
    r->elapsed_ms = sl_now_ms() - start;
    return 0;
}

/* The target as the user wrote it, for messages ("127.0.0.1:80"). */
static void target_text(const sl_endpoint *ep, char *buf, size_t len)
{
    if (ep->is_unix)
        snprintf(buf, len, "unix:%s", ep->host);
    else if (strchr(ep->host, ':') != NULL)
        snprintf(buf, len, "[%s]:%s", ep->host, ep->port);
    else
        snprintf(buf, len, "%s:%s", ep->host, ep->port);
}

/* One JSON document on stdout, in success and in failure alike. */
static void print_json(const char *target, const wait_opts *o, const wait_result *r)
{
    char peer[SL_ADDRSTRLEN];
    cli_json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_str(&j, "target", target);
    json_bool(&j, "ready", r->ready);
    json_str(&j, "address", r->ready ? sl_addr_format(&r->peer, peer, sizeof(peer)) : NULL);
    json_uint(&j, "attempts", r->attempts);
    json_double(&j, "elapsed_s", (double)r->elapsed_ms / 1000.0);
    json_double(&j, "timeout_s", (double)o->timeout_ms / 1000.0);
    json_str(&j, "last_error", r->ready ? NULL : r->last.msg);
    json_object_end(&j);
    json_finish(&j);
}

int cmd_wait(int argc, char **argv)
{
    wait_opts o;
    wait_result r;
    char target[sizeof(o.ep.host) + SL_PORTLEN + 8], peer[SL_ADDRSTRLEN];

    parse(argc, argv, &o);
    memset(&r, 0, sizeof(r));
    if (wait_loop(&o, &r) < 0)
        return cli_fail(&r.last);
    target_text(&o.ep, target, sizeof(target));
    if (o.json)
        print_json(target, &o, &r);
    if (!r.ready) {
        cli_error("%s did not accept a connection within %.3g s (%u attempt%s); "
                  "last error: %s", target, (double)o.timeout_ms / 1000.0, r.attempts,
                  r.attempts == 1 ? "" : "s", r.last.msg);
        return CLI_FAIL;
    }
    if (!o.json && !o.quiet)
        printf("%s accepts connections (%s, after %.3f s, %u attempt%s)\n", target,
               sl_addr_format(&r.peer, peer, sizeof(peer)), (double)r.elapsed_ms / 1000.0,
               r.attempts, r.attempts == 1 ? "" : "s");
    return CLI_OK;
}
