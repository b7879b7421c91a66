/* services/file_open.c: opening what the file service sends. A name from
 * the network is checked (no "..", not absolute) and resolved beneath the
 * served directory with openat2(RESOLVE_BENEATH), so a symlink that leads
 * outside is refused by the kernel itself; where openat2 is missing, the
 * name is walked one component at a time with O_NOFOLLOW (every symlink is
 * then refused). Only regular files are served. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "services/file_internal.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)   /* a FIFO never blocks */

/* Turn a failed open of name into a message for the receiver. */
static int open_error(const char *name, sl_err *err)
{
    switch (errno) {
    case ENOENT: return sl__err(err, SL_EINPUT, errno, "%s: no such file", name);
    case EXDEV: return sl__err(err, SL_EINPUT, errno, "%s: leads outside the served directory", name);
    case ELOOP: return sl__err(err, SL_EINPUT, errno, "%s: a symbolic link on the way is refused", name);
    case ENOTDIR: return sl__err(err, SL_EINPUT, errno, "%s: a component is not a directory", name);
    default: return sl__err_sys(err, "%s", name);
    }
}

/* Walk name from dir_fd one component at a time, never following a symlink. */
static int walk_nofollow(int dir_fd, const char *name)
{
    char part[SL_FILE_COMPONENT_MAX + 1];
    int cur = dir_fd;
    const char *p = name;
    for (;;) {
        const char *slash = strchr(p, '/');
        int next;
        if (slash == NULL) {
            next = openat(cur, p, OPEN_FLAGS | O_NOFOLLOW);
        } else {
            memcpy(part, p, (size_t)(slash - p));
            part[slash - p] = '\0';
            next = openat(cur, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (cur != dir_fd)
            sl_close(cur);
        if (next < 0 || slash == NULL)
            return next;
        cur = next;
        p = slash + 1;
    }
}

/* Open name beneath dir_fd (the kernel keeps the lookup inside). */
static int open_beneath(int dir_fd, const char *name)
{
    struct open_how how;
    long fd;
    memset(&how, 0, sizeof(how));
    how.flags = OPEN_FLAGS;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != E2BIG))
        return (int)fd;
    return walk_nofollow(dir_fd, name);   /* no openat2 (old kernel, seccomp) */
}

/* Refuse anything but a regular file; *st receives its status. */
static int check_regular(int fd, const char *name, struct stat *st, sl_err *err)
{
    if (fstat(fd, st) < 0)
        return sl__err_sys(err, "fstat %s", name);
    if (!S_ISREG(st->st_mode))
        return sl__err(err, SL_EINPUT, EINVAL, "%s: not a regular file", name);
    return 0;
}

int sl__file_open_served(const sl_file_service_config *cfg, const char *name,
                         struct stat *st, sl_err *err)
{
    int fd;
    if (cfg->is_dir) {
        if (name[0] == '\0')
            return sl__err(err, SL_EINPUT, EINVAL, "no file named: this server serves a "
                           "directory; name a file in it");
        if (sl_file_name_check(name, strlen(name), err) < 0)
            return -1;
        fd = open_beneath(cfg->dir_fd, name);
    } else {
        const char *base = sl_file_name_base(cfg->path);
        if (name[0] != '\0' && strcmp(name, base) != 0)
            return sl__err(err, SL_EINPUT, ENOENT, "%s: no such file (this server sends "
                           "only '%s')", name, base);
        fd = open(cfg->path, OPEN_FLAGS);
    }
    if (fd < 0)
        return open_error(name[0] ? name : cfg->path, err);
    if (check_regular(fd, name[0] ? name : cfg->path, st, err) < 0)
        return sl_close(fd);
    return fd;
}

int sl_file_service_prepare(const char *path, bool raw, sl_file_service_config *cfg,
                            uint64_t *size, sl_err *err)
{
    struct stat st;
    sl_err why;
    const char *base = sl_file_name_base(path);
    int fd;
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = path;
    cfg->raw = raw;
    cfg->dir_fd = -1;
    *size = 0;
    if (stat(path, &st) < 0)
        return sl__err_sys(err, "%s", path);
    if (S_ISDIR(st.st_mode)) {
        if (raw)
            return sl__err(err, SL_EINPUT, EISDIR, "%s: --raw sends one file, not a "
                           "directory (the seed's protocol cannot name a file)", path);
        cfg->is_dir = true;
        cfg->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return cfg->dir_fd < 0 ? sl__err_sys(err, "%s", path) : 0;
    }
    if (!raw && sl_file_name_check(base, strlen(base), &why) < 0)
        return sl__err(err, SL_EINPUT, EINVAL, "%s: cannot be sent under this name (%s)",
                       path, why.msg);
    if ((fd = sl__file_open_served(cfg, "", &st, err)) < 0)
        return -1;
    *size = (uint64_t)st.st_size;
    sl_close(fd);
    return 0;
}
