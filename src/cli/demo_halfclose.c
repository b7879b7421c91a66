/* cli/demo_halfclose.c: `socklab demo halfclose`: the seed's file server in
 * slow motion. After shutdown(SHUT_WR) the server still receives the
 * client's late "Thank you"; after close() the late reply is lost, the
 * server's kernel answers it with RST, and the client sees ECONNRESET,
 * then EPIPE. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/demo.h"

#define HOST "127.0.0.1"

static const char file_data[] = "line 1 of the file\nline 2 of the file\nline 3 of the file\n";
static const char reply[] = "Thank you";

/* The client reads the "file" until end of file; true when it got it all. */
static bool client_reads_file(int cfd, sl_err *err)
{
    char buf[256];
    ssize_t n = sl_read_full(cfd, buf, sizeof(buf), err);
    if (n < 0)
        return false;
    demo_say("the client read %zd bytes, then end of file (read returned 0): "
             "\"Received file data\"", n);
    return (size_t)n == sizeof(file_data) - 1 && memcmp(buf, file_data, (size_t)n) == 0;
}

/* Part 1: shutdown(SHUT_WR), then the late reply arrives. */
static int with_shutdown(const demo_opts *o, sl_err *err)
{
    demo_pair p;
    demo_trace tr = { 0 };
    char buf[64];
    ssize_t n;
    int rc = -1;

    if (demo_pair_open(&p, false, HOST, err) < 0)
        goto out;
    demo_step("A file server listens on " HOST ":%u; a client connects.", (unsigned)p.port);
    demo_trace_start(&tr, o, p.port);
    if (demo_pair_connect(&p, HOST, err) < 0)
        goto out;
    demo_step("The server writes the file (%zu bytes), then shutdown(SHUT_WR): its FIN says "
              "\"no more data from me\", but it keeps its socket open to read.",
              sizeof(file_data) - 1);
    if (sl_write_all(p.sfd, file_data, sizeof(file_data) - 1, err) < 0 ||
        shutdown(p.sfd, SHUT_WR) < 0)
        goto out;
    demo_wait_state(p.port, p.cport, SL_TCP_FIN_WAIT2, 5000);
    demo_kernel(p.port);
    demo_why("FIN_WAIT2 on the server: its direction is closed and acknowledged; "
             "CLOSE_WAIT on the client: it has read nothing yet but may still send.");
    demo_step("The client reads to the end, then writes its late reply \"%s\" and closes.", reply);
    if (!client_reads_file(p.cfd, err) || sl_write_all(p.cfd, reply, sizeof(reply) - 1, err) < 0)
        goto out;
    p.cfd = sl_close(p.cfd);
    n = sl_read_full(p.sfd, buf, sizeof(buf) - 1, err);
    if (n < 0)
        goto out;
    buf[n] = '\0';
    demo_result("after shutdown(SHUT_WR) the server still received: \"%s\"", buf);
    demo_why("shutdown(SHUT_WR) ends one direction only (a half-close): the other stays "
             "open until the peer closes it, so the seed's \"Message from client: Thank you\" "
             "arrives.");
    demo_pair_close(&p);
    demo_trace_finish(&tr, p.port);
    rc = 0;
out:
    demo_pair_close(&p);
    sl_capture_close(tr.cap);
    return rc;
}

/* Name an errno for the results ("ECONNRESET", "EPIPE"). */
static const char *errno_name(int code)
{
    return code == ECONNRESET ? "ECONNRESET" : code == EPIPE ? "EPIPE" : "another error";
}

/* The client's read and write after the RST, with what each returned. */
static void client_sees_reset(const demo_pair *p)
{
    char c;
    sl_err e;
    ssize_t n;
    /* The RST ends the client's socket in the kernel: it leaves the table. */
    if (!demo_wait_state(p->cport, p->port, 0, 5000))
        demo_say("(the client's socket is still in the table after 5 s)");
    n = sl_read_some(p->cfd, &c, 1, &e);
    if (n < 0)
        demo_result("the client's next read: %s (%s)", strerror(e.code), errno_name(e.code));
    else
        demo_result("the client's next read: %zd, end of file (the FIN came before the RST)", n);
    if (sl_write_all(p->cfd, reply, sizeof(reply) - 1, &e) < 0)
        demo_result("the client's next write: %s (%s)", strerror(e.code), errno_name(e.code));
    else
        demo_result("the client's next write succeeded (no RST seen)");
}

