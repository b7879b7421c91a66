/* engine/event_serve.c: the event models' server: N workers, each one
 * event loop in its own thread, over the same listening sockets.
 *
 * With worker_processes the workers are processes instead (fork after
 * the listeners are open; each makes its own loop): each has its own
 * descriptor limit, so together they hold more clients than one process
 * may. The counters (served, --count, --max-clients places, ids) are in a
 * shared mapping for the run; a child ends with its parent
 * (PR_SET_PDEATHSIG) and a child that fails stops the whole server.
 * Datagrams are served by the first process alone: they need no more
 * descriptors, and its UDP counters are then the whole server's. A process
 * out of descriptors pauses its accepts and leaves new clients queued for
 * the others (sl__server_accept), so the processes fill up together.
 *
 * Sharing the port: the workers share the caller's one listener, each
 * loop watching it with SL_EV_EXCLUSIVE (EPOLLEXCLUSIVE: one worker is
 * woken per client, no thundering herd). SO_REUSEPORT would need one
 * listener per worker, bound while the first already listens, which is
 * exactly what the "a listening socket holds port N" check must refuse to
 * a second server; one shared listener keeps that check whole.
 *
 * Accepting: a bounded batch per wake-up; at --max-clients or at the
 * descriptor limit (when even the reserve descriptor could not turn a
 * client away) the listener is taken out of the loop and looked at again
 * PAUSE_MS later, so the server never spins. Stop: the stop pipe, which
 * stays readable, wakes every worker; each stops accepting and ends its
 * clients by the close bound. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "engine/event.h"
#include "socklab/io.h"
#include "net/err_internal.h"

#define ACCEPT_BATCH 64     /* clients accepted per wake-up at most */
#define EVENT_BATCH 256     /* events taken per wait */
#define PAUSE_MS SL_ACCEPT_PAUSE_MS   /* a paused listener is looked at this often */
#define MAX_WORKERS 256

static int listener_index(const sl_server *srv, int fd)
{
    for (int i = 0; i < srv->nlisteners; i++)
        if (srv->listen_fd[i] == fd)
            return i;
    return -1;
}

/* Watch (or stop watching) the listeners of socktype. */
static void watch_listeners(sl__worker *w, int socktype, bool on)
{
    for (int i = 0; i < w->srv->nlisteners; i++) {
        if (w->srv->listen_type[i] != socktype)
            continue;
        if (!on)
            sl_loop_del(w->loop, w->srv->listen_fd[i]);
        else if (sl_loop_add(w->loop, w->srv->listen_fd[i], SL_EV_READ | SL_EV_EXCLUSIVE,
                             NULL, &w->err) < 0)
            sl__server_say(w->srv, SL_EV_WARN, NULL, "%s", w->err.msg);
    }
}

static void set_accepting(sl__worker *w, bool on)
{
    if (w->accepting == on)
        return;
    watch_listeners(w, SOCK_STREAM, on);
    w->accepting = on;
}

/* Stop accepting for a while (clients wait in the listen queue). */
static void pause_accepting(sl__worker *w)
{
    set_accepting(w, false);
    w->accept_retry = w->now + PAUSE_MS;
}

/* Take a --max-clients place before accepting. Workers accept at the same
 * time, so the place is reserved atomically, not checked against a count
 * that grows only later. */
static bool admit(sl_server *srv)
{
    if (srv->cfg.max_clients <= 0)
        return true;
    if (atomic_fetch_add(&srv->sh->admitted, 1) < srv->cfg.max_clients)
        return true;
    atomic_fetch_sub(&srv->sh->admitted, 1);
    return false;
}

void sl__event_unadmit(sl_server *srv)
{
    if (srv->cfg.max_clients > 0)
        atomic_fetch_sub(&srv->sh->admitted, 1);
}

static bool at_max(const sl_server *srv)
{
    return srv->cfg.max_clients > 0 && atomic_load(&srv->sh->admitted) >= srv->cfg.max_clients;
}

/* Accept what is queued on lfd, a bounded batch. */
static void accept_batch(sl__worker *w, int lfd)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        sl_addr peer;
        int fd;
        if (!admit(w->srv)) {
            pause_accepting(w);
            return;
        }
        fd = sl__server_accept(w->srv, lfd, &peer, true);
        if (fd >= 0) {
            sl__event_open(w, fd, &peer);
            continue;
        }
        sl__event_unadmit(w->srv);
        if (errno == ECONNABORTED)
            continue;          /* one client was turned away: next */
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno != EMFILE && errno != ENFILE)
            sl__server_say(w->srv, SL_EV_WARN, NULL, "accept: %s", strerror(errno));
        pause_accepting(w);
        return;
    }
}

