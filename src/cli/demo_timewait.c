/* cli/demo_timewait.c: `socklab demo timewait`: the seed's reuseadr_eserver
 * experiment. The server closes first and its port waits in TIME_WAIT;
 * bind() fails without SO_REUSEADDR and succeeds with it (on Linux only
 * when the old server set it too); when the client closes first, nothing
 * blocks the server. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/demo.h"

#define HOST "127.0.0.1"

/* Exchange one line over the pair: the client says hello, the server echoes. */
static int hello(demo_pair *p, sl_err *err)
{
    char buf[6];
    if (sl_write_all(p->cfd, "hello", 5, err) < 0 || sl_read_full(p->sfd, buf, 5, err) != 5 ||
        sl_write_all(p->sfd, buf, 5, err) < 0 || sl_read_full(p->cfd, buf, 5, err) != 5)
        return -1;
    return 0;
}

/* Open a pair on port 0 and connect it, narrating; trace when asked. */
static int start(demo_pair *p, bool no_reuse, demo_trace *tr, const demo_opts *o, sl_err *err)
{
    if (demo_pair_open(p, no_reuse, HOST, err) < 0)
        return -1;
    demo_step("The server listens on " HOST ":0 %s; the kernel picked port %u.",
              no_reuse ? "WITHOUT SO_REUSEADDR (as reuseadr_eserver.c)"
                       : "with SO_REUSEADDR (as every socklab server)", (unsigned)p->port);
    demo_trace_start(tr, o, p->port);
    if (demo_pair_connect(p, HOST, err) < 0 || hello(p, err) < 0)
        return -1;
    demo_step("A client connects from port %u; it sends \"hello\" and the server echoes it.",
              (unsigned)p->cport);
    demo_kernel(p->port);
    return 0;
}

/* Read on fd and expect end of file (the peer's FIN). */
static int expect_eof(int fd, const char *who, sl_err *err)
{
    char c;
    ssize_t n = sl_read_some(fd, &c, 1, err);
    if (n > 0) {
        err->kind = SL_EPEER;
        snprintf(err->msg, sizeof(err->msg), "%s: data where end of file was expected", who);
    }
    return n == 0 ? 0 : -1;
}

/* The server closes first; wait for its side to reach TIME_WAIT. */
static int server_closes(demo_pair *p, sl_err *err)
{
    p->sfd = sl_close(p->sfd);
    p->lfd = sl_close(p->lfd);
    if (expect_eof(p->cfd, "client", err) < 0)
        return -1;
    p->cfd = sl_close(p->cfd);
    demo_step("The server closes first: its FIN goes out; the client reads end of file "
              "(read returns 0) and closes too.");
    if (!demo_wait_state(p->port, p->cport, SL_TCP_TIME_WAIT, 5000))
        demo_say("(TIME_WAIT did not show within 5 s)");
    demo_kernel(p->port);
    demo_why("the side that sends the first FIN passes FIN_WAIT1, FIN_WAIT2, then waits in "
             "TIME_WAIT for 2 MSL (60 s on Linux): if its last ACK is lost, the peer resends "
             "its FIN and this side must still be there to answer it; and old duplicates of "
             "this 5-tuple must die before the same tuple is used again.");
    return 0;
}

/* Try to bind the port with or without SO_REUSEADDR; print the outcome.
 * Returns true when the bind succeeded. */
static bool rebind(uint16_t port, bool reuse)
{
    sl_listen_opts lo = { .socktype = SOCK_STREAM, .no_reuseaddr = !reuse, .v6only = -1 };
    sl_endpoint ep;
    char what[80];
    sl_err err;
    int fd;

    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), HOST);
    snprintf(ep.port, sizeof(ep.port), "%u", (unsigned)port);
    snprintf(what, sizeof(what), "bind %s:%u %s SO_REUSEADDR", HOST, (unsigned)port,
             reuse ? "with" : "without");
    fd = sl_listen(&ep, &lo, NULL, &err);
    if (fd >= 0) {
        sl_close(fd);
        demo_result("%s: succeeded", what);
        return true;
    }
    demo_result("%s: failed: %s", what,
                err.code == EADDRINUSE ? "EADDRINUSE" : strerror(err.code));
    demo_say("the library says: %s", err.msg);
    return false;
}

