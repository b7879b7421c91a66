/* proto/file_out.c: the receiver's output file. Data goes to a temporary
 * file in the target directory (nameless, O_TMPFILE, where the file system
 * allows: a killed receiver then leaves nothing behind); only a verified
 * file is fsynced and linked or renamed to its final name, and the
 * directory is fsynced after. Every name is resolved relative to the open
 * directory, and the final name is never followed if it is a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include "proto/file_internal.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

/* Copy text into dst (cap bytes) or fail when it does not fit. */
static int copy_str(char *dst, size_t cap, const char *text, const char *what, sl_err *err)
{
    size_t n = strlen(text);
    if (n >= cap)
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "%s: name too long", what);
    memcpy(dst, text, n + 1);
    return 0;
}

/* Split output (a path that is not an existing directory) into dir and final. */
static int split_output(sl__file_out *o, const char *output, sl_err *err)
{
    const char *slash = strrchr(output, '/');
    const char *base = slash ? slash + 1 : output;
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return sl__err(err, SL_EINPUT, ENOENT, "%s: no such directory", output);
    if (copy_str(o->final, sizeof(o->final), base, output, err) < 0)
        return -1;
    if (slash == NULL)
        return copy_str(o->dir, sizeof(o->dir), ".", output, err);
    if (slash == output)
        return copy_str(o->dir, sizeof(o->dir), "/", output, err);
    if ((size_t)(slash - output) >= sizeof(o->dir))
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "%s: name too long", output);
    memcpy(o->dir, output, (size_t)(slash - output));
    o->dir[slash - output] = '\0';
    return 0;
}

/* Refuse a final name that exists (unless force) or is a directory. */
static int check_final(const sl__file_out *o, sl_err *err)
{
    struct stat st;
    if (fstatat(o->dir_fd, o->final, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return sl__err_sys(err, "%s", o->path);
    }
    if (S_ISDIR(st.st_mode))
        return sl__err(err, SL_ESYS, EISDIR, "%s: is a directory", o->path);
    if (S_ISLNK(st.st_mode) && !o->force)
        return sl__err(err, SL_ESYS, EEXIST, "%s: exists (a symbolic link, which is "
                       "never followed); use --force to replace the link itself", o->path);
    if (!o->force)
        return sl__err(err, SL_ESYS, EEXIST,
                       "%s: exists; kept as it is (use --force to replace it)", o->path);
    return 0;
}

int sl__file_out_target(sl__file_out *o, const char *output, const char *name,
                        bool force, sl_err *err)
{
    struct stat st;
    memset(o, 0, sizeof(*o));
    o->dir_fd = o->fd = -1;
    o->force = force;
    if (output != NULL && strcmp(output, "-") == 0) {
        o->to_stdout = true;
        o->fd = STDOUT_FILENO;
        return copy_str(o->path, sizeof(o->path), "-", "output", err);
    }
    if (output == NULL || (stat(output, &st) == 0 && S_ISDIR(st.st_mode))) {
        if (copy_str(o->dir, sizeof(o->dir), output ? output : ".", "output", err) < 0 ||
            copy_str(o->final, sizeof(o->final), sl_file_name_base(name), name, err) < 0)
            return -1;
    } else if (split_output(o, output, err) < 0) {
        return -1;
    }
    if (strcmp(o->dir, ".") == 0)
        memcpy(o->path, o->final, strlen(o->final) + 1);
    else if (snprintf(o->path, sizeof(o->path), "%s%s%s", o->dir,
                      o->dir[strlen(o->dir) - 1] == '/' ? "" : "/", o->final)
             >= (int)sizeof(o->path))
        return sl__err(err, SL_EINPUT, ENAMETOOLONG, "%s: path too long", o->dir);
    o->dir_fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->dir_fd < 0)
        return sl__err_sys(err, "directory %s", o->dir);
    return check_final(o, err);
}

/* A named temporary file, for file systems without O_TMPFILE. */
static int create_named(sl__file_out *o, sl_err *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (unsigned i = 0; i < 16; i++) {
        snprintf(o->tmp_name, sizeof(o->tmp_name), ".socklab-%ld-%lx.part",
                 (long)getpid(), (unsigned long)ts.tv_nsec + i * 7919u);
        o->fd = openat(o->dir_fd, o->tmp_name,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (o->fd >= 0 || errno != EEXIST)
            break;
    }
    if (o->fd < 0) {
        o->tmp_name[0] = '\0';
        return sl__err_sys(err, "create a temporary file in %s", o->dir);
    }
    return 0;
}

/* On tmpfs, reserving allocates every page of the file in memory up front,
 * a second pass over it besides the writes; there only the free space is
 * checked. Returns 1 when fd is on tmpfs and size fits, 0 when it is not
 * tmpfs, -1 (errno ENOSPC) when it is and size does not fit. */
static int tmpfs_room(int fd, uint64_t size)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) < 0 || fs.f_type != TMPFS_MAGIC)
        return 0;
    if ((uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize >= size)
        return 1;
    errno = ENOSPC;
    return -1;
}

