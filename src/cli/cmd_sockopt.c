/* cli/cmd_sockopt.c: `socklab sockopt`: not built yet (issue 6). */
#include "cli/cli.h"

int cmd_sockopt(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 6)");
    return CLI_FAIL;
}
