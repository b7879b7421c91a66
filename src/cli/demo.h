/* cli/demo.h: the frame shared by the narrated experiments of `socklab demo`:
 * narration, what the kernel's socket table shows, the packet trace. */
#ifndef SL_CLI_DEMO_H
#define SL_CLI_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include "cli/cli.h"
#include "socklab/capture.h"

/* Exit status of a demo that cannot be done on this machine (documented in
 * `socklab demo --help`; tests skip on it). */
enum { DEMO_NOT_HERE = 3 };

typedef struct demo_opts {
    bool trace;          /* --trace: capture and draw the segments */
    bool simultaneous;   /* close --simultaneous */
    bool host_net;       /* --host-net: no private network namespace */
} demo_opts;

typedef struct demo {
    const char *name;
    const char *summary;
    bool tcp;            /* --trace applies */
    int (*run)(const demo_opts *o);
} demo;

/* The demos, one file each (cli/demo_*.c). */
int demo_timewait(const demo_opts *o);
int demo_halfclose(const demo_opts *o);
int demo_zombie(const demo_opts *o);
int demo_close(const demo_opts *o);
int demo_udp_boundary(const demo_opts *o);
int demo_tcp_stream(const demo_opts *o);

/* Narration on stdout: a title, numbered steps, indented lines, a "why". */
void demo_title(const char *name, const char *what);
void demo_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void demo_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A key observation, "  => ...", the lines the tests check. */
void demo_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a library failure and return CLI_FAIL. */
int demo_fail(const sl_err *err);

/* Move into a private network namespace unless --host-net, and say where
 * the demo runs. */
void demo_network(const demo_opts *o);

/* Print the socket table rows whose local or remote port is port, as
 * "    kernel: ..." lines (TCP only). Returns how many. */
int demo_kernel(uint16_t port);

/* Wait up to timeout_ms until a TCP socket with local port lport (and
 * remote port rport when not 0) is in state; state 0: until none is left.
 * Returns 1 when it happened, 0 on timeout. */
int demo_wait_state(uint16_t lport, uint16_t rport, int state, int timeout_ms);

/* A listener on 127.0.0.1:0 (SO_REUSEADDR unless no_reuse) and a connected
 * client with the accepted socket. Returns 0 or -1 with err; fds are -1 on
 * failure. */
typedef struct demo_pair {
    int lfd, cfd, sfd;       /* listener, client, server's accepted socket */
    uint16_t port, cport;    /* server port, client's port */
} demo_pair;
int demo_pair_open(demo_pair *p, bool no_reuse, const char *host, sl_err *err);
/* Connect the client and accept (after demo_trace_start has run). */
int demo_pair_connect(demo_pair *p, const char *host, sl_err *err);
void demo_pair_close(demo_pair *p);

/* --trace: a capture on lo of one port, or a note that it is not possible. */
typedef struct demo_trace {
    sl_capture *cap;
    bool wanted;
} demo_trace;
void demo_trace_start(demo_trace *t, const demo_opts *o, uint16_t port);
/* Drain the capture and draw it; server_port names the server side. */
void demo_trace_finish(demo_trace *t, uint16_t server_port);
/* Draw segments as a sequence diagram with each side's state. */
void demo_trace_draw(const sl_seglist *segs, uint16_t server_port);

#endif
