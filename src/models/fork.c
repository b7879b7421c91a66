/* models/fork.c: the book's multi-process server: one child per client.
 *
 * The parent closes its copy of each client socket and reaps children in a
 * waitpid(-1, WNOHANG) loop on every wake-up. It learns of a child's exit
 * through a self-pipe written by a SIGCHLD handler that this model
 * installs for the length of its run and restores afterwards (the library
 * installs nothing behind the caller's back otherwise); a bounded wait
 * while children live is the safety net. Zombies live for microseconds.
 * --max-clients caps the children (the default SL_BLOCKING_MAX_DEFAULT);
 * beyond it, clients wait in the listen queue. A child blocks in recv()
 * on its client (engine/conn_blocking.c), so on stop the parent sends each
 * child SIGTERM, again every STOP_RESEND_MS until it has ended (a signal
 * that lands just before recv() is not lost for long); the children end
 * their clients within the close bound, and the parent kills what is left
 * after that bound. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "engine/engine.h"
#include "socklab/io.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define REAP_SAFETY_MS 1000   /* wait at most this long while children live */
#define KILL_GRACE_MS 1000    /* beyond the close bound before SIGKILL */
#define STOP_RESEND_MS 100    /* SIGTERM to the children again after this */

/* The SIGCHLD self-pipe: a signal handler has no argument, so it lives
 * here, and one fork server runs per process at a time. */
static int chld_pipe[2] = { -1, -1 };
static atomic_flag fork_running = ATOMIC_FLAG_INIT;

static void on_sigchld(int sig)
{
    int saved = errno;
    ssize_t n = write(chld_pipe[1], "c", 1);   /* full pipe: already woken */
    (void)sig;
    (void)n;
    errno = saved;
}

typedef struct forker {
    sl_server *srv;
    pid_t *pids;               /* live children */
    int npids, cap;
    struct sigaction old;      /* the caller's SIGCHLD action, restored */
} forker;

static int install(forker *f, sl_err *err)
{
    struct sigaction sa;
    if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return sl__err_sys(err, "fork model: pipe");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, &f->old) < 0) {
        sl__err_sys(err, "fork model: sigaction SIGCHLD");
        sl_close(chld_pipe[0]);
        sl_close(chld_pipe[1]);
        chld_pipe[0] = chld_pipe[1] = -1;
        return -1;
    }
    return 0;
}

static void restore(forker *f)
{
    sigaction(SIGCHLD, &f->old, NULL);
    sl_close(chld_pipe[0]);
    sl_close(chld_pipe[1]);
    chld_pipe[0] = chld_pipe[1] = -1;
}

/* Forget a reaped child; count it as served when it was ours. */
static void forget(forker *f, pid_t pid)
{
    for (int i = 0; i < f->npids; i++) {
        if (f->pids[i] == pid) {
            f->pids[i] = f->pids[--f->npids];
            sl__server_count(f->srv);
            return;
        }
    }
}

/* Collect every child that has exited (and empty the self-pipe). */
static void reap(forker *f)
{
    char buf[64];
    pid_t pid;
    int status;
    while (read(chld_pipe[0], buf, sizeof(buf)) > 0)
        ;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        forget(f, pid);
}

/* The child's SIGTERM: stop serving (the server is the child's copy). */
static sl_server *child_srv;

static void on_child_term(int sig)
{
    (void)sig;
    sl_server_stop(child_srv);
}

/* In the child, SIGTERM stops the server and interrupts a blocked recv()
 * or send() (no SA_RESTART). */
static void child_signals(sl_server *srv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_child_term;
    sigemptyset(&sa.sa_mask);
    child_srv = srv;
    sigaction(SIGTERM, &sa, NULL);
}

/* In the child: serve the one client and exit. The listeners are closed
 * (the port must not outlive the parent in children), the caller's SIGCHLD
 * action is back, and the child's stop only concerns itself: its copy of
 * the stop pipe's write end is closed, so a signal to one child sets its
 * own flag and does not stop the whole server. */
static void child_main(forker *f, int fd, const sl_addr *peer)
{
    sl_server *srv = f->srv;
    restore(f);
    srv->forked_child = true;
    for (int i = 0; i < srv->nlisteners; i++)
        sl_close(srv->listen_fd[i]);
    sl_close(srv->stop_pipe[1]);
    srv->stop_pipe[1] = -1;
    child_signals(srv);
    sl__conn_serve_blocking(srv, fd, peer);
    _exit(0);    /* not exit(): the parent's stdio buffers and atexit are its own */
}

