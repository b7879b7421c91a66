/* cli/cmd_lookup.c: `socklab lookup`: not built yet (issue 6). */
#include "cli/cli.h"

int cmd_lookup(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 6)");
    return CLI_FAIL;
}
