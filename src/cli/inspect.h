/* cli/inspect.h: what lookup, sockopt and inet share: failures reported
 * both on stderr and, with --json, inside the one JSON document. */
#ifndef SL_CLI_INSPECT_H
#define SL_CLI_INSPECT_H

#include <stdbool.h>
#include "cli/cli.h"
#include "cli/json.h"

/* Inside an open JSON object: "ok": false and an "error" object. */
void inspect_json_error(cli_json *j, const sl_err *err);

/* A failure before any output: the message on stderr and, when json, the
 * document {"command": ..., "ok": false, "error": {...}} on stdout.
 * Returns the exit status: 2 for input errors, 1 otherwise. */
int inspect_fail(bool json, const char *command, const sl_err *err);

/* The name of an address family ("AF_INET"), for text and JSON. */
const char *inspect_family(int family);

#endif
