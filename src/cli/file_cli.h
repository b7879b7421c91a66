/* cli/file_cli.h: what file-server and file-client share on the command
 * line: byte counts and rates for people, and the progress line. */
#ifndef SL_CLI_FILE_CLI_H
#define SL_CLI_FILE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "1.5 MiB", "512 B" into buf. Returns buf. */
char *cli_bytes_human(uint64_t n, char *buf, size_t len);

/* The progress line on stderr: bytes, percent, rate, ETA, redrawn at most
 * five times a second. Only when stderr is a terminal and not quiet. */
typedef struct cli_progress {
    bool on;
    bool shown;               /* a line is on the screen */
    long long started_ms;
    long long last_ms;
} cli_progress;

void cli_progress_init(cli_progress *p, bool quiet);
/* An sl_file_progress_fn: arg is the cli_progress. */
void cli_progress_update(uint64_t done, uint64_t total, void *arg);
/* Erase the line (before any other message on stderr). */
void cli_progress_clear(cli_progress *p);

#endif