/* Accept a client from lfd and fork a child for it. */
static void spawn(forker *f, int lfd)
{
    sl_addr peer;
    pid_t pid;
    int fd = sl__server_accept(f->srv, lfd, &peer, true);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE)
            sl__wait_listener(f->srv, false, -1, SL_ACCEPT_PAUSE_MS, NULL);
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
            sl__server_say(f->srv, SL_EV_WARN, NULL, "accept: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid == 0)
        child_main(f, fd, &peer);
    sl_close(fd);                 /* the parent's copy: the child has its own */
    if (pid < 0) {
        char who[SL_ADDRSTRLEN];
        sl__server_say(f->srv, SL_EV_REFUSED, NULL, "client %s refused: fork: %s",
                       sl_addr_format(&peer, who, sizeof(who)), strerror(errno));
        return;
    }
    /* The child numbered its client from its copy of next_id; advance the
     * parent's so the next child's client gets the next number. */
    atomic_fetch_add(&f->srv->sh->next_id, 1);
    f->pids[f->npids++] = pid;
}

/* Ask every live child to stop. Only unreaped children are in pids, so
 * no pid here has been reused. */
static void term_children(const forker *f)
{
    for (int i = 0; i < f->npids; i++)
        kill(f->pids[i], SIGTERM);
}

/* After a stop: ask the children to stop until they have, within the
 * close bound, then kill and collect what is left (zero zombies either
 * way). */
static void wait_children(forker *f)
{
    long long deadline = sl_now_ms() + f->srv->cfg.close_timeout_ms + KILL_GRACE_MS;
    long long resend = 0;
    struct pollfd p = { .fd = chld_pipe[0], .events = POLLIN, .revents = 0 };
    for (reap(f); f->npids > 0 && sl_now_ms() < deadline; reap(f)) {
        long long now = sl_now_ms(), left = deadline - now;
        if (now >= resend) {
            term_children(f);
            resend = now + STOP_RESEND_MS;
        }
        poll(&p, 1, (int)(left < resend - now ? left : resend - now));
    }
    for (int i = 0; i < f->npids; i++)
        kill(f->pids[i], SIGKILL);
    while (f->npids > 0) {
        int status;
        pid_t pid = waitpid(f->pids[f->npids - 1], &status, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        f->npids--;
    }
}

/* The accept loop: reap, wait for a listener (not at the cap), fork. */
static int serve(forker *f, sl_err *err)
{
    while (!sl__server_stopping(f->srv)) {
        int lfd;
        reap(f);
        lfd = sl__wait_listener(f->srv, f->npids < f->cap, chld_pipe[0],
                                f->npids > 0 ? REAP_SAFETY_MS : -1, err);
        if (lfd == -1)
            return -1;
        if (lfd >= 0)
            spawn(f, lfd);
    }
    return 0;
}

static int run_fork(sl_server *srv, sl_err *err)
{
    forker f = { .srv = srv };
    sl__dgram_threads dg;
    int rc;
    if (atomic_flag_test_and_set(&fork_running))
        return sl__err(err, SL_EINPUT, EBUSY, "fork model: one fork server per process at a time");
    f.cap = srv->cfg.max_clients > 0 ? srv->cfg.max_clients : SL_BLOCKING_MAX_DEFAULT;
    f.pids = calloc((size_t)f.cap, sizeof(*f.pids));
    if (f.pids == NULL || install(&f, err) < 0) {
        if (f.pids == NULL)
            sl__err_sys(err, "fork model: calloc");
        free(f.pids);
        atomic_flag_clear(&fork_running);
        return -1;
    }
    rc = sl__dgram_threads_start(srv, &dg, err);
    if (rc == 0) {
        rc = serve(&f, err);
        sl_server_stop(srv);      /* on failure too: children and threads end */
        wait_children(&f);
        sl__dgram_threads_join(&dg);
    }
    restore(&f);
    free(f.pids);
    atomic_flag_clear(&fork_running);
    return rc;
}

const sl_model sl__model_fork = {
    .name = "fork",
    .summary = "one child process per client, reaped at once: no zombies (the book's multi-process server)",
    .event_driven = false,
    .run = run_fork,
};
