/* net/loop_internal.h: what each event-loop backend (one file each) gives
 * to the dispatcher in loop.c. Only src/net/ includes this. */
#ifndef SL_LOOP_INTERNAL_H
#define SL_LOOP_INTERNAL_H

#include "socklab/loop.h"

typedef struct sl_loop_ops {
    const char *name;
    int (*add)(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err);
    int (*mod)(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err);
    int (*del)(sl_loop *loop, int fd);
    int (*wait)(sl_loop *loop, sl_loop_event *out, int max, int timeout_ms,
                sl_err *err);
    void (*free)(sl_loop *loop);
} sl_loop_ops;

/* Every backend's loop starts with this header. */
struct sl_loop {
    const sl_loop_ops *ops;
};

/* Constructors, one per backend file (NULL with err when it cannot start). */
sl_loop *sl__loop_select_new(int maxfds, sl_err *err);
sl_loop *sl__loop_poll_new(int maxfds, sl_err *err);
#ifdef __linux__
sl_loop *sl__loop_epoll_new(int maxfds, sl_err *err);
#endif

#endif
