/* engine/event.h: the event driver's worker (one event loop, one thread)
 * shared by conn_event.c (connections) and event_serve.c (accepting,
 * timers, stop). */
#ifndef SL_EVENT_H
#define SL_EVENT_H

#include "engine/engine.h"
#include "socklab/loop.h"

/* A list of connections, oldest first. */
typedef struct sl__conn_list {
    sl_conn *head, *tail;
} sl__conn_list;

typedef struct sl__worker {
    sl_server *srv;
    const char *backend;
    sl_loop *loop;
    uint8_t *rbuf;             /* the one read buffer of this loop */
    sl__conn_list live;        /* served; ordered by last progress */
    sl__conn_list timed;       /* closing; ordered by deadline */
    sl_conn *dead;             /* closed in this batch, freed after it */
    int nconns;
    long long now;             /* the clock after the last wait */
    bool accepting;            /* listeners registered */
    long long accept_retry;    /* when to look at a paused listener again */
    bool stopping;
    long long stop_deadline;
    pthread_t tid;
    int rc;
    sl_err err;
} sl__worker;

/* Give back the --max-clients place of a client (event_serve.c). */
void sl__event_unadmit(sl_server *srv);

/* Serve a readiness event on c. */
void sl__event_conn(sl__worker *w, sl_conn *c, unsigned events);

/* Take an accepted client fd into w (or refuse it, with a log line). */
void sl__event_open(sl__worker *w, int fd, const sl_addr *peer);

/* The server stops: every connection of w ends by the stop deadline. */
void sl__event_stop_all(sl__worker *w);

/* Close connections whose idle time or close deadline has passed; returns
 * the milliseconds until the next one is due (-1: none). */
int sl__event_expire(sl__worker *w);

/* Free the records closed during the last batch. */
void sl__event_reap(sl__worker *w);

#endif
