/* net/sockopt_value.c: socket option values as text (parsing what --set
 * was given, formatting what getsockopt said), and the sysctls that hold
 * the kernel's defaults. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>

#include "socklab/sockopt.h"
#include "net/err_internal.h"

const char *sl_optval_syntax(const sl_sockopt *o)
{
    switch (o->type) {
    case SL_OPT_BOOL: return "0 or 1 (also off/on, no/yes, false/true)";
    case SL_OPT_INT: return "a whole number";
    case SL_OPT_BYTES: return "a number of bytes (K and M suffixes allowed)";
    case SL_OPT_LINGER: return "off, or a number of seconds (0: close() resets the connection)";
    case SL_OPT_TIMEVAL: return "seconds, fractions allowed (0: no timeout)";
    case SL_OPT_STRING: return "a name (letters, digits, '_' and '-')";
    default: return "nothing: it cannot be set";
    }
}

/* Parse a whole number with an optional sign (and K/M/G when sizes). */
static int parse_num(const char *text, bool sizes, long long *out)
{
    char *end;
    long long v;
    int shift = 0;
    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno == ERANGE || end == text)
        return -1;
    if (sizes && end[0] != '\0' && end[1] == '\0') {
        switch (toupper((unsigned char)end[0])) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        default: return -1;
        }
        end++;
    }
    if (*end != '\0' || v > (LLONG_MAX >> shift) || v < -(LLONG_MAX >> shift))
        return -1;
    *out = v * (1LL << shift);
    return 0;
}

/* Parse seconds with a fraction into microseconds. */
static int parse_seconds(const char *text, long long max_s, long long *usec)
{
    char *end;
    double s;
    if (!isdigit((unsigned char)text[0]) && text[0] != '.')
        return -1;
    s = strtod(text, &end);
    if (*end != '\0' || !isfinite(s) || s < 0 || s > (double)max_s)
        return -1;
    *usec = (long long)(s * 1e6 + 0.5);
    return 0;
}

/* Parse a boolean word or a number. */
static int parse_bool(const char *text, long long *out)
{
    static const char *const off[] = { "off", "no", "false" }, *const on[] = { "on", "yes", "true" };
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(text, off[i]) == 0 || strcasecmp(text, on[i]) == 0) {
            *out = strcasecmp(text, on[i]) == 0;
            return 0;
        }
    }
    return parse_num(text, false, out);
}

/* A congestion control name: [a-z0-9_-], 1 to 15 characters. */
static int parse_name(const char *text, sl_optval *v)
{
    size_t n = strlen(text);
    if (n == 0 || n >= 16)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '_' && text[i] != '-')
            return -1;
    memcpy(v->str, text, n + 1);
    return 0;
}

int sl_optval_parse(const sl_sockopt *o, const char *text, sl_optval *v, sl_err *err)
{
    int rc = -1;
    memset(v, 0, sizeof(*v));
    if (o->readonly != NULL)
        return sl__err(err, SL_EINPUT, ENOPROTOOPT, "%s cannot be set: %s", o->name,
                       o->readonly);
    if (text == NULL)
        text = "";
    switch (o->type) {
    case SL_OPT_BOOL: rc = parse_bool(text, &v->num); break;
    case SL_OPT_INT: rc = parse_num(text, false, &v->num); break;
    case SL_OPT_BYTES: rc = parse_num(text, true, &v->num); break;
    case SL_OPT_TIMEVAL: rc = parse_seconds(text, o->max, &v->num); break;
    case SL_OPT_STRING: rc = parse_name(text, v); break;
    case SL_OPT_LINGER:
        v->on = strcasecmp(text, "off") != 0;
        rc = v->on ? parse_num(text, false, &v->num) : 0;
        break;
    default: break;
    }
    if (rc == 0 && o->type != SL_OPT_TIMEVAL && o->type != SL_OPT_STRING &&
        (v->num < o->min || v->num > o->max))
        return sl__err(err, SL_EINPUT, ERANGE, "%s=%.40s: out of range (%lld to %lld)",
                       o->name, text, o->min, o->max);
    if (rc < 0)
        return sl__err(err, SL_EINPUT, EINVAL, "%s=%.40s: not a valid value; expected %s",
                       o->name, text, sl_optval_syntax(o));
    if (o->type == SL_OPT_BOOL)
        v->on = v->num != 0;
    return 0;
}

