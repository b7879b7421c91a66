/* engine/engine.h: the server and connection internals shared by the
 * engine, the models and the services (sl__ names; not installed). */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "socklab/server.h"
#include "socklab/service.h"

#define SL_MAX_LISTENERS 8
#define SL_IO_CHUNK (64 * 1024)        /* one read's worth for blocking drivers */
#define SL_OUT_LIMIT_DEFAULT (256 * 1024)
#define SL_CLOSE_TIMEOUT_DEFAULT 2000
#define SL_ACCEPT_PAUSE_MS 50          /* accept cannot go on: look again after this */
#define SL_BLOCKING_MAX_DEFAULT 512    /* fork/threads: clients at once without --max-clients */

/* What every thread (and, with worker processes, every process) of a
 * server counts together; lock-free atomics, valid in shared memory. */
typedef struct sl__server_counters {
    atomic_int stopping;               /* lock-free: set from signal handlers too */
    atomic_uint_fast64_t next_id;
    atomic_uint_fast64_t served;       /* connections finished */
    atomic_int active;                 /* connections open now */
    atomic_int admitted;               /* event models: places taken within
                                        * max_clients, reserved before accept */
} sl__server_counters;

struct sl_server {
    sl_server_config cfg;
    const sl_model *model;
    int listen_fd[SL_MAX_LISTENERS];
    int listen_type[SL_MAX_LISTENERS];
    int nlisteners;
    int stop_pipe[2];                  /* [0] polled by models, [1] written by stop;
                                        * never drained: once stopped it stays
                                        * readable and wakes every thread and child */
    int reserve_fd;                    /* spare descriptor for the EMFILE trick */
    pthread_mutex_t reserve_lock;      /* serialises accepts and the EMFILE reserve */
    bool forked_child;                 /* fork model: this copy does not count */
    sl__server_counters own;           /* the counters, in this process */
    sl__server_counters *sh;           /* &own, or a shared mapping while worker
                                        * processes run (event_serve.c) */
    struct sl__dgram *_Atomic dgram;   /* engine/dgram.c's state, made on first use */
};

/* A connection's peer address, kept compactly: IPv4, IPv6 and short unix
 * names fit here; a longer name is kept whole in sl_conn.peer_full. */
typedef struct sl__peer {
    socklen_t len;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
} sl__peer;

/* What an event-driven connection has pending; allocated only while
 * something is pending and freed when it drains (idle connections stay
 * small). */
typedef struct sl__conn_ext {
    uint8_t *out;                      /* output the socket refused */
    size_t out_off, out_len, out_cap;
    uint8_t *in;                       /* input the service has not taken yet */
    size_t in_off, in_len;
    int file_fd;                       /* a file range to sendfile, after out */
    off_t file_off;
    uint64_t file_left;
} sl__conn_ext;

/* One connection. Kept small: an idle event-driven connection is this
 * record alone (about 140 bytes), since issue 8 holds 100,000 of them. */
struct sl_conn {
    sl_server *srv;
    void *state;
    sl__conn_ext *ext;    /* pending output, input or file; NULL when none */
    sl_addr *peer_full;   /* made on the first sl_conn_peer() (or long names) */
    struct sl_conn *prev, *next;   /* event driver: its worker's list */
    uint64_t id;
    uint64_t bytes_in, bytes_out;
    long long started_ms;
    long long last_ms;    /* event driver: last progress, or close deadline */
    int fd;
    uint8_t interest;     /* event driver: SL_EV_* registered now */
    bool blocking;        /* driven by sl__conn_serve_blocking */
    bool paused;          /* the service asked not to be given input */
    bool throttled;       /* the service took less than given: wait for drain */
    bool in_eof;          /* the peer's FIN was read */
    bool want_shut;       /* FIN requested once output drains */
    bool shut_done;       /* FIN sent */
    bool finishing;       /* end after FIN and the peer's EOF */
    bool timed;           /* event driver: on the closing list (last_ms = deadline) */
    bool closing;         /* event driver: released; discarding input until EOF */
    bool dead;            /* event driver: closed, freed at the end of the batch */
    bool sent;            /* output was queued since the last drained call */
    sl__peer peer;
};

/* The pending-output record of c, made on first need (NULL on failure). */
sl__conn_ext *sl__conn_ext_get(sl_conn *c, sl_err *err);

