/* cli/cmd_lookup.c: `socklab lookup`: a name or an address looked up and
 * shown as the textbook's struct hostent, with who answered and, on
 * request, what the legacy gethostbyname/gethostbyaddr say. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inspect.h"
#include "cli/json.h"
#include "socklab/lookup.h"

typedef struct lookup_opts {
    const char *query;
    int family;
    bool legacy, json;
} lookup_opts;

static noreturn void help(void)
{
    cli_help(
        "usage: socklab lookup [OPTIONS] NAME|ADDRESS\n\n"
        "Look a name up (forward, getaddrinfo with AI_CANONNAME) or an address\n"
        "(reverse, getnameinfo with NI_NAMEREQD; IPv4 or IPv6) and show the fields\n"
        "of the textbook's struct hostent: official name (h_name), aliases\n"
        "(h_aliases), address type (h_addrtype), address length (h_length) and\n"
        "every address (h_addr_list); then which source answered: the hosts file\n"
        "(read to tell) or the resolver that nsswitch.conf names (DNS ...).\n\n"
        "Options:\n"
        "  -4, -6         IPv4 or IPv6 addresses only\n"
        "      --legacy   also show what gethostbyname (gethostbyname2 with -6) or\n"
        "                 gethostbyaddr return, and why they are obsolete\n"
        "      --json     one JSON document on standard output (errors inside it)\n"
        "  -h, --help     this help\n\n"
        "Names are checked before any resolver sees them: at most 253 characters,\n"
        "labels of 1 to 63, only letters, digits, '-', '_' and '.'.\n"
        "Exit status: 0 found, 1 the lookup failed (the resolver's reason is\n"
        "shown), 2 bad usage or a refused name.\n");
}

enum { OPT_LEGACY = 256, OPT_JSON };

static const struct option long_opts[] = {
    { "legacy", no_argument, NULL, OPT_LEGACY },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, lookup_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->family = AF_UNSPEC;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":46h", long_opts, NULL)) != -1) {
        switch (ch) {
        case '4': o->family = AF_INET; break;
        case '6': o->family = AF_INET6; break;
        case OPT_LEGACY: o->legacy = true; break;
        case OPT_JSON: o->json = true; break;
        case 'h': help();
        case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        cli_usage_error("missing NAME or ADDRESS");
    if (optind + 1 < argc)
        cli_usage_error("one NAME or ADDRESS at a time ('%.40s' is extra)", argv[optind + 1]);
    o->query = argv[optind];
}

/* The distinct address families of h, in order of first appearance. */
static size_t families(const sl_hostinfo *h, int fam[2])
{
    size_t n = 0;
    for (size_t i = 0; i < h->naddrs; i++)
        if (n == 0 || (n == 1 && fam[0] != h->addrs[i].family))
            fam[n++] = h->addrs[i].family;
    return n;
}

/* Print the hostent fields of h, indented. */
static void print_hostent(const sl_hostinfo *h)
{
    int fam[2];
    size_t nf = families(h, fam);
    printf("  official name   h_name       %s\n", h->name[0] ? h->name : "-");
    printf("  aliases         h_aliases   ");
    for (size_t i = 0; i < h->naliases; i++)
        printf(" %s", h->aliases[i]);
    printf("%s\n", h->naliases ? "" : " -");
    printf("  address type    h_addrtype  ");
    for (size_t i = 0; i < nf; i++)
        printf(" %s", inspect_family(fam[i]));
    printf("%s\n", nf > 1 ? "  (a hostent holds one type; getaddrinfo returns both)"
                          : nf ? "" : " -");
    printf("  address length  h_length    ");
    for (size_t i = 0; i < nf; i++)
        printf(" %d", fam[i] == AF_INET6 ? 16 : 4);
    printf("%s\n", nf ? "" : " -");
    for (size_t i = 0; i < h->naddrs; i++)
        printf("  %-15s %-12s %s\n", i ? "" : "addresses", i ? "" : "h_addr_list",
               h->addrs[i].text);
    if (h->truncated)
        printf("  (more aliases or addresses than socklab keeps)\n");
}

/* One line: who answered, or who was asked. */
static void print_origin(const sl_lookup *lk, bool ok)
{
    const sl_lookup_origin *o = &lk->origin;
    if (o->source == SL_SOURCE_HOSTS)
        printf("  %-28s hosts file %s, line %d (nsswitch.conf hosts: %s)\n",
               ok ? "answered by" : "asked", o->hosts_file, o->hosts_line, o->nsswitch);
    else if (o->hosts_line > 0)
        printf("  %-28s resolver (nsswitch.conf hosts: %s; %s line %d is read only later)\n",
               ok ? "answered by" : "asked", o->nsswitch, o->hosts_file, o->hosts_line);
    else
        printf("  %-28s resolver (nsswitch.conf hosts: %s; not in %s)\n",
               ok ? "answered by" : "asked", o->nsswitch, o->hosts_file);
}

/* The legacy call that was made for lk. */
static const char *legacy_call(const sl_lookup *lk)
{
    return lk->reverse ? "gethostbyaddr" : lk->family == AF_INET6 ? "gethostbyname2"
                                                                   : "gethostbyname";
}

