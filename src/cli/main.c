/* cli/main.c: socklab's entry point: global options and dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

const char *cli_current = NULL;

/* The top-level usage, listing every command. */
static void usage(FILE *out)
{
    fprintf(out,
            "usage: socklab COMMAND [OPTIONS] [ARGS]\n"
            "       socklab COMMAND --help\n"
            "       socklab --version\n\n"
            "The programs of the classic TCP/IP socket course, done properly.\n\n"
            "Commands:\n");
    for (const cli_command *c = cli_commands; c->name != NULL; c++)
        fprintf(out, "  %-14s %s\n", c->name, c->summary);
    fprintf(out, "\nExit status: 0 success, 1 runtime failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("socklab %s\n", sl_version());
        return CLI_OK;
    }
    for (const cli_command *c = cli_commands; c->name != NULL; c++) {
        if (strcmp(argv[1], c->name) == 0) {
            cli_current = c->name;
            return c->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "socklab: '%s' is not a command; see 'socklab --help'\n", argv[1]);
    return CLI_USAGE;
}
