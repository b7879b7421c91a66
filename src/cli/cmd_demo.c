/* cli/cmd_demo.c: `socklab demo [NAME]`: the seeds' experiments, each
 * narrated step by step with what the kernel shows. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"

static const demo demos[] = {
    { "timewait", "the side that closes first waits in TIME_WAIT; bind() and SO_REUSEADDR",
      true, demo_timewait },
    { "halfclose", "shutdown(SHUT_WR) still receives the late reply; close() loses it (RST)",
      true, demo_halfclose },
    { "zombie", "unreaped children are zombies; one waitpid per SIGCHLD leaves some behind",
      false, demo_zombie },
    { "close", "the four-way close step by step; --simultaneous: both sides pass CLOSING",
      true, demo_close },
    { "udp-boundary", "three sendto() calls arrive as three datagrams", false,
      demo_udp_boundary },
    { "tcp-stream", "three writes arrive as one read: TCP keeps no boundaries", true,
      demo_tcp_stream },
    { NULL, NULL, false, NULL },
};

static const char usage_text[] =
    "usage: socklab demo [NAME] [OPTIONS]\n\n"
    "Run one of the seeds' experiments, narrated step by step: what is done, what\n"
    "the kernel's socket table shows, and why. Each finishes in seconds, uses\n"
    "loopback and port 0 only, and cleans up after itself. Without NAME, list them.\n\n"
    "  --trace          capture the demo's segments on the loopback and draw them\n"
    "                   as a sequence diagram (TCP demos; needs CAP_NET_RAW: without\n"
    "                   it the demo says so and runs without the trace)\n"
    "  --simultaneous   close: both sides close at the same moment (CLOSING)\n"
    "  --host-net       run on the host's loopback instead of a private network\n"
    "                   namespace (the default when permitted)\n"
    "  -h, --help       this help\n\n"
    "Exit status: 0 done, 1 failure, 2 bad usage, 3 the demo cannot be done on\n"
    "this machine (close needs CAP_SYS_ADMIN and /dev/net/tun for its two\n"
    "network namespaces); the reason is printed.\n";

enum { OPT_TRACE = 256, OPT_SIMUL, OPT_HOSTNET };

static const struct option long_opts[] = {
    { "trace", no_argument, NULL, OPT_TRACE },
    { "simultaneous", no_argument, NULL, OPT_SIMUL },
    { "host-net", no_argument, NULL, OPT_HOSTNET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Print the list of demos. */
static void list(void)
{
    printf("Demos (socklab demo NAME [--trace]):\n");
    for (const demo *d = demos; d->name != NULL; d++)
        printf("  %-13s %s\n", d->name, d->summary);
}

/* Parse options into o; returns the demo named, or NULL for the list. */
static const demo *parse(int argc, char **argv, demo_opts *o)
{
    const demo *d;
    int ch;
    memset(o, 0, sizeof(*o));
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_TRACE: o->trace = true; break;
        case OPT_SIMUL: o->simultaneous = true; break;
        case OPT_HOSTNET: o->host_net = true; break;
        case 'h': cli_help(usage_text);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return NULL;
    for (d = demos; d->name != NULL && strcmp(d->name, argv[optind]) != 0; d++)
        ;
    if (d->name == NULL)
        cli_usage_error("'%.40s' is not a demo (run 'socklab demo' for the list)", argv[optind]);
    if (optind + 1 < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind + 1]);
    if (o->simultaneous && d->run != demo_close)
        cli_usage_error("--simultaneous applies to 'close' only");
    if (o->trace && !d->tcp)
        cli_usage_error("--trace applies to the TCP demos only (not %s)", d->name);
    return d;
}

int cmd_demo(int argc, char **argv)
{
    struct sigaction sa;
    demo_opts o;
    const demo *d = parse(argc, argv, &o);
    if (d == NULL) {
        list();
        return CLI_OK;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return d->run(&o);
}
