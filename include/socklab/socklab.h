/* socklab/socklab.h: the whole public interface of libsocklab.
 *
 * Error contract (every function): failure returns -1 or NULL and, when the
 * caller passes a non-NULL sl_err, fills it with "call: reason" and the
 * errno (see socklab/err.h). errno is preserved. The library never prints,
 * never exits and never installs signal handlers.
 *
 * Names: sl_ public, sl__ internal but shared between files, none for static. */
#ifndef SOCKLAB_SOCKLAB_H
#define SOCKLAB_SOCKLAB_H

#include "socklab/err.h"
#include "socklab/addr.h"
#include "socklab/sock.h"
#include "socklab/io.h"
#include "socklab/loop.h"
#include "socklab/diag.h"
#include "socklab/service.h"
#include "socklab/server.h"
#include "socklab/lookup.h"
#include "socklab/sockopt.h"
#include "socklab/inet.h"
#include "socklab/relay.h"
#include "socklab/dgram.h"
#include "socklab/fileproto.h"
#include "socklab/bench.h"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *sl_version(void);

#endif
