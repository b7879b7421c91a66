/* cli/util.c: messages, exit codes and range-checked option values. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"

/* "socklab: CMD: " then the message and a newline, on stderr. */
static void vsay(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vsay(const char *fmt, va_list ap)
{
    fprintf(stderr, "socklab: ");
    if (cli_current != NULL)
        fprintf(stderr, "%s: ", cli_current);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'socklab %s --help'.\n", cli_current ? cli_current : "");
    exit(CLI_USAGE);
}

int cli_fail(const sl_err *err)
{
    cli_error("%s", err->msg[0] ? err->msg : "failed");
    return err->kind == SL_EINPUT ? CLI_USAGE : CLI_FAIL;
}

void cli_help(const char *usage)
{
    fputs(usage, stdout);
    exit(CLI_OK);
}

uint64_t cli_uint(const char *opt, const char *text, uint64_t min, uint64_t max)
{
    char *end;
    unsigned long long v;
    if (text == NULL || !isdigit((unsigned char)text[0]))
        cli_usage_error("%s: '%.40s' is not a whole number", opt, text ? text : "");
    errno = 0;
    v = strtoull(text, &end, 10);
    if (*end != '\0')
        cli_usage_error("%s: '%.40s' is not a whole number", opt, text);
    if (errno == ERANGE || v < min || v > max)
        cli_usage_error("%s: %.40s is out of range (%llu to %llu)", opt, text,
                        (unsigned long long)min, (unsigned long long)max);
    return v;
}

int cli_seconds_ms(const char *opt, const char *text, double min, double max)
{
    char *end;
    double v;
    if (text == NULL || !(isdigit((unsigned char)text[0]) || text[0] == '.'))
        cli_usage_error("%s: '%.40s' is not a number of seconds", opt, text ? text : "");
    v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v))
        cli_usage_error("%s: '%.40s' is not a number of seconds", opt, text);
    if (v < min || v > max)
        cli_usage_error("%s: %.40s is out of range (%g to %g seconds)", opt, text, min, max);
    return (int)(v * 1000.0 + 0.5);
}

uint16_t cli_port(const char *opt, const char *text)
{
    sl_err err;
    uint16_t port;
    if (sl_port_parse(text, &port, &err) < 0)
        cli_usage_error("%s: %s", opt, err.msg);
    return port;
}

uint64_t cli_size(const char *opt, const char *text, uint64_t min, uint64_t max)
{
    char digits[32];
    size_t n = text ? strlen(text) : 0;
    unsigned shift = 0;
    uint64_t v;
    if (n == 0 || n >= sizeof(digits))
        cli_usage_error("%s: '%.40s' is not a size", opt, text ? text : "");
    memcpy(digits, text, n + 1);
    switch (toupper((unsigned char)digits[n - 1])) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    default: break;
    }
    if (shift > 0)
        digits[n - 1] = '\0';
    v = cli_uint(opt, digits, 0, UINT64_MAX >> shift);
    v <<= shift;
    if (v < min || v > max)
        cli_usage_error("%s: %.40s is out of range (%llu to %llu bytes)", opt, text,
                        (unsigned long long)min, (unsigned long long)max);
    return v;
}

void cli_endpoint(const char *what, const char *text, sl_endpoint *ep)
{
    sl_err err;
    if (sl_endpoint_parse(text, ep, &err) < 0)
        cli_usage_error("%s: %s", what, err.msg);
}

void cli_target(int argc, char **argv, int *i, const char *default_host, sl_endpoint *ep)
{
    if (*i >= argc)
        cli_usage_error("missing HOST and PORT");
    cli_endpoint("address", argv[(*i)++], ep);
    if (ep->is_unix)
        return;
    if (ep->port[0] == '\0') {
        if (*i >= argc)
            cli_usage_error("missing PORT");
        cli_port("PORT", argv[*i]);
        sl_endpoint_default(ep, NULL, argv[(*i)++]);
    }
    if (ep->host[0] == '\0') {
        if (default_host == NULL)
            cli_usage_error("missing HOST");
        sl_endpoint_default(ep, default_host, NULL);
    }
}

/* Raise this process's descriptor limit to its hard limit; returns the
 * limit (a large number when unlimited). */
long long cli_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? (1LL << 40) : (long long)rl.rlim_cur;
}
