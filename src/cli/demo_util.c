/* cli/demo_util.c: narration, the kernel's view of a port, and the
 * listener/client pair the TCP demos start from. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/demo.h"
#include "cli/state.h"

static int step_no;

void demo_title(const char *name, const char *what)
{
    step_no = 0;
    printf("socklab demo %s: %s\n", name, what);
}

/* Print prefix, the formatted text and a newline. */
static void line(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void line(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

void demo_step(const char *fmt, ...)
{
    char prefix[16];
    va_list ap;
    snprintf(prefix, sizeof(prefix), "\n[%d] ", ++step_no);
    va_start(ap, fmt);
    line(prefix, fmt, ap);
    va_end(ap);
}

void demo_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("    ", fmt, ap);
    va_end(ap);
}

void demo_why(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("    why: ", fmt, ap);
    va_end(ap);
}

void demo_result(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("  => ", fmt, ap);
    va_end(ap);
}

int demo_fail(const sl_err *err)
{
    fflush(stdout);
    return cli_fail(err);
}

void demo_network(const demo_opts *o)
{
    sl_err err;
    if (o->host_net) {
        printf("(on the host's loopback, port 0, as asked: the TIME_WAIT sockets it "
               "leaves expire within 60 s)\n");
        return;
    }
    if (sl_netns_private(&err) == 0) {
        printf("(in a private network namespace with its own loopback: nothing it "
               "leaves behind, TIME_WAIT included, outlives the demo)\n");
        return;
    }
    printf("(a private network namespace is not permitted here (%s); running on the "
           "host's loopback, port 0: the TIME_WAIT sockets it leaves expire within 60 s)\n",
           err.msg);
}

int demo_kernel(uint16_t port)
{
    state_filter f = { .by_port = true, .port = port, .tcp = true, .state = -1 };
    state_table t;
    sl_err err;
    if (state_collect(&t, &f, false, &err) < 0) {
        demo_say("kernel: the socket table cannot be read: %s", err.msg);
        return 0;
    }
    if (t.n == 0)
        demo_say("kernel: no TCP socket on port %u is left", (unsigned)port);
    for (size_t i = 0; i < t.n; i++) {
        const sl_sockinfo *s = &t.rows[i].info;
        char l[SL_ADDRSTRLEN], r[SL_ADDRSTRLEN], tm[48], who[64] = "";
        state_timer(s, tm, sizeof(tm));
        if (t.rows[i].pid != 0)
            snprintf(who, sizeof(who), "  (%s[%d])", t.rows[i].comm, (int)t.rows[i].pid);
        else if (s->state != SL_TCP_TIME_WAIT && s->state != SL_TCP_LISTEN)
            snprintf(who, sizeof(who), "  (no process: closed, the kernel finishes it)");
        printf("    kernel: %-11s %s -> %s  Recv-Q %u%s%s%s\n", state_row_name(s),
               state_addr(&s->local, l, sizeof(l)), state_addr(&s->remote, r, sizeof(r)),
               s->rqueue, tm[0] ? "  " : "", tm, who);
    }
    fflush(stdout);
    state_table_free(&t);
    return (int)t.n;
}

/* Visitor: does a socket match the wanted local/remote port and state? */
static int match_state(const sl_sockinfo *s, void *arg)
{
    const int *want = arg;   /* lport, rport, state */
    if (sl_addr_port(&s->local) != want[0])
        return 0;
    if (want[1] != 0 && sl_addr_port(&s->remote) != want[1])
        return 0;
    return want[2] == 0 || s->state == want[2] ? 1 : 0;
}

int demo_wait_state(uint16_t lport, uint16_t rport, int state, int timeout_ms)
{
    int want[3] = { lport, rport, state };
    long long end = sl_now_ms() + timeout_ms;
    for (;;) {
        int rc = sl_socktable_scan(IPPROTO_TCP, AF_UNSPEC, match_state, want, NULL, NULL);
        if (state != 0 ? rc == 1 : rc == 0)
            return 1;
        if (sl_now_ms() >= end)
            return 0;
        nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
    }
}

int demo_pair_open(demo_pair *p, bool no_reuse, const char *host, sl_err *err)
{
    sl_endpoint ep;
    sl_listen_opts lo = { .socktype = SOCK_STREAM, .no_reuseaddr = no_reuse, .v6only = -1 };
    sl_addr bound;
    memset(p, 0, sizeof(*p));
    p->lfd = p->cfd = p->sfd = -1;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), "%s", host);
    snprintf(ep.port, sizeof(ep.port), "0");
    p->lfd = sl_listen(&ep, &lo, &bound, err);
    if (p->lfd < 0)
        return -1;
    p->port = sl_addr_port(&bound);
    return 0;
}

int demo_pair_connect(demo_pair *p, const char *host, sl_err *err)
{
    sl_endpoint ep;
    sl_addr local;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.host, sizeof(ep.host), "%s", host);
    snprintf(ep.port, sizeof(ep.port), "%u", (unsigned)p->port);
    p->cfd = sl_connect(&ep, AF_UNSPEC, SOCK_STREAM, 5000, NULL, err);
    if (p->cfd < 0)
        return -1;
    if (sl_local_addr(p->cfd, &local, err) < 0)
        return -1;
    p->cport = sl_addr_port(&local);
    p->sfd = sl_accept(p->lfd, NULL, false, err);
    return p->sfd < 0 ? -1 : 0;
}

void demo_pair_close(demo_pair *p)
{
    p->lfd = sl_close(p->lfd);
    p->cfd = sl_close(p->cfd);
    p->sfd = sl_close(p->sfd);
}
