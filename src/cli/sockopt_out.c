/* cli/sockopt_out.c: `socklab sockopt` output: the table of options and
 * the requested-versus-actual table, as text and as JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/inspect.h"
#include "cli/json.h"
#include "cli/sockopt_cli.h"

const char *sockopt_note_text(const sockopt_set *s, char *buf, size_t len)
{
    const sl_optnote *n = &s->note;
    switch (n->kind) {
    case SL_NOTE_SAME:
        snprintf(buf, len, "as requested");
        break;
    case SL_NOTE_DOUBLED:
        snprintf(buf, len, "doubled: Linux keeps twice the size asked for, the extra half "
                 "for its own bookkeeping (packet headers and structures)");
        break;
    case SL_NOTE_CLAMPED:
        snprintf(buf, len, "cut to %s = %lld (the most a process may ask for), then doubled",
                 n->sysctl, n->limit);
        break;
    case SL_NOTE_RAISED:
        snprintf(buf, len, "raised to the kernel's minimum, %lld (twice %lld is below it)",
                 n->limit, s->requested.num);
        break;
    case SL_NOTE_BOOLEAN:
        snprintf(buf, len, "a flag: any non-zero value turns it on and reads back as 1");
        break;
    case SL_NOTE_MSS:
        snprintf(buf, len, "the MSS in effect: what was set caps it, and the TCP options "
                 "every segment carries (timestamps: 12 bytes) are taken off");
        break;
    case SL_NOTE_ROUNDED:
        snprintf(buf, len, "kept in clock ticks by the kernel, so rounded");
        break;
    default:
        snprintf(buf, len, "changed by the kernel (socklab has no rule for this option)");
        break;
    }
    return buf;
}

/* The JSON name of a note kind. */
static const char *note_name(sl_optnote_kind k)
{
    static const char *const names[] = { "same", "doubled", "clamped", "raised",
                                         "boolean", "rounded", "mss", "changed" };
    return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "changed";
}

void sockopt_list_names(FILE *out)
{
    size_t count;
    const sl_sockopt *t = sl_sockopt_table(&count);
    fprintf(out, "known options:");
    for (size_t i = 0; i < count; i++)
        fprintf(out, "%s%s", i % 8 == 0 ? "\n  " : " ", t[i].name);
    fprintf(out, "\n(socklab sockopt --list shows where each applies and how to write it)\n");
}

