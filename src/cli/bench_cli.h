/* cli/bench_cli.h: the pieces of `socklab bench` shared by its files:
 * options (cmd_bench.c), checks and progress (bench_progress.c), server
 * memory (bench_mem.c) and the report (bench_report.c). */
#ifndef SL_CLI_BENCH_H
#define SL_CLI_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include "socklab/socklab.h"

typedef struct bench_opts {
    sl_bench_config cfg;
    bool size_set, duration_set, histogram, json, quiet;
    int nsources;                    /* --sources N */
    int server_pid;                  /* --server-pid */
    int procs;                       /* --procs (hold): holding processes */
    char src_text[SL_BENCH_MAX_SOURCES][INET6_ADDRSTRLEN];
    bool tty;                        /* progress line on stderr */
    bool line_shown;
    long long mem_before_kb;         /* server memory before the run (-1: unknown) */
    long long mem_hold_kb;           /* during the measured phase (-1: unknown) */
    uint64_t mem_hold_conns;         /* connections open at that sample */
    double cpu_user_s, cpu_sys_s;    /* this process's (and its children's) CPU */
    double wall_s;                   /* of the whole run, warm-up and opening too */
} bench_opts;

/* Mode-dependent defaults and the "cannot use X with Y" checks (exit 2). */
void bench_check_options(bench_opts *o);

/* Start and end the progress line and the memory samples. */
void bench_progress_setup(bench_opts *o);
void bench_progress_end(bench_opts *o);

/* Memory of pid and its descendants in KiB (PSS where the kernel has it,
 * else RSS); -1 when pid is gone. */
long long bench_tree_memory_kb(int pid);

/* Hold o->cfg.connections across nprocs child processes (hold mode, more
 * connections than one process may open); the parent measures the
 * server's memory while all are held. Returns 0 or -1 with err. */
int bench_run_procs(bench_opts *o, int nprocs, const volatile sig_atomic_t *stop,
                    sl_bench_result *res, sl_err *err);

/* Print the report (text, or JSON with --json). Returns the exit status:
 * 1 when echoes were wrong or short, else 0. */
int bench_report(const bench_opts *o, const sl_bench_result *res);

/* With --json, a run that could not start is a result too: the error as
 * one JSON document on standard output (the exit status still says so). */
void bench_report_failure(const bench_opts *o, const sl_err *err);

#endif
