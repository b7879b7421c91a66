"""End-to-end, hostile world for every server model (from `socklab
echo-server --help`): signals (SIGINT/SIGTERM mid-transfer, SIGSTOP/SIGCONT
under load, a signal storm) without a lost or duplicated byte, and UDP
(a flood while a real client is served, reflector ports never answered,
truncation reported).

About the storm: a signal whose action is the default "ignore" (SIGWINCH,
SIGURG) is discarded by the kernel and interrupts nothing; a signal with a
handler (SIGCHLD in the fork model) and a stop/continue pair do interrupt
blocking calls (epoll_wait and others fail with EINTR after SIGCONT, see
signal(7)). The storm sends all of these, every millisecond."""
import os
import signal
import socket
import threading
import time

from harness import recv_exact, echo_roundtrip, wait_for, SLOW, run
from hostile import MODELS, one_at_a_time, per_model, Storm, reset_close


def streamer(sock, total, chunk=65536):
    """Send total pseudo-random bytes while reading the echo, in a thread;
    .sent and .got tell how far it went, .data what was sent."""
    class S:
        pass
    st = S()
    st.data = os.urandom(total)
    st.sent, st.got, st.error = 0, bytearray(), None

    def run_():
        try:
            st.got += echo_roundtrip(sock, st.data, chunk)
        except Exception as e:   # the server may stop mid-way: recorded
            st.error = e
    st.t = threading.Thread(target=run_)
    st.t.start()
    return st


class Signals:
    def test_sigterm_and_sigint_mid_transfer_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            srv = self.echo_server("--close-timeout", "0.5")
            s = srv.connect(20)
            self.addCleanup(s.close)
            st = streamer(s, 16 << 20)
            wait_for(lambda: len(st.got) > (1 << 20), 30, "1 MiB echoed")
            srv.send_signal(sig)
            self.assertEqual(srv.wait(30), 0, srv.stderr_text())
            st.t.join(60 * SLOW)
            # Whatever came back is exactly a prefix of what was sent.
            self.assertEqual(bytes(st.got), st.data[:len(st.got)])

    def test_stop_and_continue_under_load(self):
        srv = self.echo_server()
        n = 1 if one_at_a_time(self.SUMMARY) else 4
        socks = [srv.connect(20) for _ in range(n)]
        for s in socks:
            self.addCleanup(s.close)
        streams = [streamer(s, 3 << 20) for s in socks]
        wait_for(lambda: all(len(st.got) > 0 for st in streams), 30, "echoes flowing")
        for _ in range(3):
            srv.send_signal(signal.SIGSTOP)
            time.sleep(0.2)                     # the pause itself is the fault
            srv.send_signal(signal.SIGCONT)
        for st in streams:
            st.t.join(60 * SLOW)
            self.assertIsNone(st.error)
            self.assertEqual(bytes(st.got), st.data)
        for s in socks:
            s.close()
        self.served(srv)

    def test_signal_storm_loses_and_duplicates_nothing(self):
        srv = self.echo_server()
        s = srv.connect(20)
        self.addCleanup(s.close)
        sigs = [signal.SIGWINCH, signal.SIGURG, signal.SIGCHLD]
        rounds = 0
        with Storm(srv.pid, sigs, period=0.001, stop_every=25) as storm:
            # Echo 1 MiB at a time until a thousand signals have landed
            # (bounded: at most 300 rounds).
            while storm.sent < 1000 and rounds < 300 and storm.t.is_alive():
                data = os.urandom(1 << 20)
                got = echo_roundtrip(s, data)
                self.assertEqual(len(got), len(data), "round %d" % rounds)
                self.assertEqual(got, data, "round %d" % rounds)
                rounds += 1
        self.assertGreaterEqual(storm.sent, 1000, "the storm was cut short")
        self.assertIsNone(srv.p.poll(), "the storm killed the server")
        s.close()
        self.served(srv)
        self.assertEqual(srv.stop(), 0)


def udp_built():
    return b"--udp-buffer" in run(["echo-server", "--help"]).stdout


class Udp:
    def setUp(self):
        if not udp_built():
            self.skipTest("echo-server does not serve UDP in this build (issue 4)")

    def udp_server(self, *opts):
        srv = self.echo_server(*opts, proto="udp")
        return srv

    def client(self, srv):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(c.close)
        c.connect(("127.0.0.1", srv.port))
        return c

    def test_flood_while_a_real_client_is_served(self):
        srv = self.udp_server()
        flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(flood.close)
        flood.setblocking(False)
        stop = threading.Event()
        flooded = [0]

        def blast():
            while not stop.is_set() and flooded[0] < 200000:
                try:
                    flood.sendto(b"F" * 512, ("127.0.0.1", srv.port))
                    flooded[0] += 1
                except (BlockingIOError, ConnectionRefusedError):
                    time.sleep(0.0005)
                try:
                    while flood.recv(2048):      # drop the flood's echoes
                        pass
                except (BlockingIOError, ConnectionRefusedError):
                    pass
        t = threading.Thread(target=blast)
        t.start()
        try:
            wait_for(lambda: flooded[0] >= 5000, 30, "the flood under way")
            c = self.client(srv)
            c.settimeout(0.3)
            answered = 0
            for i in range(20):
                msg = b"real %d" % i
                for _ in range(int(40 * SLOW)):  # a lost datagram is sent again
                    c.send(msg)
                    try:
                        while True:
                            if c.recv(2048) == msg:
                                break
                        answered += 1
                        break
                    except socket.timeout:
                        continue
        finally:
            stop.set()
            t.join(10)
        self.assertEqual(answered, 20)
        self.assertGreaterEqual(flooded[0], 5000)
        self.assertIsNone(srv.p.poll())

    def test_reflector_ports_are_not_answered(self):
        srv = self.udp_server()
        refl = []
        for port in (7, 19, 53, 123):
            r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                r.bind(("127.0.0.1", port))
            except OSError:
                r.close()
                continue
            self.addCleanup(r.close)
            refl.append(r)
        if not refl:
            self.skipTest("cannot bind a reflector port (7, 19, 53, 123): not root, or in use")
        for r in refl:
            r.sendto(b"forged", ("127.0.0.1", srv.port))
        # A datagram from an ordinary port sent after them is answered: the
        # server has read the forged ones by then.
        c = self.client(srv)
        c.settimeout(10 * SLOW)
        c.send(b"control")
        self.assertEqual(c.recv(100), b"control")
        time.sleep(0.3)     # a wrong answer would need no longer than the control's
        for r in refl:
            # Only a datagram from the server counts: anything else on the
            # machine may send to 127.0.0.1:53 (a resolver) meanwhile.
            r.setblocking(False)
            for _ in range(1000):
                try:
                    data, src = r.recvfrom(100)
                except BlockingIOError:
                    break
                self.assertNotEqual(src[1], srv.port, "port %d answered: %r"
                                    % (r.getsockname()[1], data))

    def test_truncation_reported_not_echoed_cut(self):
        srv = self.echo_server("--udp-buffer", "100", proto="udp")
        c = self.client(srv)
        c.settimeout(10 * SLOW)
        c.send(b"T" * 300)
        c.send(b"fits")
        self.assertEqual(c.recv(1000), b"fits")   # the 300-byte one never came back
        srv.wait_line(rb"(?i)trunc")         # reported on the server's log


per_model(__name__, Signals, "Signals")
per_model(__name__, Udp, "Udp")
