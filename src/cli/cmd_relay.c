/* cli/cmd_relay.c: `socklab relay`: not built yet (issue 9). */
#include "cli/cli.h"

int cmd_relay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 9)");
    return CLI_FAIL;
}