/* Names of the codes SO_TYPE, SO_DOMAIN and SO_PROTOCOL return. */
static const char *code_name(sl_opt_type type, long long v)
{
    if (type == SL_OPT_SOCKTYPE)
        return v == SOCK_STREAM ? "SOCK_STREAM" : v == SOCK_DGRAM ? "SOCK_DGRAM"
             : v == SOCK_RAW ? "SOCK_RAW" : v == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : NULL;
    if (type == SL_OPT_FAMILY)
        return v == AF_INET ? "AF_INET" : v == AF_INET6 ? "AF_INET6"
             : v == AF_UNIX ? "AF_UNIX" : NULL;
    return v == IPPROTO_TCP ? "IPPROTO_TCP" : v == IPPROTO_UDP ? "IPPROTO_UDP" : NULL;
}

/* Seconds from microseconds, without trailing zeros ("1.5", "0.25"). */
static void format_seconds(long long usec, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%lld.%06lld", usec / 1000000, usec % 1000000);
    while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
        buf[--n] = '\0';
}

char *sl_optval_format(const sl_sockopt *o, const sl_optval *v, char *buf, size_t len)
{
    char secs[48];
    const char *name;
    switch (o->type) {
    case SL_OPT_BOOL:
        snprintf(buf, len, "%s", v->num ? "on" : "off");
        break;
    case SL_OPT_SOCKTYPE:
    case SL_OPT_FAMILY:
    case SL_OPT_PROTOCOL:
        name = code_name(o->type, v->num);
        if (name != NULL)
            snprintf(buf, len, "%s", name);
        else
            snprintf(buf, len, "%lld", v->num);
        break;
    case SL_OPT_ERRNO:
        snprintf(buf, len, "%lld (%s)", v->num, v->num ? strerror((int)v->num) : "no error");
        break;
    case SL_OPT_LINGER:
        if (v->on)
            snprintf(buf, len, "on, %lld s", v->num);
        else
            snprintf(buf, len, "off");
        break;
    case SL_OPT_TIMEVAL:
        format_seconds(v->num, secs, sizeof(secs));
        snprintf(buf, len, "%s s%s", secs, v->num == 0 ? " (none)" : "");
        break;
    case SL_OPT_STRING:
        snprintf(buf, len, "%s", v->str);
        break;
    default:
        snprintf(buf, len, "%lld", v->num);
        break;
    }
    return buf;
}

/* Read the whole (short) file at path into buf; NUL-terminated. */
static int read_small(const char *path, char *buf, size_t len, sl_err *err)
{
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl__err_sys(err, "open %s", path);
    do
        n = read(fd, buf, len - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        sl__err_sys(err, "read %s", path);
        close(fd);
        return -1;
    }
    close(fd);
    buf[n] = '\0';
    return 0;
}

/* Pick whitespace-separated field number field (0-based) of text. */
static const char *field_of(const char *text, int field, size_t *flen)
{
    const char *p = text;
    for (int i = 0;; i++) {
        while (*p != '\0' && isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return NULL;
        *flen = strcspn(p, " \t\n");
        if (i == field)
            return p;
        p += *flen;
    }
}

int sl_sysctl_read(const char *name, long long *num, char *text, size_t len, sl_err *err)
{
    char path[128], buf[256], *end;
    const char *colon = strchr(name, '['), *f;
    size_t n = colon ? (size_t)(colon - name) : strlen(name), flen = 0;
    int field = colon ? atoi(colon + 1) : 0;
    if (n + sizeof("/proc/sys/") > sizeof(path))
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "sysctl %.40s: name too long", name);
    snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)n, name);
    for (char *p = path + sizeof("/proc/sys/") - 1; *p != '\0'; p++)
        if (*p == '.')
            *p = '/';
    if (read_small(path, buf, sizeof(buf), err) < 0)
        return -1;
    f = field_of(buf, field, &flen);
    if (f == NULL)
        return sl__err(err, SL_ESYS, ENODATA, "sysctl %s: no field %d", name, field);
    if (text != NULL && len > 0)
        snprintf(text, len, "%.*s", (int)flen, f);
    if (num != NULL) {
        errno = 0;
        *num = strtoll(f, &end, 10);
        if (end == f)
            *num = 0;
    }
    return 0;
}

int sl_sockopt_default(const sl_sockopt *o, int socktype, const char **sysctl,
                       sl_optval *v, sl_err *err)
{
    const char *name = socktype == SOCK_DGRAM ? o->default_udp : o->default_tcp;
    memset(v, 0, sizeof(*v));
    *sysctl = name;
    if (name == NULL)
        return 0;
    if (sl_sysctl_read(name, &v->num, v->str, sizeof(v->str), err) < 0)
        return -1;
    v->on = v->num != 0;
    return 1;
}