/* Part 2: close() instead, and the late reply meets an RST. */
static int with_close(const demo_opts *o, sl_err *err)
{
    demo_pair p;
    demo_trace tr = { 0 };
    int rc = -1;

    printf("\nThe same with close() instead of shutdown(SHUT_WR).\n");
    if (demo_pair_open(&p, false, HOST, err) < 0)
        goto out;
    demo_trace_start(&tr, o, p.port);
    if (demo_pair_connect(&p, HOST, err) < 0)
        goto out;
    demo_step("The server (port %u) writes the file and calls close().", (unsigned)p.port);
    if (sl_write_all(p.sfd, file_data, sizeof(file_data) - 1, err) < 0)
        goto out;
    p.sfd = sl_close(p.sfd);
    demo_wait_state(p.port, p.cport, SL_TCP_FIN_WAIT2, 5000);
    demo_kernel(p.port);
    demo_why("the FIN on the wire is the same; but nobody can read the server's socket any "
             "more: the kernel finishes it alone.");
    demo_step("The client reads to the end, then writes its late reply \"%s\".", reply);
    if (!client_reads_file(p.cfd, err) || sl_write_all(p.cfd, reply, sizeof(reply) - 1, err) < 0)
        goto out;
    demo_say("the write succeeded: the client's kernel took the bytes and sent them.");
    client_sees_reset(&p);
    demo_result("after close() the late reply was lost: the server's kernel answered it with RST");
    demo_why("data that arrives for a closed socket cannot be delivered: the kernel resets "
             "the connection. close() ends both directions whatever the peer still has to "
             "say: use shutdown(SHUT_WR) when a reply is expected. (Linux reports an RST "
             "received in CLOSE_WAIT as EPIPE; in ESTABLISHED, as ECONNRESET: see below.)");
    demo_kernel(p.port);
    demo_trace_finish(&tr, p.port);
    rc = 0;
out:
    demo_pair_close(&p);
    sl_capture_close(tr.cap);
    return rc;
}

/* Part 3: close() with unread input sends RST at once: ECONNRESET. */
static int unread_input(const demo_opts *o, sl_err *err)
{
    demo_pair p;
    demo_trace tr = { 0 };
    char c;
    int rc = -1;

    printf("\nclose() with unread input: the RST comes first.\n");
    if (demo_pair_open(&p, false, HOST, err) < 0)
        goto out;
    demo_trace_start(&tr, o, p.port);
    if (demo_pair_connect(&p, HOST, err) < 0)
        goto out;
    demo_step("The client (port %u) sends \"%s\" early; the server closes without "
              "reading it.", (unsigned)p.cport, reply);
    if (sl_write_all(p.cfd, reply, sizeof(reply) - 1, err) < 0 ||
        !demo_wait_state(p.port, p.cport, SL_TCP_ESTABLISHED, 5000))
        goto out;
    sl_wait_fd(p.sfd, POLLIN, 5000, NULL);      /* the bytes are in the server's queue */
    p.sfd = sl_close(p.sfd);
    if (!demo_wait_state(p.cport, p.port, 0, 5000))
        demo_say("(the client's socket is still in the table after 5 s)");
    if (sl_read_some(p.cfd, &c, 1, err) < 0)
        demo_result("the client's next read: %s (%s)", strerror(err->code), errno_name(err->code));
    else
        demo_result("the client's next read returned data or end of file (no RST seen)");
    sl_err_clear(err);
    demo_why("closing a socket whose input was never read throws that input away and tells "
             "the peer with RST instead of FIN; a peer still in ESTABLISHED gets ECONNRESET. "
             "That is why socklab's servers drain before they close.");
    demo_trace_finish(&tr, p.port);
    rc = 0;
out:
    demo_pair_close(&p);
    sl_capture_close(tr.cap);
    return rc;
}

int demo_halfclose(const demo_opts *o)
{
    sl_err err;
    demo_title("halfclose", "shutdown(SHUT_WR) keeps the way back open; close() does not");
    demo_network(o);
    sl_err_clear(&err);
    if (with_shutdown(o, &err) < 0 || with_close(o, &err) < 0 || unread_input(o, &err) < 0)
        return demo_fail(&err);
    printf("\ndone.\n");
    return CLI_OK;
}
