/* cli/inet_cli.h: what `socklab inet` measured, shared between its
 * command file and its printers. */
#ifndef SL_CLI_INET_H
#define SL_CLI_INET_H

#include <stdbool.h>
#include "cli/cli.h"
#include "socklab/inet.h"

#define INET_MAX 32

typedef struct inet_opts {
    size_t norder, naddr;
    const char *order[INET_MAX];
    const char *addr[INET_MAX];
    bool pitfalls, json;
} inet_opts;

/* One address: every conversion, and the class of what was understood. */
typedef struct inet_addr_report {
    sl_inet_conv conv;
    const char *class_from;    /* "inet_pton" or "inet_aton"; NULL: not an address */
    sl_inet_class cls;
} inet_addr_report;

/* One --order value: its 16-bit view when it fits, and its 32-bit view. */
typedef struct inet_order_report {
    bool has16;
    sl_order_view v16, v32;
} inet_order_report;

/* The pitfalls, each run for real. */
typedef struct inet_pitfalls {
    sl_inet_conv bad, broadcast;          /* "1.2.3.256", "255.255.255.255" */
    sl_ntoa_demo ntoa;                     /* inet_ntoa(1.2.3.4), then (5.6.7.8) */
    sl_inet_conv shorthand[3];             /* "127.1", "0x7f.1", "010.1" */
} inet_pitfalls;

typedef struct inet_report {
    bool big_endian;
    size_t norder, naddr;
    inet_order_report order[INET_MAX];
    inet_addr_report addr[INET_MAX];
    bool has_pitfalls;
    inet_pitfalls pit;
} inet_report;

/* Run everything o asks for into r. SL_EINPUT for a bad value or text. */
int inet_measure(const inet_opts *o, inet_report *r, sl_err *err);

void inet_print_text(const inet_report *r);
void inet_print_json(const inet_report *r, const sl_err *err);

#endif
