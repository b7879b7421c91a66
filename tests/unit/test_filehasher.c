/* tests/unit/test_filehasher.c: the file service's checksum beside the
 * sending (services/file_hasher.c): the same digest as hashing the bytes in
 * one go, wherever the helper thread was stopped and taken over; a file
 * that shrank is an error; a cancelled hasher frees everything. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socklab/socklab.h"
#include "services/file_internal.h"
#include "t.h"

#define BIG (9u << 20)       /* above the size that gets a thread */
#define SMALL 1000u

static char path[64];
static uint8_t *data;
static volatile uint64_t busy;   /* the caller's work while the thread hashes */

/* The digest of the first n bytes of data, hashed in one call. */
static void expected(size_t n, uint8_t out[SL_FILE_HASH_LEN])
{
    sl_file_hash *h = sl_file_hash_new(NULL);
    sl_file_hash_update(h, data, n);
    sl_file_hash_final(h, out);
    sl_file_hash_free(h);
}

/* Hash the file's first n bytes; with work, keep the caller busy first so
 * the thread gets further before it is stopped. */
static int hash_via(size_t n, int work, uint8_t out[SL_FILE_HASH_LEN], sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    sl__file_hasher *h = sl__file_hasher_start(fd, n, err);
    if (h == NULL) {
        close(fd);
        return -1;
    }
    for (int i = 0; i < work; i++)
        busy += (uint64_t)i * 7;
    rc = sl__file_hasher_end(h, out, err);
    close(fd);
    return rc;
}

static void same_digest_wherever_stopped(void)
{
    uint8_t want[SL_FILE_HASH_LEN], got[SL_FILE_HASH_LEN];
    sl_err e;
    int work[] = { 0, 1000, 1000000, 50000000 };
    expected(BIG, want);
    for (size_t i = 0; i < sizeof(work) / sizeof(work[0]); i++) {
        memset(got, 0, sizeof(got));
        T_EQ_INT(hash_via(BIG, work[i], got, &e), 0);
        T_CHECK(memcmp(got, want, sizeof(want)) == 0);
    }
    expected(SMALL, want);
    T_EQ_INT(hash_via(SMALL, 0, got, &e), 0);
    T_CHECK(memcmp(got, want, sizeof(want)) == 0);
    expected(0, want);
    T_EQ_INT(hash_via(0, 0, got, &e), 0);
    T_CHECK(memcmp(got, want, sizeof(want)) == 0);
}

static void shrunk_file_is_an_error(void)
{
    uint8_t got[SL_FILE_HASH_LEN];
    sl_err e;
    T_EQ_INT(hash_via(BIG + 4096, 0, got, &e), -1);     /* the file is BIG */
    T_CHECK(strstr(e.msg, "shrank") != NULL);
    T_EQ_INT(hash_via(SMALL, 0, got, &e), 0);
}

static void cancel_frees(void)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    sl__file_hasher *h = sl__file_hasher_start(fd, BIG, NULL);
    T_CHECK(h != NULL);
    sl__file_hasher_cancel(h);          /* ASan and valgrind see any leak */
    sl__file_hasher_cancel(NULL);
    close(fd);
}

int main(void)
{
    int fd;
    if (!sl_file_hash_available(NULL)) {
        T_SKIP(same_digest_wherever_stopped, "libxxhash not built in");
        return T_DONE();
    }
    data = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        data[i] = (uint8_t)(rand() >> 7);
    snprintf(path, sizeof(path), "/tmp/sl-hasher-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0 || write(fd, data, BIG) != (ssize_t)BIG) {
        perror("temporary file");
        return 1;
    }
    close(fd);
    T_RUN(same_digest_wherever_stopped);
    T_RUN(shrunk_file_is_an_error);
    T_RUN(cancel_frees);
    unlink(path);
    free(data);
    return T_DONE();
}