/* The server stops: no more clients; the others end by the close bound. */
static void begin_stop(sl__worker *w)
{
    w->stopping = true;
    w->stop_deadline = w->now + w->srv->cfg.close_timeout_ms;
    set_accepting(w, false);
    watch_listeners(w, SOCK_DGRAM, false);
    sl_loop_del(w->loop, w->srv->stop_pipe[0]);
    sl__event_stop_all(w);
}

/* A datagram listener is readable: serve a batch. */
static void serve_dgram(sl__worker *w, int fd)
{
    sl_err err;
    if (sl__dgram_serve_ready(w->srv, fd, &err) == 0)
        return;
    sl__server_say(w->srv, SL_EV_WARN, NULL, "%s", err.msg);
    if (err.kind == SL_EUNSUPPORTED)
        sl_loop_del(w->loop, fd);    /* it will not get better: stop asking */
}

static void dispatch(sl__worker *w, const sl_loop_event *e)
{
    int i;
    if (e->data != NULL) {
        sl__event_conn(w, e->data, e->events);
        return;
    }
    if (e->fd == w->srv->stop_pipe[0]) {
        if (!w->stopping)
            begin_stop(w);
        return;
    }
    i = listener_index(w->srv, e->fd);
    if (i < 0 || w->stopping)
        return;
    if (w->srv->listen_type[i] == SOCK_DGRAM)
        serve_dgram(w, e->fd);
    else if (w->accepting)
        accept_batch(w, e->fd);
}

/* How long the next wait may last (-1: until something happens). */
static int next_timeout(sl__worker *w)
{
    int t = sl__event_expire(w);
    if (!w->accepting && !w->stopping) {
        if (w->now >= w->accept_retry) {
            if (!at_max(w->srv))
                set_accepting(w, true);
            else
                w->accept_retry = w->now + PAUSE_MS;
        }
        if (!w->accepting) {
            long long r = w->accept_retry - w->now;
            t = t < 0 || r < t ? (int)r : t;
        }
    }
    return t;
}

/* The worker's loop: wait, dispatch, free what closed, until stopped. */
static int worker_run(sl__worker *w)
{
    sl_loop_event ev[EVENT_BATCH];
    int timeout = -1;
    for (;;) {
        int n = sl_loop_wait(w->loop, ev, EVENT_BATCH, timeout, &w->err);
        if (n < 0)
            return -1;
        w->now = sl_now_ms();
        for (int i = 0; i < n; i++)
            dispatch(w, &ev[i]);
        sl__event_reap(w);
        if (!w->stopping && sl__server_stopping(w->srv))
            begin_stop(w);
        timeout = next_timeout(w);
        sl__event_reap(w);
        if (w->stopping && w->nconns == 0)
            return 0;
    }
}

/* Make worker w; it serves datagrams too when dgram is true. */
static int worker_init(sl__worker *w, sl_server *srv, const char *backend, bool dgram)
{
    memset(w, 0, sizeof(*w));
    w->srv = srv;
    w->backend = backend;
    w->now = sl_now_ms();
    w->loop = sl_loop_new(backend, 1024, &w->err);
    if (w->loop == NULL)
        return -1;
    w->rbuf = malloc(SL_IO_CHUNK);
    if (w->rbuf == NULL)
        return sl__err_sys(&w->err, "event loop: read buffer");
    if (sl_loop_add(w->loop, srv->stop_pipe[0], SL_EV_READ, NULL, &w->err) < 0)
        return -1;
    if (dgram)
        watch_listeners(w, SOCK_DGRAM, true);
    set_accepting(w, true);
    return 0;
}

/* Free a worker; a failed one first ends its clients at once. */
static void worker_fini(sl__worker *w)
{
    if (w->loop != NULL && w->nconns > 0) {
        w->stop_deadline = w->now;
        sl__event_stop_all(w);
        w->now = w->stop_deadline + 1;
        sl__event_expire(w);
        sl__event_reap(w);
    }
    sl_loop_free(w->loop);
    free(w->rbuf);
}

static void *worker_thread(void *arg)
{
    sl__worker *w = arg;
    w->rc = worker_run(w);
    if (w->rc < 0)
        sl_server_stop(w->srv);   /* one loop failed: the others end too */
    return NULL;
}

