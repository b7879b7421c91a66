/* engine/conn_driver.h: what each connection driver (blocking, event)
 * provides to conn.c. */
#ifndef SL_CONN_DRIVER_H
#define SL_CONN_DRIVER_H

#include "engine/engine.h"

/* Blocking driver: write everything now (stop and idle aware). */
int sl__conn_send_blocking(sl_conn *c, const void *data, size_t len, sl_err *err);

/* Blocking driver: send the queued file range now, without copying. */
int sl__conn_flush_file_blocking(sl_conn *c, sl_err *err);

/* Event driver: write what the socket takes now, queue the rest (within
 * the room the service was given). */
int sl__conn_send_event(sl_conn *c, const void *data, size_t len, sl_err *err);

#endif
