/* net/err_internal.h: helpers that fill an sl_err; shared inside the library. */
#ifndef SL_ERR_INTERNAL_H
#define SL_ERR_INTERNAL_H

#include "socklab/err.h"

/* Fill err (if not NULL) with kind, code and a formatted message; keep
 * errno. Returns -1 so callers can `return sl__err(...)`. */
int sl__err(sl_err *err, sl_errkind kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A failed system call: "fmt...: strerror(errno)", kind SL_ESYS, code errno. */
int sl__err_sys(sl_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A resolver failure: gai_strerror(code), or errno for EAI_SYSTEM. */
int sl__err_gai(sl_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
