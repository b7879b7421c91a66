/* socklab/loop.h: readiness event loops behind one small interface. Each
 * backend (select, poll, epoll) is one file in src/net/; the build picks
 * the ones the platform has, and a caller may force one by name. Nothing
 * outside src/net/ includes <sys/epoll.h> or <sys/select.h>.
 *
 * Level-triggered everywhere: a descriptor that stays ready is reported
 * again on the next wait. */
#ifndef SOCKLAB_LOOP_H
#define SOCKLAB_LOOP_H

#include "socklab/err.h"

typedef struct sl_loop sl_loop;

enum {
    SL_EV_READ = 1u << 0,   /* readable (or a listener has a client) */
    SL_EV_WRITE = 1u << 1,  /* writable */
    SL_EV_ERROR = 1u << 2,  /* reported only: error or hang-up on fd */
    SL_EV_EXCLUSIVE = 1u << 3, /* add/mod only: when several loops watch one
                              * fd (a shared listener), wake one of them
                              * (EPOLLEXCLUSIVE); a hint other backends ignore */
};

typedef struct sl_loop_event {
    int fd;
    unsigned events;        /* SL_EV_* that are ready */
    void *data;             /* what was registered with fd */
} sl_loop_event;

/* A loop using backend ("epoll", "poll", "select"; NULL: the best built)
 * for up to maxfds descriptors (a hint; select refuses fds >= FD_SETSIZE). */
sl_loop *sl_loop_new(const char *backend, int maxfds, sl_err *err);

/* Watch fd for events (SL_EV_READ | SL_EV_WRITE) with data returned on wake. */
int sl_loop_add(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err);

/* Change what fd is watched for. 0 keeps it registered but silent: not
 * even errors or hang-ups are reported until a later mod asks again. */
int sl_loop_mod(sl_loop *loop, int fd, unsigned events, void *data, sl_err *err);

/* Stop watching fd (call before closing it). Returns 0, also when fd was
 * not watched, or -1 (errno set) when the backend refused. */
int sl_loop_del(sl_loop *loop, int fd);

/* Wait up to timeout_ms (< 0: forever) and fill at most max events.
 * Returns the count (0 on timeout or EINTR) or -1. */
int sl_loop_wait(sl_loop *loop, sl_loop_event *out, int max, int timeout_ms,
                 sl_err *err);

/* The backend's name. */
const char *sl_loop_backend(const sl_loop *loop);

/* Names of the backends built into this library, NULL-terminated, best first. */
const char *const *sl_loop_backends(void);

void sl_loop_free(sl_loop *loop);

#endif
