/* cli/cmd_state.c: `socklab state`: not built yet (issue 7). */
#include "cli/cli.h"

int cmd_state(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 7)");
    return CLI_FAIL;
}
