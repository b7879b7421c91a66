/* cli/relay_opts.h: the command line of `socklab relay`, parsed apart from
 * running it (so the fuzz target can drive the parser alone). */
#ifndef SL_CLI_RELAY_OPTS_H
#define SL_CLI_RELAY_OPTS_H

#include "cli/cli.h"
#include "socklab/relay.h"

typedef struct relay_opts {
    sl_endpoint listen_ep;
    sl_listen_opts listen;
    sl_relay_config cfg;
    cli_log log;
    bool seeded;              /* --seed given (else one is picked and shown) */
} relay_opts;

/* Parse argv (argv[0] is "relay") into o; any mistake is a usage error
 * (exit 2 through cli_usage_error). */
void relay_opts_parse(int argc, char **argv, relay_opts *o);

/* A probability from 0 to 1 ("0.25", "1"); usage error otherwise. */
double relay_probability(const char *opt, const char *text);

/* "delay 100 ms, cut up after 1000 bytes (RST), ..." or "none" into buf. */
void relay_faults_describe(const sl_relay_config *cfg, char *buf, size_t len);

#endif
