/* cli/cmd_inet.c: `socklab inet`: the host's byte order, htons/htonl and
 * friends shown as bytes in memory, every inet_* conversion of an address
 * with what it returns, its class and special ranges, and the textbook's
 * pitfalls run for real. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inet_cli.h"
#include "cli/inspect.h"

static noreturn void help(void)
{
    cli_help(
        "usage: socklab inet [ADDRESS...] [-o VALUE]... [-p] [--json]\n\n"
        "Byte order and the inet_* address conversions, shown the way the kernel\n"
        "and the C library see them. With no arguments: the host's byte order,\n"
        "htons/htonl of 0x1234 and the pitfalls (as -o 0x1234 -p).\n\n"
        "  ADDRESS...          run inet_addr, inet_aton (then inet_ntoa), inet_pton\n"
        "                      and inet_ntop (AF_INET and AF_INET6) on each text and\n"
        "                      show what each returns; then the IPv4 class (A-E by\n"
        "                      the leading bits) and every special range the address\n"
        "                      is in (loopback, private, link-local, multicast, CGNAT,\n"
        "                      documentation, broadcast, unspecified; IPv6 alike)\n"
        "  -o, --order VALUE   htons/ntohs (when VALUE fits 16 bits) and htonl/ntohl\n"
        "                      of VALUE (decimal, 0x hex or 0 octal), with its bytes in\n"
        "                      memory before and after; repeatable\n"
        "  -p, --pitfalls      the textbook's pitfalls: inet_addr(\"1.2.3.256\") is\n"
        "                      INADDR_NONE, the same as 255.255.255.255; inet_ntoa's\n"
        "                      static buffer overwritten by the next call; the\n"
        "                      shorthand 127.1 and 0x7f.1 that inet_aton accepts and\n"
        "                      inet_pton refuses\n"
        "      --json          one JSON document on standard output (errors inside it)\n"
        "  -h, --help          this help\n\n"
        "Examples: socklab inet 127.1 ::ffff:10.0.0.1   socklab inet -o 0x12345678\n"
        "Exit status: 0 done (an address no function accepts is a result, not an\n"
        "error), 2 bad usage (a VALUE that is not a number, an over-long address).\n");
}

enum { OPT_JSON = 256 };

static const struct option long_opts[] = {
    { "order", required_argument, NULL, 'o' },
    { "pitfalls", no_argument, NULL, 'p' },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Parse argv into o; option mistakes exit 2 here, values are checked by
 * inet_measure (so that --json can carry their errors). */
static void parse(int argc, char **argv, inet_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:ph", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            if (o->norder == INET_MAX)
                cli_usage_error("at most %d --order values", INET_MAX);
            o->order[o->norder++] = optarg;
            break;
        case 'p': o->pitfalls = true; break;
        case OPT_JSON: o->json = true; break;
        case 'h': help();
        case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    if (argc - optind > INET_MAX)
        cli_usage_error("at most %d addresses at a time", INET_MAX);
    for (; optind < argc; optind++)
        o->addr[o->naddr++] = argv[optind];
    if (o->naddr == 0 && o->norder == 0 && !o->pitfalls) {
        o->order[o->norder++] = "0x1234";
        o->pitfalls = true;
    }
}

int cmd_inet(int argc, char **argv)
{
    inet_opts o;
    inet_report *r;
    sl_err err;
    int rc;

    parse(argc, argv, &o);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    sl_err_clear(&err);
    rc = inet_measure(&o, r, &err);
    if (o.json)
        inet_print_json(r, rc < 0 ? &err : NULL);
    else if (rc == 0)
        inet_print_text(r);
    free(r);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
