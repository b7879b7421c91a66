/* net/procs.c: which process holds a socket (a pass over /proc/PID/fd
 * looking for "socket:[INODE]"), and a process's state letter. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socklab/diag.h"
#include "socklab/sock.h"
#include "net/err_internal.h"

static int by_inode(const void *a, const void *b)
{
    uint64_t x = ((const sl_sockowner *)a)->inode, y = ((const sl_sockowner *)b)->inode;
    return x < y ? -1 : x > y;
}

/* True when name is all digits (a pid or an fd number). */
static bool all_digits(const char *name)
{
    if (*name == '\0')
        return false;
    for (; *name != '\0'; name++)
        if (!isdigit((unsigned char)*name))
            return false;
    return true;
}

/* Read /proc/PID/comm into buf (without the newline); "?" when unreadable. */
static void read_comm(pid_t pid, char *buf, size_t len)
{
    char path[64];
    ssize_t n;
    int fd;
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, buf, len - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0) {
        snprintf(buf, len, "?");
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

/* Match every socket descriptor of process pid against the sorted owners.
 * Returns how many owners were newly found. */
static int scan_pid(pid_t pid, sl_sockowner *owners, size_t n)
{
    char dir[64], path[384], link[64];
    struct dirent *d;
    DIR *fds;
    int found = 0;

    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    if ((fds = opendir(dir)) == NULL)
        return 0;     /* gone, or not ours to read */
    while ((d = readdir(fds)) != NULL) {
        sl_sockowner key, *hit;
        ssize_t len;
        if (!all_digits(d->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        len = readlink(path, link, sizeof(link) - 1);
        if (len <= 8 || strncmp(link, "socket:[", 8) != 0)
            continue;
        link[len] = '\0';
        key.inode = strtoull(link + 8, NULL, 10);
        hit = bsearch(&key, owners, n, sizeof(*owners), by_inode);
        if (hit == NULL || hit->pid != 0)
            continue;
        hit->pid = pid;
        hit->fd = atoi(d->d_name);
        read_comm(pid, hit->comm, sizeof(hit->comm));
        found++;
    }
    closedir(fds);
    return found;
}

int sl_sock_owners(sl_sockowner *owners, size_t n, sl_err *err)
{
    struct dirent *d;
    DIR *proc;
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        owners[i].pid = 0;
        owners[i].fd = -1;
        owners[i].comm[0] = '\0';
    }
    if (n == 0)
        return 0;
    qsort(owners, n, sizeof(*owners), by_inode);
    if ((proc = opendir("/proc")) == NULL)
        return sl__err_sys(err, "open /proc");
    while ((d = readdir(proc)) != NULL && (size_t)found < n)
        if (all_digits(d->d_name))
            found += scan_pid((pid_t)atoi(d->d_name), owners, n);
    closedir(proc);
    return found;
}

int sl_proc_state(pid_t pid, char *state, sl_err *err)
{
    char path[64], buf[512];
    const char *paren;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return sl__err_sys(err, "open %s", path);
    do
        n = read(fd, buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        sl__err_sys(err, "read %s", path);
        return sl_close(fd);
    }
    close(fd);
    buf[n] = '\0';
    /* "PID (COMM) S ...": COMM may hold spaces and ')', so take the last ')'. */
    paren = strrchr(buf, ')');
    if (paren == NULL || paren[1] != ' ' || paren[2] == '\0')
        return sl__err(err, SL_ESYS, EIO, "%s: unexpected format", path);
    *state = paren[2];
    return 0;
}
