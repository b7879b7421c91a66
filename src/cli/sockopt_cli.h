/* cli/sockopt_cli.h: what `socklab sockopt` measured, shared between its
 * command file and its printers. */
#ifndef SL_CLI_SOCKOPT_H
#define SL_CLI_SOCKOPT_H

#include <stdbool.h>
#include <stdio.h>
#include "cli/cli.h"
#include "socklab/sockopt.h"

#define SOCKOPT_MAXSET 64

/* One --set NAME=VALUE, after it was applied and read back. */
typedef struct sockopt_set {
    const sl_sockopt *opt;
    const char *text;          /* VALUE as given */
    sl_optval requested;
    sl_optval actual;
    sl_optnote note;
    bool failed;               /* setsockopt or getsockopt failed: see err */
    sl_err err;
} sockopt_set;

/* One row of the table of options, read from the socket. */
typedef struct sockopt_row {
    const sl_sockopt *opt;
    bool ok;
    sl_optval val;
    sl_err err;                /* when !ok */
    int has_default;           /* 1: the sysctl below holds the default */
    const char *sysctl;
    sl_optval def;
} sockopt_row;

/* Everything one run measured. */
typedef struct sockopt_report {
    sl_probe probe;
    bool connected;
    size_t nset;
    sockopt_set sets[SOCKOPT_MAXSET];
    size_t nrows;
    sockopt_row *rows;
} sockopt_report;

/* Text and JSON output of a report. */
void sockopt_print_text(const sockopt_report *r);
void sockopt_print_json(const sockopt_report *r, const sl_err *err);

/* The sentence that explains a note, into buf. */
const char *sockopt_note_text(const sockopt_set *s, char *buf, size_t len);

/* Every option name on one line, on stderr (after a bad --set). */
void sockopt_list_names(FILE *out);

#endif
