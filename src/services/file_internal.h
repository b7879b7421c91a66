/* services/file_internal.h: what the file service's files share (sl__
 * names; not installed). */
#ifndef SL_SERVICES_FILE_INTERNAL_H
#define SL_SERVICES_FILE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "socklab/fileproto.h"

/* Open the file a receiver asked for by name ("" for the one file served):
 * a checked name, resolved beneath the served directory, a regular file.
 * Returns the descriptor (*st filled) or -1 with a message that can be
 * sent to the receiver (SL_EINPUT for a refused name). */
int sl__file_open_served(const sl_file_service_config *cfg, const char *name,
                         struct stat *st, sl_err *err);

/* The checksum of the file whose status is st, if this process sent it
 * whole and it has not changed since (file_cache.c). */
bool sl__file_cache_get(const struct stat *st, uint8_t hash[SL_FILE_HASH_LEN]);

/* Remember the checksum of a file sent whole and unchanged. */
void sl__file_cache_put(const struct stat *st, const uint8_t hash[SL_FILE_HASH_LEN]);

/* The checksum of a file being sent (file_hasher.c): a large file is
 * hashed by a thread of its own while it is sent, a small one at once. */
typedef struct sl__file_hasher sl__file_hasher;

/* Start hashing the first size bytes of fd, which stays open until the
 * hasher ends. NULL on failure. */
sl__file_hasher *sl__file_hasher_start(int fd, uint64_t size, sl_err *err);

/* Wait for the checksum into out and free h. -1 (err filled) when the
 * file could not be read whole. */
int sl__file_hasher_end(sl__file_hasher *h, uint8_t out[SL_FILE_HASH_LEN], sl_err *err);

/* Stop hashing and free h (NULL: nothing). */
void sl__file_hasher_cancel(sl__file_hasher *h);

#endif
