/* cli/bench_procs.c: `socklab bench -m hold` across several processes,
 * for more connections than one process may open descriptors (the hard
 * limit cannot be raised): each child holds its share, tells the parent
 * when all of its connections are open, and keeps them until the parent
 * has held them all for the duration and measured the server's memory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "cli/bench_cli.h"

#define MAX_PROCS 256

/* What a child sends back through its pipe when it ends. */
typedef struct child_report {
    int rc;
    sl_bench_stats st;
    uint64_t peak_open;
    char msg[256];
} child_report;

typedef struct child {
    pid_t pid;
    int result_fd;
} child;

static int ready_fd = -1;    /* the child's end of the "all open" pipe */
static bool told;

/* In a child: say "open" once the measured phase has begun. */
static void child_progress(const sl_bench_stats *s, void *arg)
{
    (void)arg;
    if (!told && !s->warming && s->elapsed_ns > 0) {
        char one = 'R';
        told = write(ready_fd, &one, 1) == 1;
    }
}

/* The body of child i: hold share connections until told to stop. */
static noreturn void child_main(bench_opts *o, int share, int rfd, int wfd)
{
    child_report rep;
    sl_bench_result res;
    sl_err err;
    memset(&rep, 0, sizeof(rep));
    ready_fd = rfd;
    o->cfg.connections = share;
    o->cfg.duration_ms = 86400000;          /* the parent ends it */
    o->cfg.progress = child_progress;
    o->cfg.progress_arg = NULL;
    o->cfg.progress_ms = 100;
    sl_err_clear(&err);
    rep.rc = sl_bench_run(&o->cfg, &res, &err);
    if (rep.rc == 0) {
        rep.st = res.stats;
        rep.peak_open = res.peak_open;
        sl_bench_result_free(&res);
    } else {
        snprintf(rep.msg, sizeof(rep.msg), "%.255s", err.msg);
    }
    if (write(wfd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
        _exit(1);
    _exit(rep.rc == 0 ? 0 : 1);
}

/* Start n children, each with its share of the connections. Returns how
 * many were started. */
static int spawn(bench_opts *o, child *kids, int n, int ready[2])
{
    int total = o->cfg.connections;
    for (int i = 0; i < n; i++) {
        int share = total / n + (i < total % n), p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            return i;
        fflush(NULL);
        kids[i].pid = fork();
        if (kids[i].pid < 0) {
            close(p[0]);
            close(p[1]);
            return i;
        }
        if (kids[i].pid == 0) {
            close(p[0]);
            close(ready[0]);
            child_main(o, share, ready[1], p[1]);
        }
        close(p[1]);
        kids[i].result_fd = p[0];
    }
    return n;
}

/* Wait until every child said its connections are open, or ended, or
 * the timeout passed, or the user stopped the run. Returns how many are
 * ready. */
static int wait_ready(int rfd, const child *kids, int n, int timeout_ms,
                      const volatile sig_atomic_t *stop)
{
    int ready = 0, gone = 0;
    long long end = sl_now_ms() + timeout_ms;
    while (ready + gone < n && sl_now_ms() < end && !*stop) {
        struct pollfd pfd = { .fd = rfd, .events = POLLIN };
        char buf[64];
        if (poll(&pfd, 1, 100) > 0) {
            ssize_t r = read(rfd, buf, sizeof(buf));
            ready += r > 0 ? (int)r : 0;
        }
        gone = 0;
        for (int i = 0; i < n; i++)
            if (waitpid(kids[i].pid, NULL, WNOHANG | WNOWAIT) == kids[i].pid)
                gone++;
    }
    return ready;
}

/* Stop every child and add up their reports into res. */
static int collect(const child *kids, int n, sl_bench_result *res, sl_err *err)
{
    int failed = 0;
    for (int i = 0; i < n; i++)
        kill(kids[i].pid, SIGTERM);
    for (int i = 0; i < n; i++) {
        child_report rep;
        sl_bench_stats *s = &res->stats;
        ssize_t r = read(kids[i].result_fd, &rep, sizeof(rep));
        close(kids[i].result_fd);
        while (waitpid(kids[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (r != (ssize_t)sizeof(rep) || rep.rc != 0) {
            if (failed++ == 0 && err != NULL)
                snprintf(err->msg, sizeof(err->msg), "%s",
                         r == (ssize_t)sizeof(rep) ? rep.msg : "a holding process died");
            continue;
        }
        s->open_conns += rep.st.open_conns;
        s->opened += rep.st.opened;
        s->resets += rep.st.resets;
        s->short_reads += rep.st.short_reads;
        s->connect_errors += rep.st.connect_errors;
        s->bytes_in += rep.st.bytes_in;
        s->bytes_out += rep.st.bytes_out;
        res->peak_open += rep.peak_open;
    }
    return failed;
}

int bench_run_procs(bench_opts *o, int nprocs, const volatile sig_atomic_t *stop,
                    sl_bench_result *res, sl_err *err)
{
    child kids[MAX_PROCS];
    int ready[2], nready, started, failed;
    long long t0;
    memset(res, 0, sizeof(*res));
    if (nprocs > MAX_PROCS)
        nprocs = MAX_PROCS;
    res->latency = sl_hist_new(err);
    res->connect_latency = sl_hist_new(err);
    if (res->latency == NULL || res->connect_latency == NULL || pipe2(ready, O_CLOEXEC) < 0) {
        snprintf(err->msg, sizeof(err->msg), "bench: %s", strerror(errno));
        goto fail;
    }
    started = spawn(o, kids, nprocs, ready);
    close(ready[1]);
    nready = started < nprocs ? 0 : wait_ready(ready[0], kids, nprocs, 600000, stop);
    t0 = sl_now_ms();
    while (nready == nprocs && !*stop && sl_now_ms() - t0 < o->cfg.duration_ms)
        poll(NULL, 0, 50);
    res->stats.elapsed_ns = (sl_now_ms() - t0) * 1000000;
    if (o->server_pid > 0 && nready == nprocs)
        o->mem_hold_kb = bench_tree_memory_kb(o->server_pid);
    close(ready[0]);
    failed = collect(kids, started, res, err);
    o->mem_hold_conns = res->stats.open_conns;
    res->backend = o->cfg.backend ? o->cfg.backend : sl_loop_backends()[0];
    if (started < nprocs) {
        snprintf(err->msg, sizeof(err->msg), "bench: could start only %d of %d holding processes",
                 started, nprocs);
        goto fail;
    }
    if (failed == nprocs)
        goto fail;
    return 0;
fail:
    err->kind = SL_ESYS;
    sl_bench_result_free(res);
    return -1;
}
