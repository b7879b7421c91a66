/* cli/cli.h: the command frame shared by every subcommand. Only cli/
 * prints or exits. Exit status: 0 success, 1 runtime failure, 2 usage. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include "socklab/socklab.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);   /* argv[0] is the command's name */
} cli_command;

/* The table of subcommands (cli/commands.c), NULL-name terminated. */
extern const cli_command cli_commands[];

/* The name of the command being run ("echo-server"), for messages. */
extern const char *cli_current;

/* "socklab: CMD: message" on stderr, "Try ..." and exit 2. */
noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "socklab: CMD: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a library error: exit status 2 for input errors, 1 otherwise. */
int cli_fail(const sl_err *err);

/* Range-checked numbers from option values; usage error (exit 2) otherwise. */
uint64_t cli_uint(const char *opt, const char *text, uint64_t min, uint64_t max);
/* Seconds with an optional fraction ("1", "0.25"), returned in milliseconds. */
int cli_seconds_ms(const char *opt, const char *text, double min, double max);
/* A port 0..65535 given as an option value. */
uint16_t cli_port(const char *opt, const char *text);
/* A size with an optional K, M or G suffix (powers of 1024). */
uint64_t cli_size(const char *opt, const char *text, uint64_t min, uint64_t max);

/* Endpoint parsing with a usage error on bad input. */
void cli_endpoint(const char *what, const char *text, sl_endpoint *ep);

/* A client command's target from argv[*i]: HOST PORT, or one HOST:PORT,
 * [IPv6]:PORT or unix:PATH argument; *i moves past what was used. A missing
 * host takes default_host, or is a usage error when that is NULL. */
void cli_target(int argc, char **argv, int *i, const char *default_host, sl_endpoint *ep);

/* Handle --help/-h the same way everywhere: print usage, exit 0. */
noreturn void cli_help(const char *usage);

/* Raise this process's descriptor limit to its hard limit; returns the
 * limit (a large number when unlimited). */
long long cli_raise_fd_limit(void);

/* The server log: events on stderr, per-client lines off when quiet. */
typedef struct cli_log {
    bool quiet;
    const char *service;   /* word for byte counts ("echoed") */
} cli_log;
void cli_log_event(const sl_event *ev, void *arg);

/* SIGINT/SIGTERM stop srv (no SA_RESTART, so blocked calls return EINTR);
 * SIGPIPE is ignored. NULL restores the default SIGINT/SIGTERM. */
void cli_signals_server(sl_server *srv);

/* The command functions, one file each. */
int cmd_echo_server(int argc, char **argv);
int cmd_echo_client(int argc, char **argv);
int cmd_file_server(int argc, char **argv);
int cmd_file_client(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_sockopt(int argc, char **argv);
int cmd_inet(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_wait(int argc, char **argv);

#endif
