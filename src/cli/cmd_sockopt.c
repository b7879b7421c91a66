/* cli/cmd_sockopt.c: `socklab sockopt`: the options of a fresh (or a
 * loopback-connected) socket with their meanings and the kernel's
 * defaults; --set applies values and shows what the kernel made of them. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inspect.h"
#include "cli/sockopt_cli.h"

typedef struct sockopt_opts {
    int family, socktype;
    bool connected, json, list;
    size_t nset;
    const char *set[SOCKOPT_MAXSET];
} sockopt_opts;

static noreturn void help(void)
{
    cli_help(
        "usage: socklab sockopt [--tcp|--udp] [-4|-6] [--set NAME=VALUE]... [--connected]\n"
        "       socklab sockopt --list\n\n"
        "Show the options of a fresh socket (getsockopt), each with its value, the\n"
        "kernel's default where a sysctl holds it, and a one-line meaning.\n\n"
        "Options:\n"
        "      --tcp, --udp      the socket's type (default --tcp)\n"
        "  -4, -6                an IPv4 (default) or an IPv6 socket\n"
        "  -s, --set NAME=VALUE  set an option (setsockopt), read it back, and show\n"
        "                        requested and actual side by side with what the\n"
        "                        kernel did (Linux doubles SO_SNDBUF/SO_RCVBUF and\n"
        "                        cuts them to net.core.wmem_max/rmem_max); repeatable\n"
        "      --connected       look at a socket connected over loopback (127.0.0.1\n"
        "                        or ::1) instead: TCP_MAXSEG and buffers differ; --set\n"
        "                        values are applied before connect(), as a client would\n"
        "      --list            the known options and how their values are written\n"
        "      --json            one JSON document on standard output (errors inside it)\n"
        "  -h, --help            this help\n\n"
        "Values: booleans 0/1 (or off/on), sizes in bytes (K and M allowed), SO_LINGER\n"
        "off or seconds, timeouts in seconds (1.5), TCP_CONGESTION a name.\n"
        "Exit status: 0 done, 1 the kernel refused a value, 2 bad usage (unknown\n"
        "option names and bad values; the known names are listed).\n");
}

enum { OPT_TCP = 256, OPT_UDP, OPT_CONNECTED, OPT_LIST, OPT_JSON };

static const struct option long_opts[] = {
    { "tcp", no_argument, NULL, OPT_TCP },
    { "udp", no_argument, NULL, OPT_UDP },
    { "set", required_argument, NULL, 's' },
    { "connected", no_argument, NULL, OPT_CONNECTED },
    { "list", no_argument, NULL, OPT_LIST },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Parse argv into o; any mistake exits 2. --set values are checked later,
 * once --json is known, so that their errors can go inside the document. */
