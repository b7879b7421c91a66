/* cli/server_cli.h: what every server command shares: where it listens,
 * how clients are scheduled, the limits, the log. A server command splices
 * CLI_SERVER_LONGOPTS into its option table, gives each option to
 * cli_server_option first, and numbers its own options from CLI_SERVER_OPT_END. */
#ifndef SL_CLI_SERVER_H
#define SL_CLI_SERVER_H

#include <getopt.h>
#include <stdio.h>
#include "cli/cli.h"

typedef struct cli_server {
    sl_endpoint ep;
    sl_listen_opts listen;
    sl_server_config cfg;
    cli_log log;
    const char *port;    /* -p as given, until cli_server_finish */
    const char *bind;    /* -b as given, until cli_server_finish */
} cli_server;

enum {
    CLI_SERVER_OPT_MAX = 256, CLI_SERVER_OPT_IDLE, CLI_SERVER_OPT_CLOSE,
    CLI_SERVER_OPT_COUNT, CLI_SERVER_OPT_BACKLOG, CLI_SERVER_OPT_PROCS, CLI_SERVER_OPT_END
};

#define CLI_SERVER_SHORTOPTS "p:b:46m:w:q"

#define CLI_SERVER_LONGOPTS \
    { "port", required_argument, NULL, 'p' }, \
    { "bind", required_argument, NULL, 'b' }, \
    { "model", required_argument, NULL, 'm' }, \
    { "workers", required_argument, NULL, 'w' }, \
    { "max-clients", required_argument, NULL, CLI_SERVER_OPT_MAX }, \
    { "idle-timeout", required_argument, NULL, CLI_SERVER_OPT_IDLE }, \
    { "close-timeout", required_argument, NULL, CLI_SERVER_OPT_CLOSE }, \
    { "count", required_argument, NULL, CLI_SERVER_OPT_COUNT }, \
    { "backlog", required_argument, NULL, CLI_SERVER_OPT_BACKLOG }, \
    { "worker-processes", no_argument, NULL, CLI_SERVER_OPT_PROCS }, \
    { "quiet", no_argument, NULL, 'q' }

/* Start from the defaults (port 9190, SO_REUSEADDR on, the default model). */
void cli_server_init(cli_server *s, const char *service);

/* Apply option ch (with optarg) when it is one of the shared ones; false
 * when the command must handle it. Bad values exit 2. */
bool cli_server_option(cli_server *s, int ch, const char *arg);

/* After getopt: parse -b, apply -p, and refuse what contradicts. */
void cli_server_finish(cli_server *s);

/* The help lines for -p, -b, -4/-6 and -m with one line per model. */
void cli_server_help_where(FILE *out);

/* The help lines for -w and --worker-processes. */
void cli_server_help_workers(FILE *out);

/* Run srv with SIGINT/SIGTERM stopping it; returns sl_server_run's result. */
int cli_server_run(sl_server *srv, sl_err *err);

#endif
