/* cli/state_table.c: collecting, sorting and printing the socket table for
 * `socklab state` and the demos. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/json.h"
#include "cli/state.h"

int state_parse_name(const char *name)
{
    if (strcasecmp(name, "UNCONN") == 0)
        return SL_TCP_CLOSE;
    if (strcasecmp(name, "ESTAB") == 0)
        return SL_TCP_ESTABLISHED;
    return sl_tcp_state_parse(name);
}

const char *state_row_name(const sl_sockinfo *info)
{
    if (info->proto == IPPROTO_UDP && info->state == SL_TCP_CLOSE)
        return "UNCONN";
    return sl_tcp_state_name(info->state);
}

/* True when f lets info through. */
static bool wanted(const sl_sockinfo *info, const state_filter *f)
{
    if (f->by_port && sl_addr_port(&info->local) != f->port &&
        sl_addr_port(&info->remote) != f->port)
        return false;
    return f->state < 0 || info->state == f->state;
}

/* Visitor: append a wanted row to the table. */
static int add_row(const sl_sockinfo *info, void *arg)
{
    void **ctx = arg;
    state_table *t = ctx[0];
    if (!wanted(info, ctx[1]))
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        state_row *rows = realloc(t->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return -2;
        t->rows = rows;
        t->cap = cap;
    }
    memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
    t->rows[t->n++].info = *info;
    return 0;
}

/* Order: TCP before UDP, then local port, remote port, state. */
static int row_order(const void *a, const void *b)
{
    const sl_sockinfo *x = &((const state_row *)a)->info, *y = &((const state_row *)b)->info;
    int d[4] = { x->proto - y->proto,
                 (int)sl_addr_port(&x->local) - (int)sl_addr_port(&y->local),
                 (int)sl_addr_port(&x->remote) - (int)sl_addr_port(&y->remote),
                 x->state - y->state };
    for (int i = 0; i < 4; i++)
        if (d[i] != 0)
            return d[i];
    return 0;
}

static int owner_order(const void *a, const void *b)
{
    uint64_t x = ((const sl_sockowner *)a)->inode, y = ((const sl_sockowner *)b)->inode;
    return x < y ? -1 : x > y;
}

/* Look up the owning process of every row that has an inode. */
static void find_owners(state_table *t)
{
    sl_sockowner *own = calloc(t->n ? t->n : 1, sizeof(*own));
    size_t k = 0;
    if (own == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].info.inode != 0)
            own[k++].inode = t->rows[i].info.inode;
    if (k > 0 && sl_sock_owners(own, k, NULL) > 0) {
        for (size_t i = 0; i < t->n; i++) {
            sl_sockowner key = { .inode = t->rows[i].info.inode };
            const sl_sockowner *hit;
            if (key.inode == 0)
                continue;
            hit = bsearch(&key, own, k, sizeof(*own), owner_order);
            if (hit == NULL || hit->pid == 0)
                continue;
            t->rows[i].pid = hit->pid;
            t->rows[i].fd = hit->fd;
            snprintf(t->rows[i].comm, sizeof(t->rows[i].comm), "%s", hit->comm);
        }
    }
    free(own);
}

int state_collect(state_table *t, const state_filter *f, bool proc, sl_err *err)
{
    void *ctx[2] = { t, (void *)(uintptr_t)f };
    int rc = 0;
    memset(t, 0, sizeof(*t));
    t->source = proc ? SL_DIAG_PROC : SL_DIAG_NETLINK;
    if (!f->udp)
        rc = proc ? sl_socktable_scan_from(SL_DIAG_PROC, IPPROTO_TCP, f->family,
                                           add_row, ctx, err)
                  : sl_socktable_scan(IPPROTO_TCP, f->family, add_row, ctx, &t->source, err);
    if (rc == 0 && !f->tcp)
        rc = proc || t->source == SL_DIAG_PROC
                 ? sl_socktable_scan_from(SL_DIAG_PROC, IPPROTO_UDP, f->family, add_row,
                                          ctx, err)
                 : sl_socktable_scan(IPPROTO_UDP, f->family, add_row, ctx, &t->source, err);
    if (rc == -2) {
        snprintf(err->msg, sizeof(err->msg), "socket table: out of memory");
        err->kind = SL_ESYS;
    }
    if (rc != 0) {
        state_table_free(t);
        return -1;
    }
    if (t->n > 1)
        qsort(t->rows, t->n, sizeof(t->rows[0]), row_order);
    find_owners(t);
    return 0;
}

void state_table_free(state_table *t)
{
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}

char *state_addr(const sl_addr *a, char *buf, size_t len)
{
    char host[SL_ADDRSTRLEN];
    if (sl_addr_port(a) != 0)
        return sl_addr_format(a, buf, len);
    sl_addr_host(a, host, sizeof(host));
    snprintf(buf, len, a->u.sa.sa_family == AF_INET6 ? "[%s]:*" : "%s:*", host);
    return buf;
}

