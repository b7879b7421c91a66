/* socklab/service.h: what is said on a connection, written once for every
 * model.
 *
 * A service is a small state machine over one connection. The engine calls
 * it when bytes arrive, when the peer half-closes, when queued output has
 * drained, and when the connection ends. The service answers by queueing
 * output (sl_conn_send, sl_conn_send_file) and by asking for a half-close
 * (sl_conn_shutdown) or an end (sl_conn_finish). Whether the model behind
 * it blocks, forks, spawns threads or multiplexes is invisible here. */
#ifndef SOCKLAB_SERVICE_H
#define SOCKLAB_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "socklab/addr.h"
#include "socklab/err.h"

typedef struct sl_conn sl_conn;

typedef struct sl_service {
    const char *name;
    size_t state_size;   /* bytes of per-connection state, zeroed at open */
    /* The connection is accepted. Return 0, or -1 (with err) to close it. */
    int (*open)(sl_conn *c, void *st, const void *config, sl_err *err);
    /* len > 0 bytes arrived. Return how many were consumed (0..len), or -1.
     * Consuming fewer means the output queue is full: the engine stops
     * reading and offers the rest again after output drained. */
    ssize_t (*input)(sl_conn *c, void *st, const uint8_t *data, size_t len,
                     sl_err *err);
    /* The peer half-closed its direction (read returned 0). Optional. */
    int (*input_end)(sl_conn *c, void *st, sl_err *err);
    /* Everything queued has been written. Optional. */
    int (*drained)(sl_conn *c, void *st, sl_err *err);
    /* The connection is over; why is NULL on a clean end. Optional. */
    void (*close)(sl_conn *c, void *st, const sl_err *why);
} sl_service;

/* Bytes that may be queued now without blocking or passing the bound. */
size_t sl_conn_room(const sl_conn *c);

/* Queue (or write) len <= sl_conn_room() bytes. Returns 0 or -1. */
int sl_conn_send(sl_conn *c, const void *data, size_t len, sl_err *err);

/* Queue len bytes of file fd from offset off, sent without copying
 * (sendfile). One file at a time; fd stays the caller's. */
int sl_conn_send_file(sl_conn *c, int fd, off_t off, uint64_t len, sl_err *err);

/* Half-close: send FIN once everything queued has been written. Input is
 * still read and given to the service. */
void sl_conn_shutdown(sl_conn *c);

/* End the connection gracefully: half-close after the queue drains, read
 * and discard what the peer still sends until its EOF (bounded in time),
 * then close. Never closes over unread input (that would send RST). */
void sl_conn_finish(sl_conn *c);

/* Stop reading input until sl_conn_resume() (the service is waiting for
 * something else, e.g. its output to drain). */
void sl_conn_pause(sl_conn *c);
void sl_conn_resume(sl_conn *c);

const sl_addr *sl_conn_peer(const sl_conn *c);
uint64_t sl_conn_id(const sl_conn *c);
uint64_t sl_conn_bytes_in(const sl_conn *c);
uint64_t sl_conn_bytes_out(const sl_conn *c);

/* Report a line about this connection through the server's event hook. */
void sl_conn_log(sl_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The echo service: every byte back, binary-safe; after the peer's FIN,
 * everything is echoed and then the server half-closes too. */
extern const sl_service sl_echo_service;

#endif
