/* cli/demo_close.c: `socklab demo close [--simultaneous]`: the four-way
 * close one segment at a time, or both sides closing at once and passing
 * through CLOSING. Two private network namespaces joined by the library's
 * wire, which holds FINs or ACKs on request, make every state visible and
 * the simultaneous close happen every time. */
#include <stdio.h>
#include <string.h>

#include "cli/demo.h"

typedef struct close_lab {
    sl_wire *w;
    demo_pair p;
    const demo_opts *o;
} close_lab;

/* Show both sides' sockets, each from its own namespace. */
static void show(close_lab *l)
{
    sl_wire_enter(l->w, 0, NULL);
    demo_say("in A (the client, %s):", sl_wire_host(0));
    demo_kernel(l->p.port);
    sl_wire_enter(l->w, 1, NULL);
    demo_say("in B (the server, %s):", sl_wire_host(1));
    demo_kernel(l->p.port);
}

/* Wait until side (0 A, 1 B) shows state (0: its socket is gone). */
static void wait_side(close_lab *l, int side, int state)
{
    uint16_t mine = side == 0 ? l->p.cport : l->p.port;
    uint16_t other = side == 0 ? l->p.port : l->p.cport;
    sl_wire_enter(l->w, side, NULL);
    if (!demo_wait_state(mine, other, state, 5000))
        demo_say("(%s did not show %s within 5 s)", side == 0 ? "A" : "B",
                 state ? sl_tcp_state_name(state) : "the socket gone");
}

/* Hold, then wait for n held segments. */
static void held(close_lab *l, size_t n)
{
    if (!sl_wire_wait_held(l->w, n, 5000))
        demo_say("(the wire holds %zu segments, not %zu, after 5 s)", sl_wire_held(l->w), n);
}

/* The ordinary close, the seed's figure: A closes first. */
static void ordinary(close_lab *l)
{
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_FIN);
    l->p.cfd = sl_close(l->p.cfd);
    held(l, 1);
    demo_step("A calls close(): its FIN leaves; the wire holds it.");
    show(l);
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_ACK);
    held(l, 1);
    wait_side(l, 1, SL_TCP_CLOSE_WAIT);
    demo_step("The FIN reaches B; B's ACK leaves and the wire holds it.");
    show(l);
    demo_why("B is in CLOSE_WAIT: end of file is waiting for it to read, and it may still send; A waits "
             "in FIN_WAIT1 for the ACK of its FIN.");
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_FIN);
    wait_side(l, 0, SL_TCP_FIN_WAIT2);
    demo_step("The ACK reaches A.");
    show(l);
    l->p.sfd = sl_close(l->p.sfd);
    held(l, 1);
    wait_side(l, 1, SL_TCP_LAST_ACK);
    demo_step("B calls close(): its FIN leaves; the wire holds it.");
    show(l);
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_ACK);
    held(l, 1);
    wait_side(l, 0, SL_TCP_TIME_WAIT);
    demo_step("B's FIN reaches A; A's last ACK leaves and the wire holds it.");
    show(l);
    demo_why("A, which closed first, is in TIME_WAIT; it stays 2 MSL so that it can send "
             "this last ACK again if B resends its FIN.");
    sl_wire_set_hold(l->w, SL_WIRE_PASS);
    wait_side(l, 1, 0);
    demo_step("The last ACK reaches B: B's socket is gone (CLOSED).");
    show(l);
}

/* Both close at once: FIN_WAIT1, CLOSING, TIME_WAIT on both sides. */
static void simultaneous(close_lab *l)
{
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_FIN);
    l->p.cfd = sl_close(l->p.cfd);
    l->p.sfd = sl_close(l->p.sfd);
    held(l, 2);
    demo_step("A and B call close() at the same moment: both FINs are in flight (the wire "
              "holds them), neither acknowledged.");
    show(l);
    sl_wire_set_hold(l->w, SL_WIRE_HOLD_ACK);
    held(l, 2);
    wait_side(l, 0, SL_TCP_CLOSING);
    wait_side(l, 1, SL_TCP_CLOSING);
    demo_step("Each FIN reaches a side that is itself in FIN_WAIT1; each side ACKs the "
              "other's FIN, and the wire holds both ACKs.");
    show(l);
    demo_result("both sides are in CLOSING");
    demo_why("CLOSING means: I sent a FIN, I received the peer's FIN, but my FIN is not "
             "acknowledged yet. Only a simultaneous close passes through it.");
    sl_wire_set_hold(l->w, SL_WIRE_PASS);
    wait_side(l, 0, SL_TCP_TIME_WAIT);
    wait_side(l, 1, SL_TCP_TIME_WAIT);
    demo_step("The ACKs arrive.");
    show(l);
    demo_result("both sides are in TIME_WAIT");
    demo_why("both sides closed first, so both pay TIME_WAIT.");
}

/* Build the lab: the wire, a server in B, a client in A, one exchange. */
static int lab_open(close_lab *l, sl_err *err)
{
    char buf[2];
    if (sl_wire_enter(l->w, 1, err) < 0 || demo_pair_open(&l->p, false, sl_wire_host(1), err) < 0)
        return -1;
    if (sl_wire_enter(l->w, 0, err) < 0 || demo_pair_connect(&l->p, sl_wire_host(1), err) < 0)
        return -1;
    l->p.lfd = sl_close(l->p.lfd);
    if (sl_write_all(l->p.cfd, "hi", 2, err) < 0 || sl_read_full(l->p.sfd, buf, 2, err) != 2)
        return -1;
    demo_step("A client in namespace A (%s, port %u) connects to a server in namespace B "
              "(%s, port %u); they exchange \"hi\".", sl_wire_host(0), (unsigned)l->p.cport,
              sl_wire_host(1), (unsigned)l->p.port);
    show(l);
    return 0;
}

int demo_close(const demo_opts *o)
{
    close_lab l;
    sl_seglist segs;
    sl_err err;
    int rc = CLI_OK;

    memset(&l, 0, sizeof(l));
    l.o = o;
    l.p.lfd = l.p.cfd = l.p.sfd = -1;
    demo_title("close", o->simultaneous ? "both sides close at once and pass through CLOSING"
                                        : "the four-way close, one segment at a time");
    l.w = sl_wire_new(&err);
    if (l.w == NULL) {
        printf("this demo cannot run here: %s. It needs two private network namespaces "
               "and /dev/net/tun (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN).\n", err.msg);
        return DEMO_NOT_HERE;
    }
    printf("(two private network namespaces, A and B, joined by a wire of this process "
           "that can hold segments: every step happens the same way every time)\n");
    if (lab_open(&l, &err) < 0) {
        rc = demo_fail(&err);
    } else {
        if (o->simultaneous)
            simultaneous(&l);
        else
            ordinary(&l);
        if (o->trace && sl_wire_segments(l.w, &segs, &err) == 0) {
            demo_trace_draw(&segs, l.p.port);
            sl_seglist_free(&segs);
        }
        printf("\ndone.\n");
    }
    demo_pair_close(&l.p);
    sl_wire_free(l.w);
    return rc;
}
