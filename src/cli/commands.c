/* cli/commands.c: the table of socklab's subcommands, in --help order. */
#include <stddef.h>
#include "cli/cli.h"

const cli_command cli_commands[] = {
    { "echo-server", "serve the echo service (TCP) under a chosen model", cmd_echo_server },
    { "echo-client", "send lines, print each echo as the book's client does", cmd_echo_client },
    { NULL, NULL, NULL },
};
