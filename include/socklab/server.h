/* socklab/server.h: the engine. A server runs one service on its listening
 * sockets under one model (how connections are scheduled). */
#ifndef SOCKLAB_SERVER_H
#define SOCKLAB_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include "socklab/addr.h"
#include "socklab/err.h"
#include "socklab/service.h"

typedef struct sl_server sl_server;

/* What the engine reports; the command line turns these into log lines. */
typedef enum sl_event_kind {
    SL_EV_OPEN,      /* a client was accepted */
    SL_EV_CLOSE,     /* a client is gone (err set when it ended badly) */
    SL_EV_REFUSED,   /* a client was turned away (msg says why) */
    SL_EV_INFO,      /* a line about the server or a connection */
    SL_EV_WARN       /* something went wrong but the server goes on */
} sl_event_kind;

typedef struct sl_event {
    sl_event_kind kind;
    uint64_t conn_id;          /* 0 when not about one connection */
    const sl_addr *peer;       /* NULL when not about one connection */
    uint64_t bytes_in, bytes_out;
    long long duration_ms;
    const sl_err *err;         /* SL_EV_CLOSE after a failure, else NULL */
    const char *msg;           /* SL_EV_REFUSED / INFO / WARN */
} sl_event;

/* Must be safe to call from several threads and from forked children. */
typedef void (*sl_event_fn)(const sl_event *ev, void *arg);

typedef struct sl_server_config {
    const sl_service *service;
    const void *service_config;
    const char *model;          /* a name from sl_models(); NULL: the default */
    int workers;                /* event loops for event models; 0: CPU count */
    int max_clients;            /* 0: no limit of ours */
    int idle_timeout_ms;        /* 0: none */
    int close_timeout_ms;       /* bound on a graceful close; 0: 2000 */
    uint64_t count;             /* exit after serving this many; 0: forever */
    size_t out_limit;           /* bytes queued per client; 0: 256 KiB */
    sl_event_fn on_event;
    void *event_arg;
    bool worker_processes;      /* event models: the workers are processes,
                                 * each with its own descriptor limit (for
                                 * more clients than one process may hold);
                                 * counters are shared, on_event is called
                                 * from each process */
} sl_server_config;

/* A way of scheduling connections. */
typedef struct sl_model {
    const char *name;
    const char *summary;        /* one line for --help */
    bool event_driven;          /* multiplexes many clients per loop */
    int (*run)(sl_server *srv, sl_err *err);
} sl_model;

/* The models built into this library, NULL-terminated, in display order. */
const sl_model *const *sl_models(void);

/* The model called name, or NULL. */
const sl_model *sl_model_find(const char *name);

/* The model used when none is named (epoll where the platform has it). */
const sl_model *sl_model_default(void);

/* A server over the caller's listening sockets (they stay the caller's to
 * close after sl_server_free). The config is copied. */
sl_server *sl_server_new(const sl_server_config *cfg, sl_err *err);

/* Add a listening stream socket or a bound datagram socket. */
int sl_server_add_listener(sl_server *srv, int fd, int socktype, sl_err *err);

/* Serve until stopped or until count clients were served. Returns 0 on a
 * clean stop, -1 on failure. */
int sl_server_run(sl_server *srv, sl_err *err);

/* Ask the server to stop: stop accepting, end clients within the close
 * bound, return from sl_server_run. Async-signal-safe. */
void sl_server_stop(sl_server *srv);

void sl_server_free(sl_server *srv);

#endif