static int worker_count(const sl_server *srv)
{
    long n = srv->cfg.workers > 0 ? srv->cfg.workers : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Start workers 1..n-1 in threads; returns how many run (at least 1). */
static int start_threads(sl__worker *w, int n)
{
    for (int i = 1; i < n; i++) {
        int rc = pthread_create(&w[i].tid, NULL, worker_thread, &w[i]);
        if (rc != 0) {
            sl__server_say(w->srv, SL_EV_WARN, NULL,
                           "pthread_create: %s: running %d event loops, not %d",
                           strerror(rc), i, n);
            return i;
        }
    }
    return n;
}

/* Move the counters to (or back from) a mapping shared with children. */
static void copy_counters(sl__server_counters *to, sl__server_counters *from)
{
    atomic_store(&to->stopping, atomic_load(&from->stopping));
    atomic_store(&to->next_id, atomic_load(&from->next_id));
    atomic_store(&to->served, atomic_load(&from->served));
    atomic_store(&to->active, atomic_load(&from->active));
    atomic_store(&to->admitted, atomic_load(&from->admitted));
}

static int share_counters(sl_server *srv, sl_err *err)
{
    sl__server_counters *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return sl__err_sys(err, "worker processes: mmap");
    copy_counters(m, &srv->own);
    srv->sh = m;
    return 0;
}

static void unshare_counters(sl_server *srv)
{
    sl__server_counters *m = srv->sh;
    copy_counters(&srv->own, m);
    srv->sh = &srv->own;
    munmap(m, sizeof(*m));
}

/* One worker in this thread of control: make it, run it, free it. */
static int serve_one(sl_server *srv, const char *backend, bool dgram, sl_err *err)
{
    sl__worker w;
    int rc = worker_init(&w, srv, backend, dgram);
    if (rc == 0)
        rc = worker_run(&w);
    if (rc < 0 && err != NULL)
        *err = w.err;
    worker_fini(&w);
    return rc;
}

/* In a worker process: serve until the server stops, then exit. */
static void worker_child(sl_server *srv, const char *backend, pid_t parent)
{
    sl_err err;
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);   /* stop (gracefully) with the parent */
    if (getppid() != parent)
        _exit(1);                             /* it is gone already */
    if (serve_one(srv, backend, false, &err) < 0) {
        sl__server_say(srv, SL_EV_WARN, NULL, "worker process %ld: %s", (long)getpid(),
                       err.msg);
        sl_server_stop(srv);
        _exit(1);
    }
    _exit(0);     /* not exit(): the parent's stdio buffers and atexit are its own */
}

/* Wait for a worker process; 0 when it ended well, else -1 and why. */
static int reap_worker(pid_t pid, sl_err *err)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sl__err_sys(err, "waitpid worker process %ld", (long)pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return sl__err(err, SL_ESYS, EINTR, "worker process %ld was killed by signal %d",
                       (long)pid, WTERMSIG(status));
    return sl__err(err, SL_ESYS, EIO, "worker process %ld failed (exit status %d)",
                   (long)pid, WEXITSTATUS(status));
}

/* n workers as processes: this one and n-1 children. */
static int serve_processes(sl_server *srv, const char *backend, int n, sl_err *err)
{
    pid_t pids[MAX_WORKERS], self = getpid();
    int started = 0, rc;
    sl_err cerr;
    if (share_counters(srv, err) < 0)
        return -1;
    for (int i = 1; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            worker_child(srv, backend, self);
        if (pid < 0) {
            sl__server_say(srv, SL_EV_WARN, NULL, "fork: %s: running %d worker processes, "
                           "not %d", strerror(errno), i, n);
            break;
        }
        pids[started++] = pid;
    }
    rc = serve_one(srv, backend, true, err);
    if (rc < 0)
        sl_server_stop(srv);   /* the children end too */
    for (int i = 0; i < started; i++)
        if (reap_worker(pids[i], &cerr) < 0 && rc == 0) {
            rc = -1;
            if (err != NULL)
                *err = cerr;
        }
    unshare_counters(srv);
    return rc;
}

int sl__event_serve(sl_server *srv, const char *backend, sl_err *err)
{
    int n = worker_count(srv), started, rc = 0;
    if (srv->cfg.worker_processes)
        return serve_processes(srv, backend, n, err);
    sl__worker *w = calloc((size_t)n, sizeof(*w));
    if (w == NULL)
        return sl__err_sys(err, "event loops: calloc");
    for (int i = 0; i < n; i++) {
        if (worker_init(&w[i], srv, backend, true) < 0) {
            if (err != NULL)
                *err = w[i].err;
            for (int k = 0; k <= i; k++)
                worker_fini(&w[k]);
            free(w);
            return -1;
        }
    }
    started = start_threads(w, n);
    worker_thread(&w[0]);
    for (int i = 1; i < started; i++)
        pthread_join(w[i].tid, NULL);
    for (int i = 0; i < n; i++) {
        if (w[i].rc < 0 && rc == 0) {
            rc = -1;
            if (err != NULL)
                *err = w[i].err;
        }
        worker_fini(&w[i]);
    }
    free(w);
    return rc;
}