static void parse(int argc, char **argv, sockopt_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->family = AF_INET;
    o->socktype = SOCK_STREAM;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":46s:h", long_opts, NULL)) != -1) {
        switch (ch) {
        case '4': o->family = AF_INET; break;
        case '6': o->family = AF_INET6; break;
        case OPT_TCP: o->socktype = SOCK_STREAM; break;
        case OPT_UDP: o->socktype = SOCK_DGRAM; break;
        case 's':
            if (o->nset == SOCKOPT_MAXSET)
                cli_usage_error("at most %d --set options", SOCKOPT_MAXSET);
            o->set[o->nset++] = optarg;
            break;
        case OPT_CONNECTED: o->connected = true; break;
        case OPT_LIST: o->list = true; break;
        case OPT_JSON: o->json = true; break;
        case 'h': help();
        case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
}

/* Fill err as a usage fault (SL_EINPUT). Returns -1. */
static int bad(sl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(sl_err *err, const char *fmt, ...)
{
    va_list ap;
    err->kind = SL_EINPUT;
    err->code = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* Check one NAME=VALUE for socket o and fill s; SL_EINPUT on any fault. */
static int check_set(const sockopt_opts *o, const char *arg, sockopt_set *s, sl_err *err)
{
    char name[64];
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : 0;
    memset(s, 0, sizeof(*s));
    if (eq == NULL || n == 0 || n >= sizeof(name))
        return bad(err, "--set '%.40s': expected NAME=VALUE", arg);
    memcpy(name, arg, n);
    name[n] = '\0';
    s->opt = sl_sockopt_find(name);
    s->text = eq + 1;
    if (s->opt == NULL)
        return bad(err, "--set: unknown option '%.40s'", name);
    if (!sl_sockopt_applies(s->opt, o->family, o->socktype))
        return bad(err, "--set: %s does not apply to an %s %s socket", s->opt->name,
                   o->family == AF_INET6 ? "IPv6" : "IPv4",
                   o->socktype == SOCK_DGRAM ? "UDP" : "TCP");
    return sl_optval_parse(s->opt, s->text, &s->requested, err);
}

/* Apply every --set to the socket; a refusal is kept in its row. */
static void apply_sets(sockopt_report *r)
{
    for (size_t i = 0; i < r->nset; i++) {
        sockopt_set *s = &r->sets[i];
        s->failed = sl_sockopt_set(r->probe.fd, s->opt, &s->requested, &s->err) < 0;
    }
}

/* Read every --set back and explain the difference. */
static int read_sets(sockopt_report *r)
{
    int rc = 0;
    for (size_t i = 0; i < r->nset; i++) {
        sockopt_set *s = &r->sets[i];
        if (!s->failed &&
            (sl_sockopt_get(r->probe.fd, s->opt, &s->actual, &s->err) < 0 ||
             sl_sockopt_explain(s->opt, r->probe.family, r->probe.socktype, &s->requested,
                                &s->actual, &s->note, &s->err) < 0))
            s->failed = true;
        if (s->failed)
            rc = -1;
    }
    return rc;
}

/* Read every option of the table that applies to the socket. */
static int read_rows(sockopt_report *r)
{
    size_t count;
    const sl_sockopt *t = sl_sockopt_table(&count);
    r->rows = calloc(count, sizeof(*r->rows));
    if (r->rows == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        sockopt_row *row = &r->rows[r->nrows];
        if (!sl_sockopt_applies(&t[i], r->probe.family, r->probe.socktype))
            continue;
        row->opt = &t[i];
        row->ok = sl_sockopt_get(r->probe.fd, &t[i], &row->val, &row->err) == 0;
        row->has_default = sl_sockopt_default(&t[i], r->probe.socktype, &row->sysctl,
                                              &row->def, NULL);
        r->nrows++;
    }
    return 0;
}

/* Check every --set, then make the socket and measure it. */
static int measure(const sockopt_opts *o, sockopt_report *r, sl_err *err)
{
    r->nset = o->nset;
    r->connected = o->connected;
    for (size_t i = 0; i < o->nset; i++) {
        if (check_set(o, o->set[i], &r->sets[i], err) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (r->sets[k].opt == r->sets[i].opt)
                return bad(err, "--set: %s is given twice", r->sets[i].opt->name);
    }
    if (sl_probe_open(&r->probe, o->family, o->socktype, err) < 0)
        return -1;
    apply_sets(r);
    if (o->connected && sl_probe_connect(&r->probe, err) < 0)
        return -1;
    if (read_rows(r) < 0)
        return bad(err, "out of memory");
    if (read_sets(r) < 0) {
        for (size_t i = 0; i < r->nset; i++)
            if (r->sets[i].failed) {
                *err = r->sets[i].err;
                break;
            }
        return -1;
    }
    return 0;
}

/* --list: every option, where it applies, and how its value is written. */
static int list(bool json)
{
    size_t count;
    const sl_sockopt *t = sl_sockopt_table(&count);
    cli_json j;
    if (json) {
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_str(&j, "command", "sockopt");
        json_bool(&j, "ok", true);
        json_array_begin(&j, "known_options");
    }
    for (size_t i = 0; i < count; i++) {
        const char *on = t[i].sockets == (SL_OPT_TCP | SL_OPT_UDP) ? "TCP, UDP"
                       : t[i].sockets == SL_OPT_TCP ? "TCP" : "UDP";
        if (!json) {
            printf("%-20s %-13s %-9s %s\n", t[i].name, t[i].level_name, on,
                   t[i].readonly ? "read only" : sl_optval_syntax(&t[i]));
            continue;
        }
        json_object_begin(&j, NULL);
        json_str(&j, "name", t[i].name);
        json_str(&j, "level", t[i].level_name);
        json_str(&j, "sockets", on);
        json_str(&j, "readonly", t[i].readonly);
        json_str(&j, "syntax", sl_optval_syntax(&t[i]));
        json_str(&j, "meaning", t[i].meaning);
        json_object_end(&j);
    }
    if (json) {
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_OK;
}

int cmd_sockopt(int argc, char **argv)
{
    sockopt_opts o;
    sockopt_report *r;
    sl_err err;
    int rc;

    parse(argc, argv, &o);
    if (o.list)
        return list(o.json);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    r->probe.fd = r->probe.peer_fd = r->probe.listen_fd = -1;
    sl_err_clear(&err);
    rc = measure(&o, r, &err);
    if (o.json)
        sockopt_print_json(r, rc < 0 ? &err : NULL);
    else if (rc == 0 || err.kind != SL_EINPUT)
        sockopt_print_text(r);
    if (rc < 0) {
        cli_error("%s", err.msg);
        if (err.kind == SL_EINPUT)
            sockopt_list_names(stderr);
    }
    sl_probe_close(&r->probe);
    free(r->rows);
    free(r);
    return rc == 0 ? CLI_OK : err.kind == SL_EINPUT ? CLI_USAGE : CLI_FAIL;
}
