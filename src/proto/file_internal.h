/* proto/file_internal.h: the receiver's safe output file, shared by the
 * files of src/proto/ (sl__ names; not installed). */
#ifndef SL_FILE_INTERNAL_H
#define SL_FILE_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "socklab/fileproto.h"

/* Where a received file goes, and its temporary file until it is verified. */
typedef struct sl__file_out {
    int dir_fd;                 /* the target directory (-1: standard output) */
    int fd;                     /* the temporary file (or 1 for standard output) */
    bool to_stdout;
    bool force;
    bool anonymous;             /* O_TMPFILE: it has no name until committed */
    bool committed;
    char tmp_name[64];          /* a named temporary file (when O_TMPFILE is missing) */
    char final[NAME_MAX + 1];   /* the final name, one component */
    char dir[PATH_MAX];         /* the directory as given */
    char path[PATH_MAX];        /* dir/final, for messages */
} sl__file_out;

/* Work out the target from output (see sl_file_recv_opts) and the sender's
 * (checked) name, and refuse it now when it exists and force is off, or
 * when it is a directory. Opens nothing but the directory. */
int sl__file_out_target(sl__file_out *o, const char *output, const char *name,
                        bool force, sl_err *err);

/* Create the temporary file in the target directory (nameless with
 * O_TMPFILE where the file system has it) and reserve size bytes, so a
 * full disk is found before the transfer. */
int sl__file_out_create(sl__file_out *o, uint64_t size, sl_err *err);

/* Write all len bytes; a full disk says so. */
int sl__file_out_write(sl__file_out *o, const void *buf, size_t len, sl_err *err);

/* fsync the file, give it its final name (never replacing a file unless
 * force, never through a symlink), fsync the directory. */
int sl__file_out_commit(sl__file_out *o, sl_err *err);

/* Remove the temporary file and close everything (after commit: close). */
void sl__file_out_close(sl__file_out *o);

#endif
