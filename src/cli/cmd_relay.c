/* cli/cmd_relay.c: `socklab relay`: a TCP or UDP relay that injects faults
 * (delay, jitter, rate, cut, flipped byte, stall, UDP drop and dup), for
 * testing clients and servers against a bad network. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/relay_opts.h"

static sl_relay *volatile stop_relay;

static void on_stop(int sig)
{
    (void)sig;
    if (stop_relay != NULL)
        sl_relay_stop(stop_relay);
}

/* SIGINT/SIGTERM stop r (NULL: back to the defaults); SIGPIPE ignored. */
static void relay_signals(sl_relay *r)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    stop_relay = r;
    sa.sa_handler = r != NULL ? on_stop : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The figures of the whole run, one line on stderr. */
static void print_stats(const sl_relay *r)
{
    sl_relay_stats s;
    sl_relay_stats_get(r, &s);
    fprintf(stderr, "relay: %" PRIu64 " clients, %" PRIu64 " bytes up, %" PRIu64
            " down; faults: %" PRIu64 " cut, %" PRIu64 " flipped, %" PRIu64 " stalled, %"
            PRIu64 " delayed, %" PRIu64 " dropped, %" PRIu64 " duplicated; %" PRIu64
            " resets\n", s.clients, s.bytes_up, s.bytes_down, s.cuts, s.flips, s.stalls,
            s.delayed, s.dropped, s.duplicated, s.resets);
}

/* Print the listening line: tests and users wait for it. */
static void announce(const relay_opts *o, const sl_relay *r, const sl_addr *bound)
{
    char where[SL_ADDRSTRLEN], target[SL_ADDRSTRLEN], faults[512];
    sl_addr_format(bound, where, sizeof(where));
    sl_addr_format(sl_relay_target(r), target, sizeof(target));
    relay_faults_describe(&o->cfg, faults, sizeof(faults));
    fprintf(stderr, "listening on %s %s (relay to %s; faults: %s; seed %" PRIu64 ")\n",
            o->cfg.udp ? "udp" : "tcp", where, target, faults, o->cfg.seed);
}

int cmd_relay(int argc, char **argv)
{
    relay_opts o;
    sl_relay *r = NULL;
    sl_addr bound;
    sl_err err;
    int fd, rc;

    relay_opts_parse(argc, argv, &o);
    if (!o.seeded)
        o.cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    o.cfg.on_event = cli_log_event;
    o.cfg.event_arg = &o.log;
    relay_signals(NULL);
    fd = sl_listen(&o.listen_ep, &o.listen, &bound, &err);
    if (fd < 0)
        return cli_fail(&err);
    r = sl_relay_new(&o.cfg, fd, &err);
    if (r == NULL) {
        sl_close(fd);
        return cli_fail(&err);
    }
    announce(&o, r, &bound);
    relay_signals(r);
    rc = sl_relay_run(r, &err);
    relay_signals(NULL);
    print_stats(r);
    sl_relay_free(r);
    sl_close(fd);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}