/* "a fresh TCP socket (AF_INET, SOCK_STREAM)" or the connected one. */
static void print_header(const sockopt_report *r)
{
    const sl_probe *p = &r->probe;
    char a[SL_ADDRSTRLEN], b[SL_ADDRSTRLEN];
    printf("%s %s socket (%s, %s)", r->connected ? "a connected" : "a fresh",
           p->socktype == SOCK_DGRAM ? "UDP" : "TCP", inspect_family(p->family),
           p->socktype == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_STREAM");
    if (r->connected && p->local.len > 0)
        printf(": %s -> %s over loopback", sl_addr_format(&p->local, a, sizeof(a)),
               sl_addr_format(&p->peer, b, sizeof(b)));
    printf("\n");
}

/* The --set table: requested, actual, what the kernel did. */
static void print_sets(const sockopt_report *r)
{
    char req[64], act[64], why[256];
    if (r->nset == 0)
        return;
    printf("\n%-20s %-14s %-14s %s\n", "SET", "REQUESTED", "ACTUAL", "WHAT THE KERNEL DID");
    for (size_t i = 0; i < r->nset; i++) {
        const sockopt_set *s = &r->sets[i];
        sl_optval_format(s->opt, &s->requested, req, sizeof(req));
        if (s->failed)
            printf("%-20s %-14s %-14s refused: %s\n", s->opt->name, req, "-", s->err.msg);
        else
            printf("%-20s %-14s %-14s %s\n", s->opt->name, req,
                   sl_optval_format(s->opt, &s->actual, act, sizeof(act)),
                   sockopt_note_text(s, why, sizeof(why)));
    }
}

void sockopt_print_text(const sockopt_report *r)
{
    char val[64], def[64];
    print_header(r);
    print_sets(r);
    if (r->nrows > 0)
        printf("\n%-20s %-13s %-13s %s\n", "OPTION", "LEVEL", "VALUE", "MEANING");
    for (size_t i = 0; i < r->nrows; i++) {
        const sockopt_row *row = &r->rows[i];
        if (!row->ok) {
            printf("%-20s %-13s %-13s %s\n", row->opt->name, row->opt->level_name,
                   "unavailable", row->err.msg);
            continue;
        }
        printf("%-20s %-13s %-13s %s", row->opt->name, row->opt->level_name,
               sl_optval_format(row->opt, &row->val, val, sizeof(val)), row->opt->meaning);
        if (row->has_default == 1)
            printf(" [kernel default %s: %s]", row->sysctl,
                   sl_optval_format(row->opt, &row->def, def, sizeof(def)));
        printf("\n");
    }
}

/* A value as JSON: its natural type under key, and its text under
 * key_text (the same words the text output shows). */
static void json_optval(cli_json *j, const char *key, const char *key_text,
                        const sl_sockopt *o, const sl_optval *v)
{
    char text[64];
    if (o->type == SL_OPT_LINGER) {
        json_object_begin(j, key);
        json_bool(j, "on", v->on);
        json_int(j, "seconds", v->num);
        json_object_end(j);
    } else if (o->type == SL_OPT_TIMEVAL) {
        json_double(j, key, (double)v->num / 1e6);
    } else if (o->type == SL_OPT_STRING) {
        json_str(j, key, v->str);
    } else {
        json_int(j, key, v->num);
    }
    json_str(j, key_text, sl_optval_format(o, v, text, sizeof(text)));
}

/* The socket the report is about. */
static void json_socket(cli_json *j, const sockopt_report *r)
{
    char a[SL_ADDRSTRLEN];
    json_object_begin(j, "socket");
    json_str(j, "family", inspect_family(r->probe.family));
    json_str(j, "type", r->probe.socktype == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_STREAM");
    json_bool(j, "connected", r->connected);
    if (r->connected && r->probe.local.len > 0) {
        json_str(j, "local", sl_addr_format(&r->probe.local, a, sizeof(a)));
        json_str(j, "peer", sl_addr_format(&r->probe.peer, a, sizeof(a)));
    }
    json_object_end(j);
}

static void json_sets(cli_json *j, const sockopt_report *r)
{
    char why[256];
    json_array_begin(j, "set");
    for (size_t i = 0; i < r->nset; i++) {
        const sockopt_set *s = &r->sets[i];
        json_object_begin(j, NULL);
        json_str(j, "name", s->opt->name);
        json_optval(j, "requested", "requested_text", s->opt, &s->requested);
        if (s->failed) {
            inspect_json_error(j, &s->err);
        } else {
            json_bool(j, "ok", true);
            json_optval(j, "actual", "actual_text", s->opt, &s->actual);
            json_str(j, "note", note_name(s->note.kind));
            json_str(j, "explanation", sockopt_note_text(s, why, sizeof(why)));
            json_str(j, "sysctl", s->note.sysctl);
            if (s->note.kind == SL_NOTE_CLAMPED || s->note.kind == SL_NOTE_RAISED)
                json_int(j, "limit", s->note.limit);
        }
        json_object_end(j);
    }
    json_array_end(j);
}

static void json_rows(cli_json *j, const sockopt_report *r)
{
    json_array_begin(j, "options");
    for (size_t i = 0; i < r->nrows; i++) {
        const sockopt_row *row = &r->rows[i];
        json_object_begin(j, NULL);
        json_str(j, "name", row->opt->name);
        json_str(j, "level", row->opt->level_name);
        if (row->ok)
            json_optval(j, "value", "text", row->opt, &row->val);
        else
            json_str(j, "unavailable", row->err.msg);
        json_bool(j, "settable", row->opt->readonly == NULL);
        json_str(j, "readonly_because", row->opt->readonly);
        json_str(j, "meaning", row->opt->meaning);
        if (row->has_default == 1) {
            json_object_begin(j, "kernel_default");
            json_str(j, "sysctl", row->sysctl);
            json_optval(j, "value", "text", row->opt, &row->def);
            json_object_end(j);
        }
        json_object_end(j);
    }
    json_array_end(j);
}

/* The names an unknown --set could have meant. */
static void json_known(cli_json *j)
{
    size_t count;
    const sl_sockopt *t = sl_sockopt_table(&count);
    json_array_begin(j, "known_options");
    for (size_t i = 0; i < count; i++)
        json_str(j, NULL, t[i].name);
    json_array_end(j);
}

void sockopt_print_json(const sockopt_report *r, const sl_err *err)
{
    cli_json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_str(&j, "command", "sockopt");
    if (err != NULL)
        inspect_json_error(&j, err);
    else
        json_bool(&j, "ok", true);
    if (err != NULL && err->kind == SL_EINPUT) {
        json_known(&j);
    } else {
        json_socket(&j, r);
        json_sets(&j, r);
        json_rows(&j, r);
    }
    json_object_end(&j);
    json_finish(&j);
}
