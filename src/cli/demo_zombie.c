/* cli/demo_zombie.c: `socklab demo zombie`: children that exit before their
 * parent collects them are zombies (state Z in /proc/PID/stat); a SIGCHLD
 * handler that loops on waitpid(WNOHANG) reaps them all; the textbook's
 * handler, one waitpid per signal, leaves some behind when they exit
 * together, because pending SIGCHLDs do not queue. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cli/demo.h"

#define NCHILD 5

static volatile sig_atomic_t handler_calls, reaped;

/* The correct handler: collect every child that has exited. */
static void reap_all(int sig)
{
    int saved = errno;
    (void)sig;
    handler_calls++;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        reaped++;
    errno = saved;
}

/* The textbook's handler: one waitpid per signal. */
static void reap_one(int sig)
{
    int saved = errno;
    (void)sig;
    handler_calls++;
    if (waitpid(-1, NULL, WNOHANG) > 0)
        reaped++;
    errno = saved;
}

/* How many of the children are zombies now (gone ones count as not). */
static int count_zombies(const pid_t *kids, int n)
{
    int z = 0;
    for (int i = 0; i < n; i++) {
        char st;
        if (sl_proc_state(kids[i], &st, NULL) == 0 && st == 'Z')
            z++;
    }
    return z;
}

/* Fork n children that exit at once. Returns 0 or -1 with err. */
static int spawn(pid_t *kids, int n, sl_err *err)
{
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        kids[i] = fork();
        if (kids[i] < 0) {
            err->kind = SL_ESYS;
            err->code = errno;
            snprintf(err->msg, sizeof(err->msg), "fork: %s", strerror(errno));
            return -1;
        }
        if (kids[i] == 0)
            _exit(i);
    }
    return 0;
}

/* Wait (bounded) until all n children are zombies; print their states. */
static int wait_all_zombies(const pid_t *kids, int n)
{
    long long end = sl_now_ms() + 5000;
    int z;
    while ((z = count_zombies(kids, n)) < n && sl_now_ms() < end)
        nanosleep(&(struct timespec){ 0, 2 * 1000000L }, NULL);
    for (int i = 0; i < n; i++) {
        char st = '?';
        sl_proc_state(kids[i], &st, NULL);
        demo_say("kernel: child %d: state %c (/proc/%d/stat)", (int)kids[i], st, (int)kids[i]);
    }
    return z;
}

/* Install handler for SIGCHLD (SIG_DFL for NULL). */
static void on_sigchld(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler != NULL ? handler : SIG_DFL;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

/* Part 1: nobody reaps; then waitpid for each. */
static int no_reaping(sl_err *err)
{
    pid_t kids[NCHILD];
    int z;
    on_sigchld(NULL);
    demo_step("The parent forks %d children that exit at once, and does not call wait().",
              NCHILD);
    if (spawn(kids, NCHILD, err) < 0)
        return -1;
    z = wait_all_zombies(kids, NCHILD);
    demo_result("zombies: %d of %d children", z, NCHILD);
    demo_why("a child's exit status waits in the kernel until the parent collects it; "
             "until then the child is a zombie: no memory, no code, but a process-table "
             "slot and its pid.");
    demo_step("The parent calls waitpid() for each child.");
    for (int i = 0; i < NCHILD; i++)
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    demo_result("after waitpid: zombies: %d", count_zombies(kids, NCHILD));
    return 0;
}

/* Parts 2 and 3: children exit while SIGCHLD is blocked (so the signals
 * coalesce into one pending signal), then the handler runs once. */
static int with_handler(void (*handler)(int), const char *name, sl_err *err)
{
    pid_t kids[NCHILD];
    sigset_t chld, old;
    int z, left;

    handler_calls = reaped = 0;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    on_sigchld(handler);
    sigprocmask(SIG_BLOCK, &chld, &old);
    demo_step("With %s as the SIGCHLD handler, %d children exit together (SIGCHLD is "
              "blocked meanwhile, so they all exit before the handler can run).", name, NCHILD);
    if (spawn(kids, NCHILD, err) < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return -1;
    }
    z = wait_all_zombies(kids, NCHILD);
    demo_result("zombies before the handler runs: %d", z);
    sigprocmask(SIG_SETMASK, &old, NULL);   /* the pending SIGCHLD is delivered here */
    left = count_zombies(kids, NCHILD);
    demo_result("%s: SIGCHLD handled %d time%s, %d reaped, zombies left: %d", name,
                (int)handler_calls, handler_calls == 1 ? "" : "s", (int)reaped, left);
    on_sigchld(NULL);
    if (left > 0) {
        int more = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            more++;
        demo_say("(cleaning up: %d more reaped; zombies: %d)", more, count_zombies(kids, NCHILD));
    }
    return 0;
}

int demo_zombie(const demo_opts *o)
{
    sl_err err;
    (void)o;
    demo_title("zombie", "children nobody waits for, and the SIGCHLD handler that reaps them all");
    sl_err_clear(&err);
    if (no_reaping(&err) < 0)
        return demo_fail(&err);
    if (with_handler(reap_all, "a waitpid(-1, WNOHANG) loop", &err) < 0)
        return demo_fail(&err);
    demo_why("the loop collects every child that has exited, however many signals arrived: "
             "zero zombies (the textbook's correct sigchldwaitpid.c).");
    if (with_handler(reap_one, "one waitpid() per signal (the textbook's first handler)", &err) < 0)
        return demo_fail(&err);
    demo_why("SIGCHLD is a standard signal: while one is pending, more are not queued. %d "
             "children exited, one signal was delivered, one child was collected; the "
             "others stay zombies until some later SIGCHLD, maybe never.", NCHILD);
    printf("\ndone.\n");
    return CLI_OK;
}
