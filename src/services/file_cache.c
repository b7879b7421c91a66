/* services/file_cache.c: checksums of files this process has sent whole,
 * keyed by what changes when a file changes (device, inode, size, mtime
 * and ctime, in nanoseconds; ctime cannot be set back by anyone). A file
 * served again unchanged then goes out by sendfile alone: on a loopback or
 * a fast link, reading the file once more to hash it costs the sender more
 * than sending it. A stale entry cannot damage a transfer: the receiver
 * checks the data against the checksum and keeps nothing on a mismatch.
 *
 * Shared by the threads of a process (a mutex); a forked child starts with
 * its parent's copy. A handful of entries, replaced round-robin. */
#include <pthread.h>
#include <string.h>

#include "services/file_internal.h"

#define CACHE_SIZE 32

typedef struct cache_entry {
    bool used;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    uint8_t hash[SL_FILE_HASH_LEN];
} cache_entry;

static cache_entry cache[CACHE_SIZE];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* True when e describes the file whose status is st. */
static bool same_file(const cache_entry *e, const struct stat *st)
{
    return e->used && e->dev == st->st_dev && e->ino == st->st_ino &&
           e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
           e->mtime.tv_nsec == st->st_mtim.tv_nsec && e->ctime.tv_sec == st->st_ctim.tv_sec &&
           e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

bool sl__file_cache_get(const struct stat *st, uint8_t hash[SL_FILE_HASH_LEN])
{
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    for (unsigned i = 0; i < CACHE_SIZE && !found; i++) {
        if (same_file(&cache[i], st)) {
            memcpy(hash, cache[i].hash, SL_FILE_HASH_LEN);
            found = true;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

void sl__file_cache_put(const struct stat *st, const uint8_t hash[SL_FILE_HASH_LEN])
{
    cache_entry *e = NULL;
    pthread_mutex_lock(&cache_lock);
    for (unsigned i = 0; i < CACHE_SIZE && e == NULL; i++)
        if (cache[i].used && cache[i].dev == st->st_dev && cache[i].ino == st->st_ino)
            e = &cache[i];   /* the same file, changed since: replace its entry */
    if (e == NULL)
        e = &cache[cache_next++ % CACHE_SIZE];
    e->used = true;
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = st->st_size;
    e->mtime = st->st_mtim;
    e->ctime = st->st_ctim;
    memcpy(e->hash, hash, SL_FILE_HASH_LEN);
    pthread_mutex_unlock(&cache_lock);
}
