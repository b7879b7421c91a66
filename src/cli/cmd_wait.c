/* cli/cmd_wait.c: `socklab wait`: not built yet (issue 10). */
#include "cli/cli.h"

int cmd_wait(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 10)");
    return CLI_FAIL;
}
