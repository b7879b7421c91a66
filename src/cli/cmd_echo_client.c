/* cli/cmd_echo_client.c: `socklab echo-client`: the book's echo client.
 * Sends each line, reads back exactly as many bytes as it sent (TCP keeps
 * no message boundaries, so one read is not enough), prints it. With --udp
 * each line is one datagram (cli/udp_client.c). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/udp_client.h"
#include "socklab/dgram.h"

typedef struct client_opts {
    sl_endpoint ep;
    int family;
    int timeout_ms;
    bool raw;        /* bytes in, bytes out: no prompt, no prefix, no Q */
    bool quiet;
    bool udp, connected;
    bool timeout_set, retries_set, size_set, count_set;
    unsigned retries;
    size_t size;
    uint64_t count;
} client_opts;

static noreturn void help(void)
{
    cli_help(
        "usage: socklab echo-client [OPTIONS] HOST PORT\n"
        "       socklab echo-client [OPTIONS] HOST:PORT | [IPv6]:PORT | unix:PATH\n\n"
        "Read lines from standard input, send each to an echo server, read the\n"
        "whole echo back and print 'Message from server: ...'. A line 'Q' or 'q',\n"
        "or the end of input, closes the connection cleanly.\n\n"
        "Options:\n"
        "  -r, --raw            copy standard input through the server to standard\n"
        "                       output unchanged (binary-safe; no prompt, no Q)\n"
        "  -t, --timeout S      give up connecting after S seconds (default 10);\n"
        "                       with --udp: wait S seconds for each echo (default 1)\n"
        "  -u, --udp            one datagram per line (UDP): unconnected, with sendto and\n"
        "                       recvfrom; a reply from another address is ignored and\n"
        "                       reported. A lost datagram is sent again, then reported\n"
        "                       (exit 1); a closed port only times out, since an\n"
        "                       unconnected socket is not told of the ICMP error\n"
        "  -c, --connected      with --udp: connect() the socket, then send and recv:\n"
        "                       only the server's datagrams arrive, and a closed port is\n"
        "                       reported at once as connection refused\n"
        "      --retries N      with --udp: send a datagram N more times before\n"
        "                       reporting it lost (default 3)\n"
        "      --size N         with --udp: send generated datagrams of N bytes (0 to\n"
        "                       65,507; 65,527 over IPv6) instead of lines, check each\n"
        "                       echo and print a summary (exit 1 on a loss or mismatch)\n"
        "      --count N        with --size: how many (default 1)\n"
        "  -4, -6               IPv4 or IPv6 only\n"
        "  -q, --quiet          no prompt and no connection messages\n"
        "  -h, --help           this help\n");
}

enum { OPT_RETRIES = 256, OPT_SIZE, OPT_COUNT };

static const struct option long_opts[] = {
    { "raw", no_argument, NULL, 'r' },
    { "udp", no_argument, NULL, 'u' },
    { "connected", no_argument, NULL, 'c' },
    { "retries", required_argument, NULL, OPT_RETRIES },
    { "size", required_argument, NULL, OPT_SIZE },
    { "count", required_argument, NULL, OPT_COUNT },
    { "timeout", required_argument, NULL, 't' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Refuse options that do not go together. */
static void check_udp(const client_opts *o)
{
    if (!o->udp && (o->connected || o->retries_set || o->size_set || o->count_set))
        cli_usage_error("--connected, --retries, --size and --count need --udp");
    if (o->udp && o->raw)
        cli_usage_error("--raw cannot be used with --udp (each line is one datagram)");
    if (o->udp && o->ep.is_unix)
        cli_usage_error("--udp needs an IP address, not unix:");
    if (o->count_set && !o->size_set)
        cli_usage_error("--count needs --size");
}

/* Apply one parsed option to o. */
static void apply(client_opts *o, int ch, char **argv)
{
    switch (ch) {
    case 'r': o->raw = true; break;
    case 't':
        o->timeout_ms = cli_seconds_ms("--timeout", optarg, 0.001, 3600);
        o->timeout_set = true;
        break;
    case 'u': o->udp = true; break;
    case 'c': o->connected = true; break;
    case OPT_RETRIES:
        o->retries = (unsigned)cli_uint("--retries", optarg, 0, 1000);
        o->retries_set = true;
        break;
    case OPT_SIZE:
        o->size = (size_t)cli_size("--size", optarg, 0, SL_UDP_MAX_V6);
        o->size_set = true;
        break;
    case OPT_COUNT:
        o->count = cli_uint("--count", optarg, 1, UINT64_MAX);
        o->count_set = true;
        break;
    case '4': o->family = AF_INET; break;
    case '6': o->family = AF_INET6; break;
    case 'q': o->quiet = true; break;
    case 'h': help();
    case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
    default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
    }
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, client_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 10000;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":rt:uc46qh", long_opts, NULL)) != -1)
        apply(o, ch, argv);
    cli_target(argc, argv, &optind, NULL, &o->ep);
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    check_udp(o);
}

