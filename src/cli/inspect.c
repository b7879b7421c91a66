/* cli/inspect.c: failures of lookup, sockopt and inet, on stderr and
 * inside their JSON documents. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/inspect.h"

void inspect_json_error(cli_json *j, const sl_err *err)
{
    json_bool(j, "ok", false);
    json_object_begin(j, "error");
    json_str(j, "kind", sl_errkind_name(err->kind));
    json_int(j, "code", err->code);
    json_str(j, "message", err->msg);
    json_object_end(j);
}

int inspect_fail(bool json, const char *command, const sl_err *err)
{
    if (json) {
        cli_json j;
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_str(&j, "command", command);
        inspect_json_error(&j, err);
        json_object_end(&j);
        json_finish(&j);
    }
    return cli_fail(err);
}

const char *inspect_family(int family)
{
    switch (family) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNSPEC: return "AF_UNSPEC";
    default: return "AF_?";
    }
}