/* Part 1: the server (SO_REUSEADDR on) closes first. */
static int server_first(const demo_opts *o, sl_err *err)
{
    demo_pair p;
    demo_trace tr = { 0 };
    uint16_t port;
    int rc = -1;

    if (start(&p, false, &tr, o, err) < 0 || server_closes(&p, err) < 0)
        goto out;
    port = p.port;
    demo_step("A new server tries the same port without SO_REUSEADDR, as the seed's "
              "restarted reuseadr_eserver does.");
    rebind(port, false);
    demo_why("while a TIME_WAIT socket holds the local address, bind() refuses it by "
             "default: the seed's \"bind() error\" for about a minute.");
    demo_step("The same bind with SO_REUSEADDR set first.");
    rebind(port, true);
    demo_why("SO_REUSEADDR lets bind() reuse an address held only by TIME_WAIT sockets "
             "(never one a listener holds). On Linux both sockets must have set it: the "
             "old server did, so the new one may bind.");
    demo_trace_finish(&tr, port);
    rc = 0;
out:
    demo_pair_close(&p);
    if (tr.cap != NULL)
        sl_capture_close(tr.cap);
    return rc;
}

/* Part 2: the old server did not set SO_REUSEADDR: Linux's rule. */
static int old_without_reuse(const demo_opts *o, sl_err *err)
{
    demo_opts quiet = *o;
    demo_pair p;
    demo_trace tr = { 0 };
    int rc = -1;

    quiet.trace = false;
    printf("\nLinux's rule: SO_REUSEADDR on the new socket is not enough.\n");
    if (start(&p, true, &tr, &quiet, err) < 0 || server_closes(&p, err) < 0)
        goto out;
    demo_step("A new server binds port %u WITH SO_REUSEADDR, but the old one had not set it.",
              (unsigned)p.port);
    rebind(p.port, true);
    demo_why("Linux reuses a TIME_WAIT address only when the socket that left it had "
             "SO_REUSEADDR too (the flag is kept in the TIME_WAIT socket). This is why "
             "a server should set it before its first bind().");
    rc = 0;
out:
    demo_pair_close(&p);
    return rc;
}

/* Part 3: the client closes first; the server's port is free at once. */
static int client_first(const demo_opts *o, sl_err *err)
{
    demo_opts quiet = *o;
    demo_pair p;
    demo_trace tr = { 0 };
    uint16_t port;
    int rc = -1;

    quiet.trace = false;
    printf("\nThe client closes first (it types Q, or is killed: the OS closes its socket).\n");
    if (start(&p, true, &tr, &quiet, err) < 0)
        goto out;
    port = p.port;
    p.cfd = sl_close(p.cfd);
    if (expect_eof(p.sfd, "server", err) < 0)
        goto out;
    demo_pair_close(&p);
    demo_step("The client closes first; the server reads end of file and closes its "
              "socket and its listener.");
    if (!demo_wait_state(p.cport, port, SL_TCP_TIME_WAIT, 5000))
        demo_say("(TIME_WAIT did not show within 5 s)");
    demo_kernel(port);
    demo_why("TIME_WAIT is on the client's side now: its local port is the ephemeral "
             "one, which nobody binds again on purpose.");
    demo_step("The server restarts on port %u without SO_REUSEADDR.", (unsigned)port);
    rebind(port, false);
    demo_why("the server's own address is held by nothing: the seed's first observation.");
    rc = 0;
out:
    demo_pair_close(&p);
    return rc;
}

int demo_timewait(const demo_opts *o)
{
    sl_err err;
    demo_title("timewait", "who closes first waits in TIME_WAIT, and why a restarted "
               "server's bind() fails");
    demo_network(o);
    printf("\nThe server closes first (the seed kills the server while a client is "
           "connected).\n");
    if (server_first(o, &err) < 0 || old_without_reuse(o, &err) < 0 ||
        client_first(o, &err) < 0)
        return demo_fail(&err);
    printf("\ndone.\n");
    return CLI_OK;
}
