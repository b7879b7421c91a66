/* fuzz/fuzz_cli.c: the command line's parsers: the range-checked number,
 * size, seconds, port and endpoint helpers every command uses (cli/util.c)
 * and the whole option parser of `socklab relay` (getopt_long and its
 * "cannot use X with Y" checks). They end a bad command line with exit(2):
 * this target is built with -Dexit=fuzz_cli_exit, which jumps back here,
 * so one process can try millions of command lines. Invariants: only exit
 * status 0 (--help) or 2 (usage) ever leaves a parser; a value returned is
 * within the range asked for; a parsed relay command is coherent. */
#include <setjmp.h>
#include <stdnoreturn.h>

#include "cli/relay_opts.h"
#include "fuzz.h"

#define MAX_ARGS 48

const char *cli_current = "relay";
static jmp_buf escape;
static volatile int exit_status;

noreturn void fuzz_cli_exit(int status);
noreturn void fuzz_cli_exit(int status)
{
    exit_status = status;
    longjmp(escape, 1);
}

/* Split text (size bytes, NUL-terminated after them) at NULs into argv. */
static int split(char *text, size_t size, char **argv)
{
    static char name[] = "relay";
    int argc = 0;
    argv[argc++] = name;
    for (size_t i = 0; i <= size && argc < MAX_ARGS - 1; ) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    argv[argc] = NULL;
    return argc;
}

static void check_relay(char *text, size_t size)
{
    static relay_opts o;
    char *argv[MAX_ARGS];
    int argc = split(text, size, argv);
    relay_opts_parse(argc, argv, &o);
    FUZZ_ASSERT(o.cfg.target.host[0] != '\0' && o.cfg.target.port[0] != '\0');
    FUZZ_ASSERT(!o.cfg.target.is_unix && !o.listen_ep.is_unix);
    FUZZ_ASSERT(o.listen_ep.port[0] != '\0');
    if (o.cfg.udp)
        FUZZ_ASSERT(!o.cfg.faults.cut && !o.cfg.faults.flip && o.cfg.faults.rate == 0);
    else
        FUZZ_ASSERT(o.cfg.faults.drop == 0 && o.cfg.faults.dup == 0);
    FUZZ_ASSERT(o.cfg.faults.drop >= 0 && o.cfg.faults.drop <= 1);
    FUZZ_ASSERT(o.listen.socktype == (o.cfg.udp ? SOCK_DGRAM : SOCK_STREAM));
}

/* One helper on the text; its result must be inside the range asked. */
static void check_helper(int which, const char *text)
{
    sl_endpoint ep;
    switch (which) {
    case 0: FUZZ_ASSERT(cli_uint("--n", text, 3, 1000) - 3 <= 997); break;
    case 1: FUZZ_ASSERT(cli_size("--size", text, 1, (uint64_t)1 << 40) - 1 < (uint64_t)1 << 40); break;
    case 2: {
        int ms = cli_seconds_ms("--s", text, 0.001, 86400);
        FUZZ_ASSERT(ms >= 1 && ms <= 86400000);
        break;
    }
    case 3: cli_port("--port", text); break;
    case 4: cli_endpoint("--bind", text, &ep); break;
    default: {
        double p = relay_probability("--drop", text);
        FUZZ_ASSERT(p >= 0 && p <= 1);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    uint8_t mode;
    if (size == 0)
        return 0;
    mode = data[0];
    text = fuzz_strdup(data + 1, size - 1);
    exit_status = -1;
    if (setjmp(escape) == 0) {
        if (mode % 8 < 6)
            check_helper(mode % 8, text);
        else
            check_relay(text, size - 1);
    } else {
        FUZZ_ASSERT(exit_status == 0 || exit_status == 2);
    }
    free(text);
    return 0;
}
