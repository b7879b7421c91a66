/* cli/demo_trace.c: `--trace`: the demo's segments captured on loopback and
 * drawn as the seed's figure draws the four-way handshake: one line per
 * segment, its flags, SEQ and ACK (relative to each side's first sequence
 * number, and raw), and each side's state after it. */
#include <stdio.h>
#include <string.h>

#include "cli/demo.h"
#include "cli/state.h"

void demo_trace_start(demo_trace *t, const demo_opts *o, uint16_t port)
{
    sl_err err;
    memset(t, 0, sizeof(*t));
    t->wanted = o->trace;
    if (!o->trace)
        return;
    t->cap = sl_capture_open("lo", port, &err);
    if (t->cap == NULL) {
        printf("    (trace not available: %s; the demo runs without it)\n", err.msg);
        return;
    }
    printf("    (tracing port %u on lo with %s)\n", (unsigned)port, sl_capture_backend(t->cap));
    fflush(stdout);
}

void demo_trace_finish(demo_trace *t, uint16_t server_port)
{
    sl_err err;
    if (t->cap == NULL)
        return;
    if (sl_capture_drain(t->cap, 50, &err) < 0)
        printf("\ntrace: %s\n", err.msg);
    else
        demo_trace_draw(sl_capture_segments(t->cap), server_port);
    sl_capture_close(t->cap);
    t->cap = NULL;
    fflush(stdout);
}

/* A state's name for the diagram ("CLOSED" for the kernel's CLOSE). */
static const char *diagram_state(int s)
{
    return s == SL_TCP_CLOSE ? "CLOSED" : sl_tcp_state_name(s);
}

/* The arrow in the middle of a line: the segment and which way it goes. */
static void arrow(const sl_segment *s, const sl_track *t, bool from_a, char *buf, size_t len)
{
    char flags[40], ack[16], body[96];
    uint32_t seq_base = from_a ? t->isn_a : t->isn_b;
    uint32_t ack_base = from_a ? t->isn_b : t->isn_a;
    bool have_ack_base = from_a ? t->have_isn_b : t->have_isn_a;
    size_t n;

    sl_segment_flags(s->flags, flags, sizeof(flags));
    if (!(s->flags & SL_TH_ACK))
        snprintf(ack, sizeof(ack), "-");
    else
        snprintf(ack, sizeof(ack), "%u", have_ack_base ? s->ack - ack_base : s->ack);
    snprintf(body, sizeof(body), " %-11s SEQ %u ACK %s len %u ", flags,
             (from_a ? t->have_isn_a : t->have_isn_b) ? s->seq - seq_base : s->seq, ack,
             s->len);
    n = strlen(body);
    snprintf(buf, len, "%s%s", from_a ? "|--" : "|<-", body);
    for (size_t i = n; i < 44 && strlen(buf) + 4 < len; i++)
        strcat(buf, "-");
    strcat(buf, from_a ? "->|" : "--|");
}

void demo_trace_draw(const sl_seglist *segs, uint16_t server_port)
{
    sl_track t;
    char a[SL_ADDRSTRLEN], b[SL_ADDRSTRLEN], line[128];
    size_t shown = 0;

    sl_track_init(&t);
    printf("\ntrace: %zu segment%s\n", segs->n, segs->n == 1 ? "" : "s");
    for (size_t i = 0; i < segs->n; i++) {
        const sl_segment *s = &segs->seg[i];
        int who = sl_track_segment(&t, s);
        if (who == 0)
            continue;
        if (shown++ == 0) {
            sl_addr_format(&t.a, a, sizeof(a));
            sl_addr_format(&t.b, b, sizeof(b));
            printf("  A = %s %s, B = %s %s\n", sl_addr_port(&t.a) == server_port ? "server" : "client", a,
                   sl_addr_port(&t.b) == server_port ? "server" : "client", b);
            printf("  %3s %9s  %-12s %-50s %-12s %s\n", "#", "time", "A state", "segment (relative SEQ/ACK)",
                   "B state", "raw SEQ/ACK");
        }
        arrow(s, &t, who == 1, line, sizeof(line));
        printf("  %3zu %7.3f s  %-12s %-50s %-12s raw SEQ %u ACK %u%s\n", shown,
               (double)s->t_us / 1e6, diagram_state(t.state_a), line, diagram_state(t.state_b),
               s->seq, s->ack, s->event == SL_SEG_SENT ? "  (sent; held in the wire)"
                               : s->event == SL_SEG_ARRIVED ? "  (released: arrives)" : "");
    }
    if (shown == 0)
        printf("  (no segment of the demo's connection was captured)\n");
    printf("  States are those the segments imply (RFC 793's diagram); the steps above "
           "show the kernel's own table.\n");
}
