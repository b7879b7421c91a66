/* engine/server.c: the server object: listeners, the stop pipe, counters,
 * events, and accept with the reserve-descriptor trick. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "engine/engine.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

sl_server *sl_server_new(const sl_server_config *cfg, sl_err *err)
{
    sl_server *srv;
    if (cfg->service == NULL) {
        sl__err(err, SL_EINPUT, EINVAL, "server: no service given");
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        sl__err_sys(err, "server: calloc");
        return NULL;
    }
    srv->cfg = *cfg;
    srv->model = cfg->model ? sl_model_find(cfg->model) : sl_model_default();
    if (srv->model == NULL) {
        sl__err(err, SL_EINPUT, EINVAL, "model '%s': unknown", cfg->model);
        free(srv);
        return NULL;
    }
    if (cfg->worker_processes && !srv->model->event_driven) {
        sl__err(err, SL_EINPUT, EINVAL, "worker processes: only for the event models "
                "(select, poll, epoll); the %s model schedules clients itself",
                srv->model->name);
        free(srv);
        return NULL;
    }
    if (srv->cfg.out_limit == 0)
        srv->cfg.out_limit = SL_OUT_LIMIT_DEFAULT;
    if (srv->cfg.close_timeout_ms <= 0)
        srv->cfg.close_timeout_ms = SL_CLOSE_TIMEOUT_DEFAULT;
    if (pipe2(srv->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        sl__err_sys(err, "server: pipe");
        free(srv);
        return NULL;
    }
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_init(&srv->reserve_lock, NULL);
    srv->sh = &srv->own;
    atomic_init(&srv->sh->stopping, 0);
    atomic_init(&srv->sh->served, 0);
    atomic_init(&srv->sh->active, 0);
    atomic_init(&srv->sh->admitted, 0);
    atomic_init(&srv->sh->next_id, 1);
    return srv;
}

int sl_server_add_listener(sl_server *srv, int fd, int socktype, sl_err *err)
{
    if (srv->nlisteners >= SL_MAX_LISTENERS)
        return sl__err(err, SL_EINPUT, E2BIG, "server: more than %d listeners",
                       SL_MAX_LISTENERS);
    if (sl_set_nonblock(fd, true, err) < 0)
        return -1;
    srv->listen_fd[srv->nlisteners] = fd;
    srv->listen_type[srv->nlisteners] = socktype;
    srv->nlisteners++;
    return 0;
}

int sl_server_run(sl_server *srv, sl_err *err)
{
    if (srv->nlisteners == 0)
        return sl__err(err, SL_EINPUT, EINVAL, "server: nothing to listen on");
    return srv->model->run(srv, err);
}

void sl_server_stop(sl_server *srv)
{
    int saved = errno;
    ssize_t n;
    atomic_store(&srv->sh->stopping, 1);
    n = write(srv->stop_pipe[1], "s", 1);   /* full pipe: already woken */
    (void)n;
    errno = saved;
}

void sl_server_free(sl_server *srv)
{
    if (srv == NULL)
        return;
    sl_close(srv->stop_pipe[0]);
    sl_close(srv->stop_pipe[1]);
    sl_close(srv->reserve_fd);
    pthread_mutex_destroy(&srv->reserve_lock);
    sl__dgram_free(srv);
    free(srv);
}

bool sl__server_stopping(const sl_server *srv)
{
    return atomic_load(&srv->sh->stopping) != 0;
}

void sl__server_count(sl_server *srv)
{
    uint64_t done;
    if (srv->forked_child)
        return;    /* the fork model's parent counts its children */
    done = atomic_fetch_add(&srv->sh->served, 1) + 1;
    if (srv->cfg.count > 0 && done >= srv->cfg.count)
        sl_server_stop(srv);
}

void sl__server_emit(const sl_server *srv, const sl_event *ev)
{
    if (srv->cfg.on_event != NULL)
        srv->cfg.on_event(ev, srv->cfg.event_arg);
}

void sl__server_say(const sl_server *srv, sl_event_kind kind, const sl_conn *c,
                    const char *fmt, ...)
{
    char msg[512];
    sl_addr peer;
    sl_event ev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.msg = msg;
    if (c != NULL) {
        sl__conn_peer_get(c, &peer);
        ev.conn_id = c->id;
        ev.peer = &peer;
    }
    sl__server_emit(srv, &ev);
}

/* Out of descriptors: free the reserve, accept the waiting client and close
 * it at once, so it is answered and the listener stops being readable.
 * Called with reserve_lock held. Returns 1 when a client was turned away,
 * 0 when nothing could be done (the reserve is tried again next time). */
static int shed_one(sl_server *srv, int lfd)
{
    sl_addr peer;
    char who[SL_ADDRSTRLEN];
    int fd = -1;
    if (srv->reserve_fd >= 0) {
        sl_close(srv->reserve_fd);
        fd = sl_accept(lfd, &peer, true, NULL);
        if (fd >= 0)
            sl_close(fd);
    }
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    sl__server_say(srv, SL_EV_REFUSED, NULL, "client %s refused: out of file descriptors",
                   sl_addr_format(&peer, who, sizeof(who)));
    return 1;
}

/* Accepts are serialised (the lock is uncontended with one acceptor): the
 * descriptor number the reserve frees must go to the client being turned
 * away, not to another worker's accept, or the reserve would be lost and
 * queued clients left waiting. */
/* TCP_NODELAY on an accepted TCP client: a service's writes are whole
 * replies, and Nagle would hold a small one back while an earlier one is
 * unacknowledged (with the peer's delayed ACK, up to 40 ms). Measured: one
 * bulk echo connection ran at a third of the rate without it. */
static void no_delay(int fd, const sl_addr *peer)
{
    int one = 1;
    if (peer != NULL && (peer->u.sa.sa_family == AF_INET || peer->u.sa.sa_family == AF_INET6))
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int sl__server_accept(sl_server *srv, int lfd, sl_addr *peer, bool nonblock)
{
    int fd, saved;
    pthread_mutex_lock(&srv->reserve_lock);
    fd = sl_accept(lfd, peer, nonblock, NULL);
    saved = errno;
    /* Worker processes each have their own descriptors: one that is full
     * pauses (EMFILE goes back to the caller) and leaves the client in the
     * queue for another, instead of turning it away. */
    if (fd < 0 && (saved == EMFILE || saved == ENFILE) && !srv->cfg.worker_processes)
        saved = shed_one(srv, lfd) ? ECONNABORTED : saved;
    pthread_mutex_unlock(&srv->reserve_lock);
    if (fd >= 0)
        no_delay(fd, peer);
    errno = saved;
    return fd;
}
