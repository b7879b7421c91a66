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

#endif