/* Free c's pending-output record once nothing is pending in it. */
void sl__conn_ext_trim(sl_conn *c);

/* Bytes queued in memory (not counting a pending file). */
size_t sl__conn_queued(const sl_conn *c);

/* True while output (memory or file) waits to be written. */
bool sl__conn_pending(const sl_conn *c);

/* c's peer expanded into a full address. */
void sl__conn_peer_get(const sl_conn *c, sl_addr *out);

/* Report an event through the configured hook (no-op without one). */
void sl__server_emit(const sl_server *srv, const sl_event *ev);

/* Report a free-form line of kind SL_EV_INFO/WARN/REFUSED. */
void sl__server_say(const sl_server *srv, sl_event_kind kind, const sl_conn *c,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* True once the server must stop (signal, count reached). */
bool sl__server_stopping(const sl_server *srv);

/* Count one finished connection; stops the server when cfg.count is met. */
void sl__server_count(sl_server *srv);

/* Accept one client from lfd. At the descriptor limit the reserve
 * descriptor is used to accept the client and close it at once (it is told
 * by the close, and the server does not spin). Returns the client's fd, or
 * -1 with errno EAGAIN when nothing is queued, ECONNABORTED when a client
 * was turned away that way (try again), EMFILE/ENFILE when even that was
 * impossible (pause the listener for a while), or another error. */
int sl__server_accept(sl_server *srv, int lfd, sl_addr *peer, bool nonblock);

/* Serve one accepted client to its end with blocking calls, in this thread
 * (the iterative, fork and threads models). Closes fd. */
void sl__conn_serve_blocking(sl_server *srv, int fd, const sl_addr *peer);

/* Set up and tear down the per-connection record shared by every driver. */
int sl__conn_init(sl_conn *c, sl_server *srv, int fd, const sl_addr *peer,
                  bool blocking, sl_err *err);
void sl__conn_release(sl_conn *c, const sl_err *why);

/* Datagram sockets among the listeners (engine/dgram.c). Event models call
 * sl__dgram_serve_ready when such a socket is readable: it serves a bounded
 * batch of what is queued and returns (0, or -1 on a socket error). Blocking
 * models run sl__dgram_serve_loop in a thread of its own: it serves until
 * the server stops. */
int sl__dgram_serve_ready(sl_server *srv, int fd, sl_err *err);
void sl__dgram_serve_loop(sl_server *srv, int fd);
/* Free what engine/dgram.c keeps for srv (sl_server_free calls it). */
void sl__dgram_free(sl_server *srv);

/* A listener ready to accept, for the blocking models: waits on the stream
 * listeners, the stop pipe and extra (an fd or -1; when it is readable
 * SL__WAIT_EXTRA is returned) for at most timeout_ms (< 0: no limit).
 * With accepting false only the stop pipe and extra are watched. Returns
 * the listener's fd, SL__WAIT_NONE on stop or timeout, or -1. */
enum { SL__WAIT_NONE = -2, SL__WAIT_EXTRA = -3 };
int sl__wait_listener(sl_server *srv, bool accepting, int extra, int timeout_ms,
                      sl_err *err);

/* Blocking models: a thread per datagram listener running
 * sl__dgram_serve_loop until the server stops. */
typedef struct sl__dgram_threads {
    pthread_t tid[SL_MAX_LISTENERS];
    struct sl__dgram_arg {
        sl_server *srv;
        int fd;
    } arg[SL_MAX_LISTENERS];
    int n;
} sl__dgram_threads;
int sl__dgram_threads_start(sl_server *srv, sl__dgram_threads *t, sl_err *err);
void sl__dgram_threads_join(sl__dgram_threads *t);

/* The event models: workers (cfg.workers, default the CPU count) each run
 * an event loop of backend over the shared listeners until the server
 * stops. Returns 0 on a clean stop, -1 on failure. */
int sl__event_serve(sl_server *srv, const char *backend, sl_err *err);

/* Models (one file each in src/models/). */
extern const sl_model sl__model_iterative;
extern const sl_model sl__model_fork;
extern const sl_model sl__model_threads;
extern const sl_model sl__model_select;
extern const sl_model sl__model_poll;
#ifdef __linux__
extern const sl_model sl__model_epoll;
#endif

#endif
