/* cli/bench_mem.c: how much memory a server process tree uses, for
 * `socklab bench -m hold --server-pid PID` (bytes per idle connection). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench_cli.h"

/* The parent of pid from /proc/PID/stat, or -1. */
static int parent_of(int pid)
{
    char path[64], buf[512], *p;
    FILE *f;
    int ppid = -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
        if (sscanf(p + 1, " %*c %d", &ppid) != 1)
            ppid = -1;
    fclose(f);
    return ppid;
}

/* The value of a "Key:   N kB" line of a /proc file, or -1. */
static long long proc_kb(int pid, const char *file, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long long v = -1;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtoll(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* One process's memory: PSS (shared pages divided among sharers, so
 * forked workers are not counted twice), else RSS. */
static long long one_kb(int pid)
{
    long long kb = proc_kb(pid, "smaps_rollup", "Pss");
    return kb >= 0 ? kb : proc_kb(pid, "status", "VmRSS");
}

/* True when pid descends from root. Bounded walk (pid 1 ends it). */
static bool descends(int pid, int root)
{
    for (int depth = 0; depth < 64 && pid > 1; depth++) {
        pid = parent_of(pid);
        if (pid == root)
            return true;
    }
    return false;
}

long long bench_tree_memory_kb(int root)
{
    long long total = one_kb(root), kb;
    DIR *d;
    struct dirent *e;
    if (total < 0)
        return -1;
    d = opendir("/proc");
    if (d == NULL)
        return total;
    while ((e = readdir(d)) != NULL) {
        int pid;
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid = atoi(e->d_name);
        if (pid != root && descends(pid, root) && (kb = one_kb(pid)) > 0)
            total += kb;
    }
    closedir(d);
    return total;
}