/* Reserve size bytes without changing the file's length, so that a full
 * disk shows now rather than after half the transfer. */
static int reserve(const sl__file_out *o, uint64_t size, sl_err *err)
{
    struct statvfs vfs;
    int tmpfs = size > 0 ? tmpfs_room(o->fd, size) : 0;
    if (size == 0 || tmpfs == 1 ||
        (tmpfs == 0 && fallocate(o->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)size) == 0))
        return 0;
    if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
        return 0;   /* the file system cannot reserve: writes will tell */
    if ((errno == ENOSPC || errno == EDQUOT) && fstatvfs(o->fd, &vfs) == 0)
        return sl__err(err, SL_ESYS, errno, "disk full: %s needs %llu bytes, %llu are "
                       "free there", o->path, (unsigned long long)size,
                       (unsigned long long)vfs.f_bavail * vfs.f_frsize);
    if (errno == ENOSPC || errno == EDQUOT)
        return sl__err_sys(err, "disk full: %s needs %llu bytes", o->path,
                           (unsigned long long)size);
    if (errno == EFBIG)
        return sl__err_sys(err, "%s: %llu bytes is too large for this file system",
                           o->path, (unsigned long long)size);
    return sl__err_sys(err, "fallocate %s", o->path);
}

int sl__file_out_create(sl__file_out *o, uint64_t size, sl_err *err)
{
    if (o->to_stdout)
        return 0;
    o->fd = openat(o->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    o->anonymous = o->fd >= 0;
    if (o->fd < 0) {
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
            return sl__err_sys(err, "create a temporary file in %s", o->dir);
        if (create_named(o, err) < 0)
            return -1;
    }
    return reserve(o, size, err);
}

int sl__file_out_write(sl__file_out *o, const void *buf, size_t len, sl_err *err)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == ENOSPC || errno == EDQUOT))
            return sl__err_sys(err, "disk full writing %s", o->path);
        if (n < 0)
            return sl__err_sys(err, "write %s", o->path);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Give a nameless (O_TMPFILE) file the name `name` in the directory. */
static int link_anonymous(const sl__file_out *o, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
    if (linkat(AT_FDCWD, proc, o->dir_fd, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    return linkat(o->fd, "", o->dir_fd, name, AT_EMPTY_PATH);   /* no /proc */
}

/* Move a named file to the final name: rename replaces (force) or refuses
 * to replace (RENAME_NOREPLACE; link + unlink where that is missing). */
static int move_named(const sl__file_out *o, const char *from)
{
    if (o->force)
        return renameat(o->dir_fd, from, o->dir_fd, o->final);
    if (renameat2(o->dir_fd, from, o->dir_fd, o->final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(o->dir_fd, from, o->dir_fd, o->final, 0) < 0)
        return -1;
    unlinkat(o->dir_fd, from, 0);
    return 0;
}

/* Put the temporary file under its final name. */
static int place(sl__file_out *o)
{
    if (!o->anonymous)
        return move_named(o, o->tmp_name);
    if (!o->force)
        return link_anonymous(o, o->final);   /* EEXIST if it appeared meanwhile */
    snprintf(o->tmp_name, sizeof(o->tmp_name), ".socklab-%ld-%d.part", (long)getpid(), o->fd);
    if (link_anonymous(o, o->tmp_name) < 0) {
        o->tmp_name[0] = '\0';
        return -1;
    }
    o->anonymous = false;    /* it has a name now: close() must remove it on failure */
    return move_named(o, o->tmp_name);
}

int sl__file_out_commit(sl__file_out *o, sl_err *err)
{
    if (o->to_stdout)
        return 0;
    if (fsync(o->fd) < 0)
        return sl__err_sys(err, "fsync %s", o->path);
    if (place(o) < 0) {
        if (errno == EEXIST)
            return sl__err(err, SL_ESYS, EEXIST, "%s: appeared during the transfer; kept "
                           "as it is (use --force to replace it)", o->path);
        return sl__err_sys(err, "rename into %s", o->path);
    }
    o->committed = true;
    o->tmp_name[0] = '\0';
    if (fsync(o->dir_fd) < 0)
        return sl__err_sys(err, "fsync directory %s", o->dir);
    return 0;
}

void sl__file_out_close(sl__file_out *o)
{
    if (!o->committed && o->tmp_name[0] != '\0' && o->dir_fd >= 0)
        unlinkat(o->dir_fd, o->tmp_name, 0);
    o->tmp_name[0] = '\0';
    if (!o->to_stdout)
        sl_close(o->fd);
    o->fd = -1;
    sl_close(o->dir_fd);
    o->dir_fd = -1;
}
