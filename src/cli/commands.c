/* cli/commands.c: the table of socklab's subcommands, in --help order. */
#include <stddef.h>
#include "cli/cli.h"

const cli_command cli_commands[] = {
    { "echo-server", "serve the echo service (TCP and UDP) under a chosen model", cmd_echo_server },
    { "echo-client", "send lines, print each echo as the book's client does", cmd_echo_client },
    { "file-server", "serve a file with half-close; the receiver verifies it", cmd_file_server },
    { "file-client", "fetch a file, verify it, reply 'Thank you'", cmd_file_client },
    { "lookup", "DNS lookup: the hostent fields, forward and reverse", cmd_lookup },
    { "sockopt", "show and set socket options, with what the kernel did", cmd_sockopt },
    { "inet", "byte order and inet_* address conversions", cmd_inet },
    { "state", "the kernel's socket table, TIME_WAIT countdowns", cmd_state },
    { "demo", "the seeds' experiments, narrated (timewait, halfclose, zombie...)", cmd_demo },
    { "bench", "load generator: round trips, latency percentiles, throughput", cmd_bench },
    { "relay", "TCP/UDP relay that injects faults", cmd_relay },
    { "wait", "wait until a TCP port accepts connections", cmd_wait },
    { NULL, NULL, NULL },
};
