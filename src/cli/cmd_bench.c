/* cli/cmd_bench.c: `socklab bench`: not built yet (issue 8). */
#include "cli/cli.h"

int cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 8)");
    return CLI_FAIL;
}
