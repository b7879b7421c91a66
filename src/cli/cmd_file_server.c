/* cli/cmd_file_server.c: `socklab file-server`: the seed's file_server.c
 * as a server: the file service (src/services/file_send.c) on a TCP port
 * (or a unix socket) under a chosen model. Each transfer is logged with the
 * receiver's reply ("Message from client: Thank you"); the exit status is
 * 1 when any transfer failed. */
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli/cli.h"
#include "cli/server_cli.h"
#include "cli/file_cli.h"
#include "cli/json.h"

/* Counters in memory shared with forked children, so the fork model's
 * transfers count too. */
typedef struct tally {
    atomic_uint_fast64_t done, failed;
} tally;

typedef struct server_opts {
    cli_server s;               /* where, how, limits, log */
    bool raw, json;
    const char *path;
    tally *tally;
} server_opts;

static noreturn void help(void)
{
    printf("usage: socklab file-server [OPTIONS] PATH\n\n"
           "Serve the file PATH, or any regular file under the directory PATH that a\n"
           "client names, to 'socklab file-client'. The file goes out with sendfile,\n"
           "then its XXH3-128 checksum; then the server half-closes (shutdown SHUT_WR)\n"
           "and logs the client's reply ('Message from client: Thank you'). Prints\n"
           "'listening on tcp ADDRESS:PORT' on stderr once it listens.\n\n"
           "Options:\n");
    cli_server_help_where(stdout);
    cli_server_help_workers(stdout);
    printf("      --raw              the seed's protocol: the bytes at once, half-close,\n"
           "                         then the reply (for the textbook's client and nc)\n"
           "      --max-clients N    at most N clients at once\n"
           "      --idle-timeout S   drop a client silent for S seconds (default 60)\n"
           "      --close-timeout S  bound on a graceful close (default 2)\n"
           "      --count N          exit after N clients (the seed's served one)\n"
           "      --backlog N        listen() backlog (default SOMAXCONN)\n"
           "      --json             one JSON line per finished client on standard output\n"
           "  -q, --quiet            no per-client log lines (failures are still logged)\n"
           "  -h, --help             this help\n\n"
           "Exit status: 0 when every transfer was confirmed, 1 when one failed.\n");
    exit(CLI_OK);
}

enum { OPT_RAW = CLI_SERVER_OPT_END, OPT_JSON };

static const struct option long_opts[] = {
    CLI_SERVER_LONGOPTS,
    { "raw", no_argument, NULL, OPT_RAW },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Apply one of file-server's own options to o. */
static void apply(server_opts *o, int ch)
{
    switch (ch) {
    case OPT_RAW: o->raw = true; break;
    case OPT_JSON: o->json = true; break;
    case 'h': help();
    default: cli_usage_error("unknown option");
    }
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, server_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    cli_server_init(&o->s, "file");
    o->s.cfg.idle_timeout_ms = 60000;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":" CLI_SERVER_SHORTOPTS "h", long_opts, NULL)) != -1) {
        if (ch == ':')
            cli_usage_error("option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        if (!cli_server_option(&o->s, ch, optarg))
            apply(o, ch);
    }
    if (optind == argc)
        cli_usage_error("missing PATH (the file or directory to serve)");
    o->path = argv[optind++];
    if (optind < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[optind]);
    cli_server_finish(&o->s);
}

/* One JSON line about a finished client, written whole. */
static void json_client(const sl_event *ev)
{
    cli_json j;
    char who[SL_ADDRSTRLEN] = "";
    if (ev->peer != NULL)
        sl_addr_format(ev->peer, who, sizeof(who));
    flockfile(stdout);
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_uint(&j, "client", ev->conn_id);
    json_str(&j, "peer", who);
    json_bool(&j, "ok", ev->err == NULL);
    json_uint(&j, "bytes_in", ev->bytes_in);
    json_uint(&j, "bytes_out", ev->bytes_out);
    json_double(&j, "seconds", (double)ev->duration_ms / 1000.0);
    json_str(&j, "error", ev->err ? ev->err->msg : NULL);
    json_object_end(&j);
    json_finish(&j);
    funlockfile(stdout);
}

/* The engine's events: the usual log, plus the tally and --json. */
static void on_event(const sl_event *ev, void *arg)
{
    server_opts *o = arg;
    cli_log_event(ev, &o->s.log);
    if (ev->kind != SL_EV_CLOSE)
        return;
    atomic_fetch_add(&o->tally->done, 1);
    if (ev->err != NULL)
        atomic_fetch_add(&o->tally->failed, 1);
    if (o->json)
        json_client(ev);
}

/* Listen and say where, with what is served. Returns the fd or -1. */
static int start_listening(server_opts *o, uint64_t size, sl_addr *bound, sl_err *err)
{
    char where[SL_ADDRSTRLEN], human[32];
    int fd = sl_listen(&o->s.ep, &o->s.listen, bound, err);
    if (fd < 0)
        return -1;
    sl_addr_format(bound, where, sizeof(where));
    if (((const sl_file_service_config *)o->s.cfg.service_config)->is_dir)
        snprintf(human, sizeof(human), "directory");
    else
        cli_bytes_human(size, human, sizeof(human));
    fprintf(stderr, "listening on %s%s (file %s, %s%s, model %s)\n", o->s.ep.is_unix ? "" : "tcp ",
            where, o->path, human, o->raw ? ", raw" : "",
            o->s.cfg.model ? o->s.cfg.model : sl_model_default()->name);
    return fd;
}

/* Run the server until stopped; the exit status. */
static int serve(server_opts *o, uint64_t size)
{
    sl_server *srv;
    sl_addr bound;
    sl_err err;
    int fd, rc;
    srv = sl_server_new(&o->s.cfg, &err);
    if (srv == NULL)
        return cli_fail(&err);
    fd = start_listening(o, size, &bound, &err);
    if (fd < 0 || sl_server_add_listener(srv, fd, SOCK_STREAM, &err) < 0) {
        sl_server_free(srv);
        sl_close(fd);
        return cli_fail(&err);
    }
    rc = cli_server_run(srv, &err);
    sl_close(fd);
    if (o->s.ep.is_unix)
        sl_unlink_unix(&bound);
    sl_server_free(srv);
    if (rc < 0)
        return cli_fail(&err);
    if (atomic_load(&o->tally->failed) > 0) {
        cli_error("%" PRIuFAST64 " of %" PRIuFAST64 " transfers failed",
                  atomic_load(&o->tally->failed), atomic_load(&o->tally->done));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_file_server(int argc, char **argv)
{
    server_opts o;
    sl_file_service_config fcfg;
    const char *why;
    uint64_t size;
    sl_err err;
    int rc;

    parse(argc, argv, &o);
    cli_signals_server(NULL);
    if (!o.raw && !sl_file_hash_available(&why)) {
        cli_error("%s", why);
        return CLI_FAIL;
    }
    if (sl_file_service_prepare(o.path, o.raw, &fcfg, &size, &err) < 0)
        return cli_fail(&err);
    o.tally = mmap(NULL, sizeof(tally), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (o.tally == MAP_FAILED) {
        cli_error("mmap: out of memory");
        sl_close(fcfg.dir_fd);
        return CLI_FAIL;
    }
    atomic_init(&o.tally->done, 0);
    atomic_init(&o.tally->failed, 0);
    o.s.cfg.service = &sl_file_service;
    o.s.cfg.service_config = &fcfg;
    o.s.cfg.on_event = on_event;
    o.s.cfg.event_arg = &o;
    rc = serve(&o, size);
    munmap(o.tally, sizeof(tally));
    sl_close(fcfg.dir_fd);
    return rc;
}
