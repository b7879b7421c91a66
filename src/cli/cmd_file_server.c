/* cli/cmd_file_server.c: `socklab file-server`: not built yet (issue 5). */
#include "cli/cli.h"

int cmd_file_server(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("not built yet in this version (see issue 5)");
    return CLI_FAIL;
}
