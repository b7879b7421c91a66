/* services/file_hasher.c: the sender's checksum of the file it sends,
 * computed beside the sending. A large file is read (pread, from the same
 * page cache that sendfile reads) and hashed by a thread of its own while
 * the connection's thread sends it, so on a machine with a second core
 * the hash costs CPU there instead of time on the transfer; a small file
 * is hashed at once, before it is sent. When the sending is done first
 * (the thread got little CPU), the connection's thread stops the helper at
 * its next chunk and hashes the rest itself: it never waits longer than
 * hashing in place would have taken. The thread blocks every signal, so a
 * signal meant for the server (a fork child's SIGTERM) reaches the thread
 * that serves. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "services/file_internal.h"
#include "net/err_internal.h"

#define CHUNK (256 * 1024)              /* one pread: stays in the L2 cache */
#define THREAD_MIN (4ull * 1024 * 1024) /* smaller files are hashed at once */

struct sl__file_hasher {
    int fd;
    uint64_t size;
    sl_file_hash *hash;
    uint8_t *buf;
    uint64_t off;           /* bytes hashed so far */
    bool threaded;
    pthread_t tid;
    atomic_bool stop;       /* the thread leaves at its next chunk */
    int rc;                 /* the thread's result: 0, or -1 with err */
    sl_err err;
};

/* Read and hash the file from h->off to its size; in the thread, stop
 * early (0) when asked. 0, or -1 with h->err filled. */
static int hash_file(sl__file_hasher *h, bool in_thread)
{
    while (h->off < h->size) {
        size_t want = h->size - h->off < CHUNK ? (size_t)(h->size - h->off) : CHUNK;
        ssize_t n;
        if (in_thread && atomic_load(&h->stop))
            return 0;
        n = pread(h->fd, h->buf, want, (off_t)h->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sl__err_sys(&h->err, "read for the checksum");
        if (n == 0)
            return sl__err(&h->err, SL_ESYS, EIO, "the file shrank while being sent "
                           "(to %llu bytes)", (unsigned long long)h->off);
        sl_file_hash_update(h->hash, h->buf, (size_t)n);
        h->off += (uint64_t)n;
    }
    return 0;
}

static void *hash_thread(void *arg)
{
    sl__file_hasher *h = arg;
    h->rc = hash_file(h, true);
    return NULL;
}

/* Start the thread with every signal blocked in it. */
static int spawn(sl__file_hasher *h, sl_err *err)
{
    sigset_t all, old;
    int rc;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&h->tid, NULL, hash_thread, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return sl__err(err, SL_ESYS, rc, "checksum thread: pthread_create failed");
    h->threaded = true;
    return 0;
}

/* Free h and what it holds (the thread is joined or was never started). */
static void release(sl__file_hasher *h)
{
    sl_file_hash_free(h->hash);
    free(h->buf);
    free(h);
}

sl__file_hasher *sl__file_hasher_start(int fd, uint64_t size, sl_err *err)
{
    sl__file_hasher *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        sl__err_sys(err, "checksum: calloc");
        return NULL;
    }
    h->fd = fd;
    h->size = size;
    sl_err_clear(&h->err);
    h->hash = sl_file_hash_new(err);
    h->buf = h->hash ? malloc(size < CHUNK ? (size_t)size + 1 : CHUNK) : NULL;
    if (h->buf == NULL) {
        if (h->hash != NULL)
            sl__err_sys(err, "checksum: malloc");
        release(h);
        return NULL;
    }
    if (size >= THREAD_MIN && spawn(h, err) == 0)
        return h;
    h->rc = hash_file(h, false);   /* small, or no thread could be had */
    return h;
}

int sl__file_hasher_end(sl__file_hasher *h, uint8_t out[SL_FILE_HASH_LEN], sl_err *err)
{
    int rc;
    if (h->threaded) {
        atomic_store(&h->stop, true);
        pthread_join(h->tid, NULL);
        if (h->rc == 0)
            h->rc = hash_file(h, false);   /* what the thread left */
    }
    rc = h->rc;
    if (rc == 0)
        sl_file_hash_final(h->hash, out);
    else if (err != NULL)
        *err = h->err;
    release(h);
    return rc;
}

void sl__file_hasher_cancel(sl__file_hasher *h)
{
    if (h == NULL)
        return;
    atomic_store(&h->stop, true);
    if (h->threaded)
        pthread_join(h->tid, NULL);
    release(h);
}
