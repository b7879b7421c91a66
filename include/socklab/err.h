/* socklab/err.h: the one error contract of libsocklab.
 *
 * Every function that can fail returns -1 (or NULL) on failure and, when the
 * caller passed a non-NULL `sl_err *`, fills it with the kind of failure, the
 * errno (or resolver) code and a message that names the failing call first:
 * "bind 0.0.0.0:9190: Address already in use". errno is preserved on return.
 * The library never prints and never exits; only the command line does. */
#ifndef SOCKLAB_ERR_H
#define SOCKLAB_ERR_H

#include <stddef.h>

#define SL_ERRLEN 768

typedef enum sl_errkind {
    SL_OK = 0,
    SL_ESYS,         /* a system call failed; code is its errno */
    SL_EINPUT,       /* the caller's input is malformed (bad port, name ...) */
    SL_ERESOLVE,     /* getaddrinfo/getnameinfo failed; code is the EAI_* */
    SL_EPEER,        /* the peer broke the protocol or closed early */
    SL_ETIMEDOUT,    /* a deadline passed */
    SL_EUNSUPPORTED  /* not built or not available on this system */
} sl_errkind;

typedef struct sl_err {
    sl_errkind kind;
    int code;
    char msg[SL_ERRLEN];
} sl_err;

/* Clear an error record (kind SL_OK, empty message). */
void sl_err_clear(sl_err *err);

/* Printable name of an error kind ("system", "input", ...). */
const char *sl_errkind_name(sl_errkind kind);

#endif
