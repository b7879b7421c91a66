/* bench/peers/uv_echo.c: an echo server on libuv (the event library under
 * Node.js), written the way a libuv user would: one loop, a read buffer
 * per read, each chunk written back with its own write request, reading
 * paused while more than 1 MiB waits to be written (backpressure), so a
 * client that never reads cannot make it grow without bound. SIGPIPE is
 * ignored, as Node.js does: libuv writes with write(), and a client that
 * closes while its echo is being written would otherwise kill the server.
 * usage: uv_echo PORT (0: any); prints "listening on tcp 127.0.0.1:PORT". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define WRITE_HIGH (1u << 20)

typedef struct wreq {
    uv_write_t req;
    uv_buf_t buf;
} wreq;

static uv_loop_t *loop;

static void on_close(uv_handle_t *h)
{
    free(h);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    buf->base = malloc(65536);
    buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_write(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    uv_stream_t *s = req->handle;
    free(w->buf.base);
    free(w);
    /* s->data marks a stream whose reading was paused for backpressure. */
    if (status == 0 && s->data != NULL && !uv_is_closing((uv_handle_t *)s)
        && uv_stream_get_write_queue_size(s) < WRITE_HIGH / 2) {
        s->data = NULL;
        uv_read_start(s, on_alloc, on_read);
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wreq *w;
    if (n <= 0) {
        free(buf->base);
        if (n < 0)
            uv_close((uv_handle_t *)s, on_close);
        return;
    }
    w = malloc(sizeof(*w));
    if (w == NULL) {
        free(buf->base);
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    w->buf = uv_buf_init(buf->base, (unsigned)n);
    if (uv_write(&w->req, s, &w->buf, 1, on_write) != 0) {
        free(buf->base);
        free(w);
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (uv_stream_get_write_queue_size(s) >= WRITE_HIGH) {
        uv_read_stop(s);
        s->data = s;
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    uv_tcp_t *c;
    if (status < 0)
        return;
    c = malloc(sizeof(*c));
    if (c == NULL)
        return;
    uv_tcp_init(loop, c);
    c->data = NULL;
    if (uv_accept(server, (uv_stream_t *)c) != 0) {
        uv_close((uv_handle_t *)c, on_close);
        return;
    }
    uv_tcp_nodelay(c, 1);
    uv_read_start((uv_stream_t *)c, on_alloc, on_read);
}

int main(int argc, char **argv)
{
    uv_tcp_t server;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound), rc;
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 0, &addr);
    uv_tcp_init(loop, &server);
    rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&server, 4096, on_connection);
    if (rc != 0) {
        fprintf(stderr, "uv_echo: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
    fprintf(stderr, "listening on tcp 127.0.0.1:%d (libuv %s)\n",
            ntohs(((struct sockaddr_in *)&bound)->sin_port), uv_version_string());
    return uv_run(loop, UV_RUN_DEFAULT);
}
