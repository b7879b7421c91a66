/* cli/state.h: the socket table as `socklab state` and the demos show it:
 * collected, filtered, sorted, with owners, printed as text or JSON. */
#ifndef SL_CLI_STATE_H
#define SL_CLI_STATE_H

#include <stdbool.h>
#include <stdio.h>
#include "socklab/socklab.h"

typedef struct state_filter {
    bool by_port;
    uint16_t port;       /* local or remote port */
    bool tcp, udp;       /* neither: both */
    int family;          /* AF_UNSPEC: both */
    int state;           /* kernel state number, -1: any */
} state_filter;

typedef struct state_row {
    sl_sockinfo info;
    pid_t pid;           /* 0: no visible owner */
    int fd;
    char comm[32];
} state_row;

typedef struct state_table {
    state_row *rows;
    size_t n, cap;
    sl_diag_source source;
} state_table;

/* A state name (TCP names, ss's ESTAB/TIME-WAIT spellings, UNCONN for an
 * unconnected UDP socket) to the kernel's number; -1 when unknown. */
int state_parse_name(const char *name);

/* The name to show for a row: UDP's CLOSE is "UNCONN". */
const char *state_row_name(const sl_sockinfo *info);

/* Read the table (netlink, or /proc when proc or when netlink is refused),
 * keep what f lets through, sort, and find owners. */
int state_collect(state_table *t, const state_filter *f, bool proc, sl_err *err);
void state_table_free(state_table *t);

/* "127.0.0.1:80"; a zero port prints as "*" ("0.0.0.0:*"), as ss does. */
char *state_addr(const sl_addr *a, char *buf, size_t len);
/* "timewait 57.3 s", "retrans 0.2 s", "keepalive 7199 s", or "". */
char *state_timer(const sl_sockinfo *info, char *buf, size_t len);

void state_print_table(const state_table *t, FILE *out);
void state_print_json(const state_table *t, FILE *out);

#endif
