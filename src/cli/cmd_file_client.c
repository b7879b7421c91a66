/* cli/cmd_file_client.c: `socklab file-client`: fetch a file from a
 * file-server, verify it, reply "Thank you" (the seed's file_client.c,
 * made safe: the work is sl_file_receive in the library; this file parses,
 * connects and prints). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/file_cli.h"
#include "cli/json.h"

typedef struct client_opts {
    sl_endpoint ep;
    int family;
    int timeout_ms;
    bool quiet, json;
    sl_file_recv_opts recv;
} client_opts;

static noreturn void help(void)
{
    cli_help(
        "usage: socklab file-client [OPTIONS] HOST PORT [NAME]\n"
        "       socklab file-client [OPTIONS] HOST:PORT | [IPv6]:PORT | unix:PATH [NAME]\n\n"
        "Fetch a file from 'socklab file-server', write it to a temporary file beside\n"
        "its destination, check its size and XXH3-128 checksum, fsync it, move it into\n"
        "place, then reply 'Thank you' and print 'Received file data' and a summary.\n"
        "A transfer that is cut short, damaged or refused leaves no file and exits 1.\n"
        "NAME picks a file when the server serves a directory.\n\n"
        "Options:\n"
        "  -o, --output PATH    where to write: a file, an existing directory, or '-'\n"
        "                       for standard output (default: the sender's name here)\n"
        "  -f, --force          replace an existing file (a symlink there is replaced,\n"
        "                       never followed)\n"
        "  -r, --raw            the seed's protocol: read until EOF, nothing checked,\n"
        "                       reply \"Thank you\" (works with the textbook's file_server\n"
        "                       and with nc); default output file receive.dat\n"
        "  -t, --timeout S      give up connecting, or when the sender is silent, after\n"
        "                       S seconds (default 30)\n"
        "  -4, -6               IPv4 or IPv6 only\n"
        "      --json           print the summary as JSON on standard output\n"
        "  -q, --quiet          no progress line and no summary line\n"
        "  -h, --help           this help\n\n"
        "Exit status: 0 the file is on disk and verified, 1 it is not, 2 bad usage.\n");
}

enum { OPT_JSON = 256 };

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "force", no_argument, NULL, 'f' },
    { "raw", no_argument, NULL, 'r' },
    { "timeout", required_argument, NULL, 't' },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* HOST PORT [NAME] or HOST:PORT [NAME]: the endpoint and the file's name. */
static void parse_args(int argc, char **argv, client_opts *o)
{
    sl_err err;
    int i = optind;
    cli_target(argc, argv, &i, NULL, &o->ep);
    if (i < argc) {
        o->recv.name = argv[i++];
        if (sl_file_name_check(o->recv.name, strlen(o->recv.name), &err) < 0)
            cli_usage_error("NAME: %s", err.msg);
        if (o->recv.raw)
            cli_usage_error("--raw cannot name a file (the seed's server sends its one file)");
    }
    if (i < argc)
        cli_usage_error("unexpected argument '%.40s'", argv[i]);
}

/* Parse argv into o; any mistake exits 2. */
static void parse(int argc, char **argv, client_opts *o)
{
    int ch;
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 30000;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:frt:46qh", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            if (optarg[0] == '\0')
                cli_usage_error("--output: empty path");
            o->recv.output = optarg;
            break;
        case 'f': o->recv.force = true; break;
        case 'r': o->recv.raw = true; break;
        case 't': o->timeout_ms = cli_seconds_ms("--timeout", optarg, 0.001, 86400); break;
        case '4': o->family = AF_INET; break;
        case '6': o->family = AF_INET6; break;
        case OPT_JSON: o->json = true; break;
        case 'q': o->quiet = true; break;
        case 'h': help();
        case ':': cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: cli_usage_error("unknown option '%.40s'", argv[optind - 1]);
        }
    }
    parse_args(argc, argv, o);
    o->recv.timeout_ms = o->timeout_ms;
}

/* The summary as JSON (ok or not). */
static void print_json(FILE *out, const client_opts *o, const sl_file_recv_result *r,
                       const sl_err *failure)
{
    cli_json j;
    char hex[2 * SL_FILE_HASH_LEN + 1];
    double secs = (double)r->ms / 1000.0;
    json_init(&j, out);
    json_object_begin(&j, NULL);
    json_bool(&j, "ok", failure == NULL);
    json_str(&j, "protocol", o->recv.raw ? "raw" : "socklab-file-1");
    json_str(&j, "name", r->name[0] ? r->name : NULL);
    json_str(&j, "path", failure == NULL ? r->path : NULL);
    json_uint(&j, "bytes", r->received);
    json_uint(&j, "size", r->size);
    json_double(&j, "seconds", secs);
    json_double(&j, "bytes_per_second", secs > 0 ? (double)r->received / secs : 0);
    json_bool(&j, "verified", r->verified);
    if (r->verified) {
        sl_file_hash_hex(r->hash, hex);
        json_str(&j, "xxh3_128", hex);
    }
    json_str(&j, "error", failure ? failure->msg : NULL);
    json_object_end(&j);
    json_finish(&j);
}

/* "Received file data" and the summary line. */
static void print_text(FILE *out, const client_opts *o, const sl_file_recv_result *r)
{
    char rate[32], hex[2 * SL_FILE_HASH_LEN + 1];
    double secs = (double)r->ms / 1000.0;
    fprintf(out, "Received file data\n");
    if (o->quiet)
        return;
    cli_bytes_human(secs > 0 ? (uint64_t)((double)r->received / secs) : r->received, rate,
                    sizeof(rate));
    if (r->verified)
        sl_file_hash_hex(r->hash, hex);
    fprintf(out, "%s: %llu bytes in %.3f s (%s/s), %s%s, saved as %s\n",
            r->name[0] ? r->name : r->path, (unsigned long long)r->received, secs, rate,
            r->verified ? "verified xxh3-128:" : "not verified (--raw)",
            r->verified ? hex : "", r->path);
}

int cmd_file_client(int argc, char **argv)
{
    client_opts o;
    sl_file_recv_result res;
    cli_progress prog;
    sl_err err;
    const char *why;
    FILE *out;
    int fd, rc;

    parse(argc, argv, &o);
    memset(&res, 0, sizeof(res));
    /* Past RLIMIT_FSIZE a write then fails with EFBIG, reported like a full
     * disk, instead of SIGXFSZ killing us silently (test_hostile_files). */
    signal(SIGXFSZ, SIG_IGN);
    if (!o.recv.raw && !sl_file_hash_available(&why)) {
        cli_error("%s", why);
        return CLI_FAIL;
    }
    out = o.recv.output != NULL && strcmp(o.recv.output, "-") == 0 ? stderr : stdout;
    fd = sl_connect(&o.ep, o.family, SOCK_STREAM, o.timeout_ms, NULL, &err);
    if (fd < 0) {
        if (o.json)     /* --json: the failure is a result too */
            print_json(out, &o, &res, &err);
        return cli_fail(&err);
    }
    cli_progress_init(&prog, o.quiet);
    o.recv.progress = cli_progress_update;
    o.recv.progress_arg = &prog;
    rc = sl_file_receive(fd, &o.recv, &res, &err);
    sl_close(fd);
    cli_progress_clear(&prog);
    if (o.json)
        print_json(out, &o, &res, rc < 0 ? &err : NULL);
    if (rc < 0)
        return cli_fail(&err);
    if (!o.json)
        print_text(out, &o, &res);
    fflush(out);
    return CLI_OK;
}
