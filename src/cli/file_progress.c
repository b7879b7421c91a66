/* cli/file_progress.c: byte counts for people and the transfer's progress
 * line on stderr (never on stdout, where data or JSON may go). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/file_cli.h"

char *cli_bytes_human(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)n;
    int u = -1;
    if (n < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", n);
        return buf;
    }
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

void cli_progress_init(cli_progress *p, bool quiet)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->shown = false;
    p->started_ms = p->last_ms = sl_now_ms();
}

/* "m:ss" (or "h:mm:ss") of a number of seconds into buf. */
static void clock_text(double s, char *buf, size_t len)
{
    unsigned long long t = s > 0 && s < 1e9 ? (unsigned long long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%llu:%02llu", t / 60, t % 60);
}

void cli_progress_update(uint64_t done, uint64_t total, void *arg)
{
    cli_progress *p = arg;
    char got[32], all[32], rate[32], eta[32] = "?";
    long long now = sl_now_ms();
    double secs, bps;
    if (!p->on || (now - p->last_ms < 200 && done != total))
        return;
    p->last_ms = now;
    secs = (double)(now - p->started_ms) / 1000.0;
    bps = secs > 0 ? (double)done / secs : 0;
    cli_bytes_human(done, got, sizeof(got));
    cli_bytes_human((uint64_t)bps, rate, sizeof(rate));
    if (total == UINT64_MAX) {
        fprintf(stderr, "\r\033[K%s  %s/s", got, rate);
    } else {
        cli_bytes_human(total, all, sizeof(all));
        if (bps > 0)
            clock_text((double)(total - done) / bps, eta, sizeof(eta));
        fprintf(stderr, "\r\033[K%s / %s  %3d%%  %s/s  ETA %s", got, all,
                total ? (int)((double)done * 100.0 / (double)total) : 100, rate, eta);
    }
    fflush(stderr);
    p->shown = true;
}

void cli_progress_clear(cli_progress *p)
{
    if (!p->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
}
