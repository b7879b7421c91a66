/* models/threads.c: the book's multi-thread server: one thread per client.
 * The client's descriptor and address are handed to its thread by value
 * (in a record of its own, never a pointer into the accept loop's stack);
 * at most --max-clients threads run (default SL_BLOCKING_MAX_DEFAULT),
 * beyond that clients wait in the listen queue; a thread that cannot be
 * created costs that one client, not the server. On stop, every thread
 * sees the stop pipe and ends its client within the close bound; the run
 * returns once all have. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define THREAD_STACK (512 * 1024)   /* the blocking driver needs ~70 KiB */
#define FULL_WAIT_MS 100            /* at the cap, look at the stop flag this often */

typedef struct pool {
    sl_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t changed;      /* a thread ended */
    pthread_attr_t attr;
    int running, cap;
} pool;

typedef struct client {
    pool *p;
    int fd;
    sl_addr peer;
} client;

static void *client_main(void *arg)
{
    client c = *(client *)arg;
    free(arg);
    sl__conn_serve_blocking(c.p->srv, c.fd, &c.peer);
    pthread_mutex_lock(&c.p->lock);
    c.p->running--;
    pthread_cond_broadcast(&c.p->changed);
    pthread_mutex_unlock(&c.p->lock);
    return NULL;
}

/* Start a thread for client fd; on failure close it and go on. */
static void spawn(pool *p, int fd, const sl_addr *peer)
{
    char who[SL_ADDRSTRLEN];
    client *c = malloc(sizeof(*c));
    int rc = ENOMEM;
    if (c != NULL) {
        c->p = p;
        c->fd = fd;
        c->peer = *peer;
        pthread_mutex_lock(&p->lock);
        p->running++;
        pthread_mutex_unlock(&p->lock);
        rc = pthread_create(&(pthread_t){ 0 }, &p->attr, client_main, c);
        if (rc == 0)
            return;
        pthread_mutex_lock(&p->lock);
        p->running--;
        pthread_mutex_unlock(&p->lock);
        free(c);
    }
    sl__server_say(p->srv, SL_EV_REFUSED, NULL, "client %s refused: pthread_create: %s",
                   sl_addr_format(peer, who, sizeof(who)), strerror(rc));
    sl_close(fd);
}

/* Wait until fewer than cap threads run or the server stops. */
static void wait_room(pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->running >= p->cap && !sl__server_stopping(p->srv)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += FULL_WAIT_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&p->changed, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
}

/* Accept one client from lfd and hand it to a thread. */
static void take_one(pool *p, int lfd)
{
    sl_addr peer;
    int fd = sl__server_accept(p->srv, lfd, &peer, true);
    if (fd >= 0) {
        spawn(p, fd, &peer);
        return;
    }
    if (errno == EMFILE || errno == ENFILE)
        sl__wait_listener(p->srv, false, -1, SL_ACCEPT_PAUSE_MS, NULL);
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
        sl__server_say(p->srv, SL_EV_WARN, NULL, "accept: %s", strerror(errno));
}

static int serve(pool *p, sl_err *err)
{
    while (!sl__server_stopping(p->srv)) {
        int lfd;
        wait_room(p);
        lfd = sl__wait_listener(p->srv, true, -1, -1, err);
        if (lfd == -1)
            return -1;
        if (lfd >= 0)
            take_one(p, lfd);
    }
    return 0;
}

static int run_threads(sl_server *srv, sl_err *err)
{
    pool p = { .srv = srv };
    sl__dgram_threads dg;
    int rc;
    p.cap = srv->cfg.max_clients > 0 ? srv->cfg.max_clients : SL_BLOCKING_MAX_DEFAULT;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    pthread_attr_init(&p.attr);
    pthread_attr_setdetachstate(&p.attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&p.attr, THREAD_STACK);
    rc = sl__dgram_threads_start(srv, &dg, err);
    if (rc == 0) {
        rc = serve(&p, err);
        sl_server_stop(srv);      /* on failure too: the threads end */
        pthread_mutex_lock(&p.lock);
        while (p.running > 0)     /* bounded: each ends within the close bound */
            pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
        sl__dgram_threads_join(&dg);
    }
    pthread_attr_destroy(&p.attr);
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.lock);
    return rc;
}

const sl_model sl__model_threads = {
    .name = "threads",
    .summary = "one thread per client, a bounded number (the book's multi-thread server)",
    .event_driven = false,
    .run = run_threads,
};