/* The legacy section: the hostent, or h_errno's reason; then why not. */
static void print_legacy(const sl_lookup *lk)
{
    const char *const *why = sl_lookup_legacy_reasons();
    printf("legacy: %s(%s)\n", legacy_call(lk), lk->query);
    if (lk->legacy_err.kind != SL_OK)
        printf("  failed: %s\n", lk->legacy_err.msg);
    else
        print_hostent(&lk->legacy);
    printf("  obsolete:\n");
    for (; *why != NULL; why++)
        printf("    - %s\n", *why);
}

/* The text report of a finished lookup (ok) or of what was asked. */
static void print_text(const sl_lookup *lk, bool ok)
{
    printf("%s lookup of %s: %s%s\n", lk->reverse ? "reverse" : "forward", lk->query,
           lk->reverse ? "getnameinfo(NI_NAMEREQD)" : "getaddrinfo(AI_CANONNAME)",
           ok ? "" : " failed");
    if (ok)
        print_hostent(&lk->host);
    print_origin(lk, ok);
    if (lk->legacy_done)
        print_legacy(lk);
}

/* The hostent fields as JSON members of the open object. */
static void json_hostent(cli_json *j, const char *key, const sl_hostinfo *h)
{
    int fam[2];
    size_t nf = families(h, fam);
    json_object_begin(j, key);
    json_str(j, "h_name", h->name);
    json_array_begin(j, "h_aliases");
    for (size_t i = 0; i < h->naliases; i++)
        json_str(j, NULL, h->aliases[i]);
    json_array_end(j);
    json_array_begin(j, "h_addrtype");
    for (size_t i = 0; i < nf; i++)
        json_str(j, NULL, inspect_family(fam[i]));
    json_array_end(j);
    json_array_begin(j, "h_length");
    for (size_t i = 0; i < nf; i++)
        json_int(j, NULL, fam[i] == AF_INET6 ? 16 : 4);
    json_array_end(j);
    json_array_begin(j, "h_addr_list");
    for (size_t i = 0; i < h->naddrs; i++)
        json_str(j, NULL, h->addrs[i].text);
    json_array_end(j);
    json_bool(j, "truncated", h->truncated);
    json_object_end(j);
}

/* The source as JSON. */
static void json_origin(cli_json *j, const sl_lookup_origin *o)
{
    json_object_begin(j, "source");
    json_str(j, "kind", o->source == SL_SOURCE_HOSTS ? "hosts" : "resolver");
    json_str(j, "hosts_file", o->hosts_file);
    json_int(j, "hosts_line", o->hosts_line);
    json_str(j, "nsswitch", o->nsswitch);
    json_object_end(j);
}

/* The legacy part as JSON. */
static void json_legacy(cli_json *j, const sl_lookup *lk)
{
    json_object_begin(j, "legacy");
    json_str(j, "call", legacy_call(lk));
    if (lk->legacy_err.kind != SL_OK)
        inspect_json_error(j, &lk->legacy_err);
    else {
        json_bool(j, "ok", true);
        json_hostent(j, "hostent", &lk->legacy);
    }
    json_array_begin(j, "obsolete");
    for (const char *const *why = sl_lookup_legacy_reasons(); *why != NULL; why++)
        json_str(j, NULL, *why);
    json_array_end(j);
    json_object_end(j);
}

/* The whole JSON document; err is NULL on success. */
static void print_json(const lookup_opts *o, const sl_lookup *lk, const sl_err *err)
{
    cli_json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_str(&j, "command", "lookup");
    json_str(&j, "query", o->query);
    json_str(&j, "family", inspect_family(o->family));
    if (err != NULL && err->kind == SL_EINPUT) {
        inspect_json_error(&j, err);   /* refused: nothing was asked */
    } else {
        json_str(&j, "direction", lk->reverse ? "reverse" : "forward");
        json_str(&j, "call", lk->reverse ? "getnameinfo" : "getaddrinfo");
        if (err != NULL)
            inspect_json_error(&j, err);
        else
            json_bool(&j, "ok", true);
        if (err == NULL)
            json_hostent(&j, "hostent", &lk->host);
        json_origin(&j, &lk->origin);
        if (lk->legacy_done)
            json_legacy(&j, lk);
    }
    json_object_end(&j);
    json_finish(&j);
}

int cmd_lookup(int argc, char **argv)
{
    lookup_opts o;
    sl_lookup *lk;
    sl_err err;
    int rc;

    parse(argc, argv, &o);
    lk = calloc(1, sizeof(*lk));
    if (lk == NULL) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    rc = sl_lookup_run(o.query, o.family, lk, &err);
    if (o.legacy && !(rc < 0 && err.kind == SL_EINPUT) && sl_lookup_legacy(lk, NULL) < 0)
        lk->legacy_done = false;
    if (o.json)
        print_json(&o, lk, rc < 0 ? &err : NULL);
    else if (rc == 0 || err.kind != SL_EINPUT)
        print_text(lk, rc == 0);
    free(lk);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
