/* tests/unit/test_loop.c: every event-loop backend built into the library
 * passes the same checks (readiness, mod, silence, delete, timeouts, batch
 * fairness), and select refuses descriptors at or above FD_SETSIZE. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "socklab/loop.h"
#include "socklab/io.h"

static const char *backend;   /* the backend under test */

static sl_loop *new_loop(void)
{
    sl_err err;
    sl_loop *l = sl_loop_new(backend, 64, &err);
    if (l == NULL)
        fprintf(stderr, "  %s: %s\n", backend, err.msg);
    return l;
}

/* Readable after the peer writes, with the registered data. */
static void test_read_ready(void)
{
    int sv[2], tag = 7;
    sl_loop_event ev[4];
    sl_loop *l = new_loop();
    T_CHECK(l != NULL && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    if (l == NULL)
        return;
    T_EQ_STR(sl_loop_backend(l), backend);
    T_EQ_INT(sl_loop_add(l, sv[0], SL_EV_READ, &tag, NULL), 0);
    T_EQ_INT(sl_loop_wait(l, ev, 4, 0, NULL), 0);
    T_EQ_INT(write(sv[1], "x", 1), 1);
    T_EQ_INT(sl_loop_wait(l, ev, 4, 1000, NULL), 1);
    T_EQ_INT(ev[0].fd, sv[0]);
    T_CHECK(ev[0].events & SL_EV_READ);
    T_CHECK(ev[0].data == &tag);
    /* Level-triggered: still readable until read. */
    T_EQ_INT(sl_loop_wait(l, ev, 4, 0, NULL), 1);
    sl_loop_free(l);
    close(sv[0]);
    close(sv[1]);
}

/* mod switches to writability; 0 silences even a hang-up; asking again
 * reports it; del forgets the descriptor. */
static void test_mod_silent_del(void)
{
    int sv[2], a = 1, b = 2;
    sl_loop_event ev[4];
    sl_loop *l = new_loop();
    T_CHECK(l != NULL && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    if (l == NULL)
        return;
    T_EQ_INT(sl_loop_add(l, sv[0], SL_EV_READ, &a, NULL), 0);
    T_EQ_INT(sl_loop_mod(l, sv[0], SL_EV_WRITE, &b, NULL), 0);
    T_EQ_INT(sl_loop_wait(l, ev, 4, 1000, NULL), 1);
    T_CHECK(ev[0].events & SL_EV_WRITE);
    T_CHECK(!(ev[0].events & SL_EV_READ));
    T_CHECK(ev[0].data == &b);
    T_EQ_INT(sl_loop_mod(l, sv[0], 0, &b, NULL), 0);
    close(sv[1]);     /* hang-up on sv[0] */
    T_EQ_INT(sl_loop_wait(l, ev, 4, 50, NULL), 0);
    T_EQ_INT(sl_loop_mod(l, sv[0], SL_EV_READ, &a, NULL), 0);
    T_EQ_INT(sl_loop_wait(l, ev, 4, 1000, NULL), 1);
    T_CHECK(ev[0].events & SL_EV_READ);
    T_CHECK(ev[0].data == &a);
    T_EQ_INT(sl_loop_del(l, sv[0]), 0);
    T_EQ_INT(sl_loop_del(l, sv[0]), 0);   /* twice is harmless */
    T_EQ_INT(sl_loop_wait(l, ev, 4, 0, NULL), 0);
    sl_loop_free(l);
    close(sv[0]);
}

/* A wait with nothing ready lasts about its timeout. */
static void test_timeout(void)
{
    int sv[2];
    sl_loop_event ev[1];
    long long t0, dt;
    sl_loop *l = new_loop();
    T_CHECK(l != NULL && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    if (l == NULL)
        return;
    T_EQ_INT(sl_loop_add(l, sv[0], SL_EV_READ, NULL, NULL), 0);
    t0 = sl_now_ms();
    T_EQ_INT(sl_loop_wait(l, ev, 1, 60, NULL), 0);
    dt = sl_now_ms() - t0;
    T_CHECK(dt >= 50);
    T_CHECK(dt < 5000);
    sl_loop_free(l);
    close(sv[0]);
    close(sv[1]);
}

enum { MANY = 100 };

/* With more ready descriptors than a batch holds, successive waits report
 * every one of them (no starvation at the end of the set). */
static void test_batches_cover_all(void)
{
    int sv[MANY][2], seen = 0, rounds = 0;
    bool got[MANY] = { false };
    sl_loop_event ev[8];
    sl_loop *l = new_loop();
    if (l == NULL) {
        T_CHECK(false);
        return;
    }
    for (int i = 0; i < MANY; i++) {
        T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        T_EQ_INT(write(sv[i][1], "x", 1), 1);
        T_EQ_INT(sl_loop_add(l, sv[i][0], SL_EV_READ, &got[i], NULL), 0);
    }
    while (seen < MANY && rounds++ < 4 * MANY) {
        int n = sl_loop_wait(l, ev, 8, 1000, NULL);
        T_CHECK(n > 0 && n <= 8);
        for (int k = 0; k < n; k++) {
            bool *g = ev[k].data;
            if (!*g)
                seen++;
            *g = true;
        }
    }
    T_EQ_INT(seen, MANY);
    for (int i = 0; i < MANY; i++) {
        sl_loop_del(l, sv[i][0]);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    sl_loop_free(l);
}

/* Removing descriptors from the middle keeps the others reported. */
static void test_del_middle(void)
{
    int sv[3][2];
    sl_loop_event ev[4];
    sl_loop *l = new_loop();
    if (l == NULL) {
        T_CHECK(false);
        return;
    }
    for (int i = 0; i < 3; i++) {
        T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        T_EQ_INT(sl_loop_add(l, sv[i][0], SL_EV_READ, sv[i], NULL), 0);
    }
    T_EQ_INT(sl_loop_del(l, sv[0][0]), 0);
    T_EQ_INT(write(sv[2][1], "x", 1), 1);
    T_EQ_INT(sl_loop_wait(l, ev, 4, 1000, NULL), 1);
    T_EQ_INT(ev[0].fd, sv[2][0]);
    T_CHECK(ev[0].data == sv[2]);
    for (int i = 0; i < 3; i++) {
        sl_loop_del(l, sv[i][0]);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    sl_loop_free(l);
}

static void run_backend(const char *name)
{
    backend = name;
    printf("# backend %s\n", name);
    T_RUN(test_read_ready);
    T_RUN(test_mod_silent_del);
    T_RUN(test_timeout);
    T_RUN(test_batches_cover_all);
    T_RUN(test_del_middle);
}

/* select refuses a descriptor >= FD_SETSIZE; the others take it. */
static void test_select_refuses_high_fd(void)
{
    struct rlimit rl;
    sl_err err;
    int sv[2], high;
    sl_loop *l = sl_loop_new("select", 64, &err);
    T_CHECK(l != NULL && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur <= FD_SETSIZE + 8 && rl.rlim_max > FD_SETSIZE + 8) {
        rl.rlim_cur = FD_SETSIZE + 16;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    high = dup2(sv[0], FD_SETSIZE + 4);
    if (high < 0 || l == NULL) {
        printf("# skipped: cannot open descriptor %d\n", FD_SETSIZE + 4);
    } else {
        T_EQ_INT(sl_loop_add(l, high, SL_EV_READ, NULL, &err), -1);
        T_CHECK(strstr(err.msg, "FD_SETSIZE") != NULL);
        T_EQ_INT(sl_loop_mod(l, high, SL_EV_READ, NULL, NULL), -1);
        T_EQ_INT(sl_loop_add(l, sv[0], SL_EV_READ, NULL, NULL), 0);
        close(high);
    }
    sl_loop_free(l);
    close(sv[0]);
    close(sv[1]);
}

static void test_unknown_backend(void)
{
    sl_err err;
    T_CHECK(sl_loop_new("kqueue-nope", 8, &err) == NULL);
    T_CHECK(strstr(err.msg, "not built") != NULL);
    T_CHECK(sl_loop_backends()[0] != NULL);
}

int main(void)
{
    for (const char *const *b = sl_loop_backends(); *b != NULL; b++)
        run_backend(*b);
    T_RUN(test_select_refuses_high_fd);
    T_RUN(test_unknown_backend);
    return T_DONE();
}