char *state_timer(const sl_sockinfo *info, char *buf, size_t len)
{
    static const char *const names[] = { "", "retrans", "keepalive", "timewait", "probe" };
    double s = info->expires_ms / 1000.0;
    if (info->timer <= SL_TIMER_NONE || info->timer > SL_TIMER_PROBE)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, s < 100 ? "%s %.1f s" : "%s %.0f s", names[info->timer], s);
    return buf;
}

/* Count rows per state name into names/counts (at most max distinct). */
static size_t count_states(const state_table *t, const char **names, size_t *counts,
                           size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *name = state_row_name(&t->rows[i].info);
        size_t j = 0;
        while (j < k && strcmp(names[j], name) != 0)
            j++;
        if (j == k && k < max) {
            names[k] = name;
            counts[k++] = 0;
        }
        if (j < k)
            counts[j]++;
    }
    return k;
}

/* One text row. */
static void print_row(const state_row *r, FILE *out)
{
    char l[SL_ADDRSTRLEN], rem[SL_ADDRSTRLEN], tm[48], who[64] = "";
    const sl_sockinfo *i = &r->info;
    if (r->pid != 0)
        snprintf(who, sizeof(who), "%s[%d] fd %d", r->comm, (int)r->pid, r->fd);
    fprintf(out, "%-5s %-12s %6u %6u  %-26s %-26s %-16s %s\n",
            i->proto == IPPROTO_UDP ? "udp" : "tcp", state_row_name(i), i->rqueue,
            i->wqueue, state_addr(&i->local, l, sizeof(l)),
            state_addr(&i->remote, rem, sizeof(rem)), state_timer(i, tm, sizeof(tm)), who);
}

void state_print_table(const state_table *t, FILE *out)
{
    const char *names[SL_TCP_STATE_MAX + 2];
    size_t counts[SL_TCP_STATE_MAX + 2];
    size_t k = count_states(t, names, counts, SL_TCP_STATE_MAX + 2);

    fprintf(out, "%-5s %-12s %6s %6s  %-26s %-26s %-16s %s\n", "Proto", "State", "Recv-Q",
            "Send-Q", "Local", "Remote", "Timer", "Process");
    for (size_t i = 0; i < t->n; i++)
        print_row(&t->rows[i], out);
    fprintf(out, "%zu socket%s", t->n, t->n == 1 ? "" : "s");
    for (size_t j = 0; j < k; j++)
        fprintf(out, "%s%s %zu", j == 0 ? ": " : ", ", names[j], counts[j]);
    fprintf(out, " (from %s)\n", sl_diag_source_name(t->source));
}

/* One socket as a JSON object. */
static void json_row(cli_json *j, const state_row *r)
{
    static const char *const timers[] = { "none", "retrans", "keepalive", "timewait", "probe" };
    const sl_sockinfo *i = &r->info;
    char host[SL_ADDRSTRLEN];
    json_object_begin(j, NULL);
    json_str(j, "proto", i->proto == IPPROTO_UDP ? "udp" : "tcp");
    json_str(j, "family", i->family == AF_INET6 ? "inet6" : "inet");
    json_str(j, "state", state_row_name(i));
    json_str(j, "local_addr", sl_addr_host(&i->local, host, sizeof(host)));
    json_uint(j, "local_port", sl_addr_port(&i->local));
    json_str(j, "remote_addr", sl_addr_host(&i->remote, host, sizeof(host)));
    json_uint(j, "remote_port", sl_addr_port(&i->remote));
    json_uint(j, "recv_q", i->rqueue);
    json_uint(j, "send_q", i->wqueue);
    json_str(j, "timer", i->timer >= 0 && i->timer <= SL_TIMER_PROBE ? timers[i->timer] : "unknown");
    json_uint(j, "expires_ms", i->expires_ms);
    json_uint(j, "retrans", i->retrans);
    json_uint(j, "uid", i->uid);
    json_uint(j, "inode", i->inode);
    if (r->pid != 0) {
        json_int(j, "pid", r->pid);
        json_int(j, "fd", r->fd);
        json_str(j, "process", r->comm);
    }
    json_object_end(j);
}

void state_print_json(const state_table *t, FILE *out)
{
    const char *names[SL_TCP_STATE_MAX + 2];
    size_t counts[SL_TCP_STATE_MAX + 2];
    size_t k = count_states(t, names, counts, SL_TCP_STATE_MAX + 2);
    cli_json j;

    json_init(&j, out);
    json_object_begin(&j, NULL);
    json_str(&j, "source", sl_diag_source_name(t->source));
    json_array_begin(&j, "sockets");
    for (size_t i = 0; i < t->n; i++)
        json_row(&j, &t->rows[i]);
    json_array_end(&j);
    json_object_begin(&j, "summary");
    json_uint(&j, "total", t->n);
    for (size_t i = 0; i < k; i++)
        json_uint(&j, names[i], counts[i]);
    json_object_end(&j);
    json_object_end(&j);
    json_finish(&j);
}
