/* engine/conn_driver.h: what each connection driver (blocking, event)
 * provides to conn.c, and the output queue they share. */
#ifndef SL_CONN_DRIVER_H
#define SL_CONN_DRIVER_H

#include "engine/engine.h"

/* Blocking driver: write everything now (stop and idle aware). */
int sl__conn_send_blocking(sl_conn *c, const void *data, size_t len, sl_err *err);

/* Blocking driver: send a file range now, without copying (sendfile). */
int sl__conn_send_file_blocking(sl_conn *c, int fd, off_t off, uint64_t len,
                                sl_err *err);

/* Event driver: write what the socket takes now, queue the rest (within
 * the room the service was given). */
int sl__conn_send_event(sl_conn *c, const void *data, size_t len, sl_err *err);

/* Event driver: write queued output, then the pending file, until done or
 * the socket is full. Returns 1 when nothing is left, 0 when some is,
 * -1 on error (SL_EPEER for a reset). */
int sl__conn_flush(sl_conn *c, sl_err *err);

/* Free c's pending-output record and everything in it. */
void sl__conn_ext_drop(sl_conn *c);

/* Report that c was accepted (SL_EV_OPEN). */
void sl__conn_emit_open(const sl_conn *c);

/* Every driver: send c's FIN, once. After the peer's EOF nothing is left
 * unread, so the close() that follows sends the same FIN: no shutdown()
 * then (one system call less per client). */
void sl__conn_fin(sl_conn *c);

/* Every driver: the peer's FIN was read. Tell the service; when it asks
 * for neither a half-close nor an end, end the connection. */
int sl__conn_peer_done(sl_conn *c, sl_err *err);

#endif
