/* cli/inet_json.c: `socklab inet --json`: the same facts as the text, as
 * one JSON document. */
#include <stdio.h>

#include "cli/inet_cli.h"
#include "cli/inspect.h"
#include "cli/json.h"

/* "12 34" for the first n bytes of b. */
static void json_bytes(cli_json *j, const char *key, const unsigned char *b, size_t n)
{
    char buf[64];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at + 4 < sizeof(buf); i++)
        at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%02x", i ? " " : "", b[i]);
    json_str(j, key, buf);
}

/* A number as "0x1234" padded to width bits. */
static void json_hex(cli_json *j, const char *key, uint32_t v, int width)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "0x%0*x", width / 4, (unsigned)v);
    json_str(j, key, buf);
}

static void json_view(cli_json *j, const sl_order_view *v)
{
    size_t nb = (size_t)v->width / 8;
    json_object_begin(j, NULL);
    json_int(j, "width", v->width);
    json_uint(j, "value", v->value);
    json_hex(j, "value_hex", v->value, v->width);
    json_bytes(j, "host_bytes", v->host, nb);
    json_str(j, "hton_call", v->width == 16 ? "htons" : "htonl");
    json_uint(j, "hton", v->hton);
    json_hex(j, "hton_hex", v->hton, v->width);
    json_bytes(j, "network_bytes", v->net, nb);
    json_uint(j, "ntoh", v->ntoh);
    json_hex(j, "ntoh_hex", v->ntoh, v->width);
    json_uint(j, "round_trip", v->round_trip);
    json_object_end(j);
}

static void json_conv(cli_json *j, const sl_inet_conv *c)
{
    json_object_begin(j, "inet_addr");
    json_uint(j, "returns", c->addr_ret);
    json_hex(j, "returns_hex", c->addr_ret, 32);
    json_bytes(j, "bytes", (const unsigned char *)&c->addr_ret, 4);
    json_bool(j, "inaddr_none", c->addr_none);
    json_object_end(j);
    json_object_begin(j, "inet_aton");
    json_int(j, "returns", c->aton_ret);
    json_str(j, "inet_ntoa", c->aton_ret == 1 ? c->ntoa : NULL);
    json_object_end(j);
    json_object_begin(j, "inet_pton_inet");
    json_int(j, "returns", c->pton4_ret);
    json_str(j, "inet_ntop", c->pton4_ret == 1 ? c->ntop4 : NULL);
    json_object_end(j);
    json_object_begin(j, "inet_pton_inet6");
    json_int(j, "returns", c->pton6_ret);
    json_str(j, "inet_ntop", c->pton6_ret == 1 ? c->ntop6 : NULL);
    json_object_end(j);
}

static void json_class(cli_json *j, const inet_addr_report *a)
{
    const sl_inet_class *k = &a->cls;
    if (a->class_from == NULL) {
        json_null(j, "classification");
        return;
    }
    json_object_begin(j, "classification");
    json_str(j, "family", inspect_family(k->family));
    json_str(j, "read_by", a->class_from);
    if (k->family == AF_INET) {
        char cls[2] = { k->cls, '\0' };
        json_str(j, "class", cls);
        json_str(j, "lead_bits", k->lead_bits);
        json_int(j, "classful_prefix", k->classful_prefix);
    } else {
        json_null(j, "class");
    }
    json_array_begin(j, "ranges");
    for (size_t i = 0; i < k->nranges; i++) {
        json_object_begin(j, NULL);
        json_str(j, "prefix", k->ranges[i].prefix);
        json_str(j, "kind", k->ranges[i].kind);
        json_str(j, "meaning", k->ranges[i].meaning);
        json_str(j, "rfc", k->ranges[i].rfc);
        json_object_end(j);
    }
    json_array_end(j);
    json_bool(j, "global", k->global);
    json_object_end(j);
}

static void json_short(cli_json *j, const char *key, const sl_inet_conv *c)
{
    json_object_begin(j, key);
    json_str(j, "input", c->text);
    json_conv(j, c);
    json_object_end(j);
}

static void json_pitfalls(cli_json *j, const inet_pitfalls *p)
{
    json_object_begin(j, "pitfalls");
    json_short(j, "inet_addr_error", &p->bad);
    json_short(j, "inet_addr_broadcast", &p->broadcast);
    json_object_begin(j, "inet_ntoa_static_buffer");
    json_str(j, "first", p->ntoa.first);
    json_str(j, "second", p->ntoa.second);
    json_str(j, "first_after_second_call", p->ntoa.first_later);
    json_bool(j, "same_buffer", p->ntoa.same_buffer);
    json_object_end(j);
    json_array_begin(j, "shorthand");
    for (size_t i = 0; i < 3; i++)
        json_short(j, NULL, &p->shorthand[i]);
    json_array_end(j);
    json_object_end(j);
}

void inet_print_json(const inet_report *r, const sl_err *err)
{
    cli_json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_str(&j, "command", "inet");
    if (err != NULL)
        inspect_json_error(&j, err);
    else
        json_bool(&j, "ok", true);
    json_str(&j, "host_byte_order", r->big_endian ? "big-endian" : "little-endian");
    json_array_begin(&j, "order");
    for (size_t i = 0; i < r->norder; i++) {
        if (r->order[i].has16)
            json_view(&j, &r->order[i].v16);
        json_view(&j, &r->order[i].v32);
    }
    json_array_end(&j);
    json_array_begin(&j, "addresses");
    for (size_t i = 0; i < r->naddr; i++) {
        json_object_begin(&j, NULL);
        json_str(&j, "input", r->addr[i].conv.text);
        json_conv(&j, &r->addr[i].conv);
        json_class(&j, &r->addr[i]);
        json_object_end(&j);
    }
    json_array_end(&j);
    if (r->has_pitfalls && err == NULL)
        json_pitfalls(&j, &r->pit);
    json_object_end(&j);
    json_finish(&j);
}
