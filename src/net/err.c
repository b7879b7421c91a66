/* net/err.c: filling sl_err records (the library's one error contract). */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/err_internal.h"

void sl_err_clear(sl_err *err)
{
    if (err == NULL)
        return;
    err->kind = SL_OK;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *sl_errkind_name(sl_errkind kind)
{
    switch (kind) {
    case SL_OK: return "ok";
    case SL_ESYS: return "system";
    case SL_EINPUT: return "input";
    case SL_ERESOLVE: return "resolve";
    case SL_EPEER: return "peer";
    case SL_ETIMEDOUT: return "timeout";
    case SL_EUNSUPPORTED: return "unsupported";
    }
    return "unknown";
}

/* Format the prefix, then append ": reason" when reason is not NULL. */
static void fill(sl_err *err, sl_errkind kind, int code, const char *reason,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void fill(sl_err *err, sl_errkind kind, int code, const char *reason,
                 const char *fmt, va_list ap)
{
    err->kind = kind;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (reason != NULL) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", reason);
    }
}

int sl__err(sl_err *err, sl_errkind kind, int code, const char *fmt, ...)
{
    int saved = errno;
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        fill(err, kind, code, NULL, fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return -1;
}

int sl__err_sys(sl_err *err, const char *fmt, ...)
{
    int saved = errno;
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        fill(err, SL_ESYS, saved, strerror(saved), fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return -1;
}

int sl__err_gai(sl_err *err, int code, const char *fmt, ...)
{
    int saved = errno;
    if (err != NULL) {
        va_list ap;
        const char *reason = code == EAI_SYSTEM ? strerror(saved) : gai_strerror(code);
        va_start(ap, fmt);
        fill(err, SL_ERESOLVE, code, reason, fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return -1;
}
