/* engine/engine.h: the server and connection internals shared by the
 * engine, the models and the services (sl__ names; not installed). */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include <signal.h>
#include <stdatomic.h>
#include "socklab/server.h"
#include "socklab/service.h"

#define SL_MAX_LISTENERS 8
#define SL_IO_CHUNK (64 * 1024)        /* one read's worth for blocking drivers */
#define SL_OUT_LIMIT_DEFAULT (256 * 1024)
#define SL_CLOSE_TIMEOUT_DEFAULT 2000

struct sl_server {
    sl_server_config cfg;
    const sl_model *model;
    int listen_fd[SL_MAX_LISTENERS];
    int listen_type[SL_MAX_LISTENERS];
    int nlisteners;
    int stop_pipe[2];                  /* [0] polled by models, [1] written by stop */
    int reserve_fd;                    /* spare descriptor for the EMFILE trick */
    volatile sig_atomic_t stopping;
    atomic_uint_fast64_t next_id;
    atomic_uint_fast64_t served;       /* connections finished */
    atomic_int active;                 /* connections open now */
    struct sl__dgram *_Atomic dgram;   /* engine/dgram.c's state, made on first use */
};

struct sl_conn {
    sl_server *srv;
    int fd;
    sl_addr peer;
    uint64_t id;
    void *state;
    bool blocking;        /* driven by sl__conn_serve_blocking */
    bool paused;          /* the service asked not to be given input */
    bool in_eof;          /* the peer's FIN was read */
    bool want_shut;       /* FIN requested once output drains */
    bool shut_done;       /* FIN sent */
    bool finishing;       /* end after FIN and the peer's EOF */
    uint64_t bytes_in, bytes_out;
    long long started_ms;
    /* Event drivers keep unsent output and a pending file here. */
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    int file_fd;
    off_t file_off;
    uint64_t file_left;
    void *driver;         /* the event driver's own per-connection data */
};

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
 * by the close, and the server does not spin). Returns the client's fd,
 * -1 with errno EAGAIN when nothing is queued, or -1 on another error. */
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

extern const sl_model sl__model_iterative;

#endif