/* Read exactly len echoed bytes into buf. */
static int read_echo(int fd, char *buf, size_t len, sl_err *err)
{
    ssize_t got = sl_read_full(fd, buf, len, err);
    if (got < 0)
        return -1;
    if ((size_t)got < len) {
        errno = ECONNRESET;
        sl_err_clear(err);
        snprintf(err->msg, sizeof(err->msg),
                 "the server closed the connection after %zd of the %zu bytes of the echo",
                 got, len);
        err->kind = SL_EPEER;
        return -1;
    }
    return 0;
}

/* Close cleanly: FIN, then wait (bounded) for the server's FIN, so neither
 * side resets the connection. The client closed first, so its side, not the
 * server's, goes through TIME_WAIT. */
static void close_client(int fd)
{
    char junk[4096];
    long long deadline = sl_now_ms() + 2000;
    shutdown(fd, SHUT_WR);
    while (sl_now_ms() < deadline &&
           sl_wait_fd(fd, POLLIN, (int)(deadline - sl_now_ms()), NULL) == 1 &&
           sl_read_some(fd, junk, sizeof(junk), NULL) > 0)
        ;
    sl_close(fd);
}

/* True when the server has closed or reset while we wait for input. */
static bool server_gone(int fd)
{
    char c;
    if (sl_wait_fd(fd, POLLIN, 0, NULL) != 1)
        return false;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* The book's loop: prompt, line, echo. Returns the exit status. */
static int line_loop(int fd, const client_opts *o)
{
    bool prompt = !o->quiet && isatty(STDIN_FILENO);
    char *line = NULL, *echo = NULL;
    size_t cap = 0;
    ssize_t len;
    sl_err err;
    int rc = CLI_OK;

    for (;;) {
        if (prompt) {
            fputs("Input message(Q to quit): ", stdout);
            fflush(stdout);
        }
        if ((len = getline(&line, &cap, stdin)) <= 0)
            break;
        if (strcmp(line, "q\n") == 0 || strcmp(line, "Q\n") == 0 ||
            strcmp(line, "q") == 0 || strcmp(line, "Q") == 0)
            break;
        if (server_gone(fd)) {
            cli_error("the server closed the connection");
            rc = CLI_FAIL;
            break;
        }
        echo = realloc(echo, (size_t)len + 1);
        if (echo == NULL || sl_write_all(fd, line, (size_t)len, &err) < 0 ||
            read_echo(fd, echo, (size_t)len, &err) < 0) {
            rc = echo == NULL ? (cli_error("out of memory"), CLI_FAIL) : cli_fail(&err);
            break;
        }
        printf("Message from server: %.*s%s", (int)len, echo,
               echo[len - 1] == '\n' ? "" : "\n");
        fflush(stdout);
    }
    free(line);
    free(echo);
    return rc;
}

/* Raw mode: each chunk of input goes out and its whole echo comes back. */
static int raw_loop(int fd)
{
    static char in[65536], out[65536];
    sl_err err;
    for (;;) {
        ssize_t n = sl_read_some(STDIN_FILENO, in, sizeof(in), &err);
        if (n == 0)
            return CLI_OK;
        if (n < 0 || sl_write_all(fd, in, (size_t)n, &err) < 0 ||
            read_echo(fd, out, (size_t)n, &err) < 0 ||
            sl_write_all(STDOUT_FILENO, out, (size_t)n, &err) < 0)
            return cli_fail(&err);
    }
}

/* The UDP client with the options that apply to it. */
static int run_udp(const client_opts *o)
{
    udp_client_opts u = {
        .ep = &o->ep,
        .family = o->family,
        .connected = o->connected,
        .timeout_ms = o->timeout_set ? o->timeout_ms : UDP_TIMEOUT_MS_DEFAULT,
        .retries = o->retries_set ? o->retries : UDP_RETRIES_DEFAULT,
        .quiet = o->quiet,
        .generate = o->size_set,
        .size = o->size,
        .count = o->count_set ? o->count : 1,
    };
    return udp_client_run(&u);
}

int cmd_echo_client(int argc, char **argv)
{
    client_opts o;
    sl_addr peer;
    sl_err err;
    char where[SL_ADDRSTRLEN];
    int fd, rc;

    parse(argc, argv, &o);
    cli_signals_server(NULL);
    if (o.udp)
        return run_udp(&o);
    fd = sl_connect(&o.ep, o.family, SOCK_STREAM, o.timeout_ms, &peer, &err);
    if (fd < 0)
        return cli_fail(&err);
    if (!o.quiet && !o.raw)
        fprintf(stderr, "connected to %s\n", sl_addr_format(&peer, where, sizeof(where)));
    rc = o.raw ? raw_loop(fd) : line_loop(fd, &o);
    close_client(fd);
    return rc;
}
