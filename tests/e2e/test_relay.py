"""End-to-end: `socklab relay`, the fault-injecting relay: a faithful relay
without faults (bytes, half-close both ways, resets, every event-loop
backend, many clients, bounded buffers), then each fault shown to happen
(delay, rate, cut with FIN and with RST, a flipped byte, a stall, UDP drop
and duplication, reproducible with a seed), and bad command lines."""
import os
import re
import signal
import socket
import threading
import time

from harness import TestCase, run, recv_exact, echo_roundtrip, wait_for, SLOW


class Target:
    """A TCP peer in this process: each accepted connection is given to
    handler(conn) in a thread of its own."""

    def __init__(self, handler):
        self.l = socket.socket()
        self.l.bind(("127.0.0.1", 0))
        self.l.listen(64)
        self.port = self.l.getsockname()[1]
        self.handler = handler
        self.errors = []
        self.threads = []
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.l.accept()
            except OSError:
                return
            c.settimeout(30 * SLOW)
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, c):
        try:
            self.handler(c)
        except Exception as e:  # recorded for the test to see
            self.errors.append(e)
        finally:
            c.close()

    def close(self):
        try:
            self.l.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.l.close()
        self.t.join(5)
        for t in self.threads:
            t.join(10 * SLOW)


def echo_handler(c):
    while True:
        b = c.recv(65536)
        if not b:
            c.shutdown(socket.SHUT_WR)
            return
        c.sendall(b)


def sender(data):
    """A target that sends data, half-closes, and reads until the client's EOF."""
    def handler(c):
        try:
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
    return handler


def read_all(s, limit=1 << 30):
    out = bytearray()
    while len(out) < limit:
        b = s.recv(1 << 20)
        if not b:
            break
        out += b
    return bytes(out)


class RelayTest(TestCase):
    def target(self, handler):
        t = Target(handler)
        self.addCleanup(t.close)
        return t

    def relay(self, port, *opts, proto="tcp"):
        args = ["relay", "-p", "0", "-b", "127.0.0.1", *opts, "127.0.0.1", str(port)]
        return self.server(*args, proto=proto)

    def connect(self, r, timeout=20.0):
        s = r.connect(timeout)
        self.addCleanup(s.close)
        return s


class Faithful(RelayTest):
    def test_bytes_both_ways_and_half_close(self):
        t = self.target(echo_handler)
        r = self.relay(t.port)
        data = os.urandom(2 << 20)
        s = self.connect(r)
        self.assertEqual(echo_roundtrip(s, data), data)
        s.shutdown(socket.SHUT_WR)              # FIN up: the target's echo ends
        self.assertEqual(s.recv(1), b"")        # and its FIN comes back down
        r.wait_line(rb"client 1 .* left: 2097152 bytes in, 2097152 out")
        self.assertEqual(r.stop(), 0)
        r.wait_line(rb"relay: 1 clients, 2097152 bytes up, 2097152 down")

    def test_reply_after_half_close(self):
        # The seed's file transfer: the client half-closes, then reads a reply.
        def handler(c):
            got = read_all(c)
            c.sendall(b"Thank you for %d bytes" % len(got))
        t = self.target(handler)
        r = self.relay(t.port)
        s = self.connect(r)
        s.sendall(b"x" * 100000)
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(read_all(s), b"Thank you for 100000 bytes")

    def test_every_backend(self):
        t = self.target(echo_handler)
        for backend in ("epoll", "poll", "select"):
            with self.subTest(backend=backend):
                r = self.relay(t.port, "--backend", backend, "-q")
                s = self.connect(r)
                data = os.urandom(300000)
                self.assertEqual(echo_roundtrip(s, data), data)
                s.close()
                self.assertEqual(r.stop(), 0)

    def test_many_clients_at_once(self):
        t = self.target(echo_handler)
        r = self.relay(t.port, "-q")
        socks = [self.connect(r) for _ in range(100)]
        for i, s in enumerate(socks):
            s.sendall(b"client %d\n" % i)
        for i, s in enumerate(socks):
            want = b"client %d\n" % i
            self.assertEqual(recv_exact(s, len(want)), want)
        for s in socks:
            s.close()
        self.assertEqual(r.stop(), 0)
        r.wait_line(rb"relay: 100 clients")

    def test_reset_passes_through(self):
        def handler(c):
            c.recv(10)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
        t = self.target(handler)
        r = self.relay(t.port)
        s = self.connect(r)
        s.sendall(b"hello")
        with self.assertRaises(ConnectionResetError):
            read_all(s)
        r.wait_line(rb"client 1 .* failed .*recv from the target: Connection reset")

    def test_target_refused_then_relay_goes_on(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        port = l.getsockname()[1]
        l.close()                                   # nothing listens there
        r = self.relay(port)
        # The relay resets the client once the target refuses; on loopback
        # that RST can land before connect() has even returned to us.
        with self.assertRaises((ConnectionResetError, ConnectionAbortedError)):
            s = self.connect(r)
            s.sendall(b"x")
            read_all(s)
        r.wait_line(rb"client 1 .* failed .*connect 127\.0\.0\.1:%d: Connection refused" % port)
        self.assertIsNone(r.p.poll())

    def test_slow_reader_bounded_buffer(self):
        # The target never reads: the relay holds at most --buffer bytes, so
        # the client's sends stop; the relay's memory stays small.
        gate = threading.Event()
        t = self.target(lambda c: gate.wait(60 * SLOW))
        self.addCleanup(gate.set)
        r = self.relay(t.port, "--buffer", "64K")
        s = self.connect(r)
        s.setblocking(False)
        sent, chunk = 0, b"z" * 65536
        end = time.monotonic() + 30 * SLOW
        while time.monotonic() < end:
            try:
                sent += s.send(chunk)
            except BlockingIOError:
                # Blocked: give the relay a moment to move more, then check.
                before = sent
                time.sleep(0.2)
                try:
                    sent += s.send(chunk)
                except BlockingIOError:
                    if sent == before:
                        break
        self.assertLess(sent, 64 << 20, "the relay read without bound")
        with open("/proc/%d/status" % r.pid) as f:
            rss_kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        self.assertLess(rss_kb, 64 * 1024)

    def test_sigterm_exits_0_with_clients(self):
        t = self.target(echo_handler)
        r = self.relay(t.port)
        s = self.connect(r)
        s.sendall(b"abc")
        self.assertEqual(recv_exact(s, 3), b"abc")
        self.assertEqual(r.stop(signal.SIGTERM), 0)
        self.assertEqual(read_all(s), b"")
        r.wait_line(rb"relay: 1 clients, 3 bytes up, 3 down")


class Faults(RelayTest):
    def test_delay_both_ways(self):
        t = self.target(echo_handler)
        r = self.relay(t.port, "--delay", "300")
        self.assertIn("faults: delay 300 ms", r.stderr_text())
        s = self.connect(r)
        start = time.monotonic()
        s.sendall(b"ping")
        self.assertEqual(recv_exact(s, 4), b"ping")
        self.assertGreaterEqual(time.monotonic() - start, 0.58)   # 300 ms each way

    def test_jitter_keeps_stream_order(self):
        t = self.target(echo_handler)
        r = self.relay(t.port, "--delay", "20", "--jitter", "19", "--seed", "7")
        s = self.connect(r)
        data = b"".join(b"%06d" % i for i in range(3000))
        for i in range(0, len(data), 600):
            s.sendall(data[i:i + 600])
        self.assertEqual(recv_exact(s, len(data)), data)

    def test_rate_limit(self):
        data = os.urandom(60000)
        t = self.target(sender(data))
        r = self.relay(t.port, "--rate", "30000", "--dir", "down")
        s = self.connect(r)
        start = time.monotonic()
        self.assertEqual(read_all(s), data)
        self.assertGreaterEqual(time.monotonic() - start, 1.5)   # 60 kB at 30 kB/s

    def test_cut_with_fin(self):
        t = self.target(sender(os.urandom(100000)))
        r = self.relay(t.port, "--cut-after", "1000", "--dir", "down")
        s = self.connect(r)
        self.assertEqual(len(read_all(s)), 1000)      # then a clean EOF
        r.wait_line(rb"client 1 .*: cut down after 1000 bytes with FIN")

    def test_cut_with_rst(self):
        t = self.target(sender(os.urandom(100000)))
        r = self.relay(t.port, "--cut-after", "1000", "--cut-mode", "rst", "--dir", "down")
        s = self.connect(r)
        got = bytearray()
        with self.assertRaises(ConnectionResetError):
            while True:
                b = s.recv(65536)
                if not b:
                    break                   # an EOF instead of a reset fails below
                got += b
        self.assertLessEqual(len(got), 1000)
        r.wait_line(rb"cut down after 1000 bytes with RST")

    def test_cut_up_direction(self):
        seen = []

        def handler(c):
            seen.append(read_all(c))
        t = self.target(handler)
        r = self.relay(t.port, "--cut-after", "10", "--dir", "up")
        s = self.connect(r)
        s.sendall(b"0123456789abcdef")
        self.assertEqual(read_all(s), b"")
        wait_for(lambda: seen, 10, "the target's EOF")
        self.assertEqual(seen[0], b"0123456789")

    def test_flip_one_byte(self):
        data = bytes(range(256)) * 40
        t = self.target(sender(data))
        r = self.relay(t.port, "--flip-at", "5000", "--dir", "down")
        s = self.connect(r)
        got = read_all(s)
        self.assertEqual(len(got), len(data))
        diff = [i for i in range(len(data)) if got[i] != data[i]]
        self.assertEqual(diff, [5000])
        self.assertEqual(got[5000], data[5000] ^ 0xff)
        r.wait_line(rb"flipped the byte at offset 5000 down")

    def test_stall(self):
        data = os.urandom(5000)
        t = self.target(sender(data))
        r = self.relay(t.port, "--stall", "1.5", "--stall-after", "500", "--dir", "down")
        s = self.connect(r)
        self.assertEqual(recv_exact(s, 500), data[:500])
        s.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            s.recv(1)                        # nothing while stalled
        s.settimeout(20 * SLOW)
        self.assertEqual(read_all(s), data[500:])
        r.wait_line(rb"stalled down after 500 bytes for 1500 ms")


class UdpTarget:
    """A UDP echo peer in this process that records what it received."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.got = []
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:
            try:
                d, a = self.s.recvfrom(65536)
            except OSError:
                return
            self.got.append(d)
            self.s.sendto(d, a)

    def close(self):
        self.s.close()
        self.t.join(5)


class Udp(RelayTest):
    def udp_target(self):
        t = UdpTarget()
        self.addCleanup(t.close)
        return t

    def client(self, r):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(c.close)
        c.connect((r.host, r.port))
        return c

    def test_datagrams_relayed_whole(self):
        t = self.udp_target()
        r = self.relay(t.port, "--udp", proto="udp")
        c = self.client(r)
        c.settimeout(10 * SLOW)
        for size in (0, 1, 1400, 9000, 65507):
            d = os.urandom(size)
            c.send(d)
            self.assertEqual(c.recv(70000), d)

    def test_drop_all(self):
        t = self.udp_target()
        r = self.relay(t.port, "--udp", "--drop", "1", "--dir", "up", proto="udp")
        c = self.client(r)
        for i in range(20):
            c.send(b"%d" % i)
        c.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            c.recv(100)
        self.assertEqual(t.got, [])
        self.assertEqual(r.stop(), 0)
        r.wait_line(rb"20 dropped")

    def test_dup_all(self):
        t = self.udp_target()
        r = self.relay(t.port, "--udp", "--dup", "1", "--dir", "up", proto="udp")
        c = self.client(r)
        c.settimeout(10 * SLOW)
        c.send(b"once")
        self.assertEqual(c.recv(100), b"once")
        self.assertEqual(c.recv(100), b"once")       # the copy's echo
        wait_for(lambda: len(t.got) == 2, 5, "two copies at the target")

    def drops_with_seed(self, seed):
        t = self.udp_target()
        r = self.relay(t.port, "--udp", "--drop", "0.5", "--dir", "up", "--seed", seed,
                       proto="udp")
        c = self.client(r)
        c.settimeout(10 * SLOW)
        for i in range(60):
            c.send(b"%d" % i)
        c.send(b"end")            # not dropped? retried below until through
        end = time.monotonic() + 20 * SLOW
        while b"end" not in t.got and time.monotonic() < end:
            c.send(b"end")
            time.sleep(0.01)
        self.assertEqual(r.stop(), 0)
        return [int(d) for d in t.got if d != b"end"]

    def test_drop_is_reproducible_with_a_seed(self):
        a = self.drops_with_seed("12345")
        b = self.drops_with_seed("12345")
        self.assertEqual(a, b)
        self.assertTrue(5 < len(a) < 55, a)        # about half, never all or none

    def test_delay(self):
        t = self.udp_target()
        r = self.relay(t.port, "--udp", "--delay", "250", proto="udp")
        c = self.client(r)
        c.settimeout(10 * SLOW)
        start = time.monotonic()
        c.send(b"late")
        self.assertEqual(c.recv(100), b"late")
        self.assertGreaterEqual(time.monotonic() - start, 0.48)


class CommandLine(TestCase):
    def test_bad_usage_exits_2(self):
        bad = [
            ["relay"], ["relay", "127.0.0.1", "80"], ["relay", "-p", "0"],
            ["relay", "-p", "0", "127.0.0.1"], ["relay", "-p", "0", "h", "1", "2"],
            ["relay", "-p", "99999", "h", "1"], ["relay", "-p", "0", "h", "99999"],
            ["relay", "-p", "0", "--delay", "-1", "h", "1"],
            ["relay", "-p", "0", "--drop", "1.5", "--udp", "h", "1"],
            ["relay", "-p", "0", "--drop", "0.5", "h", "1"],
            ["relay", "-p", "0", "--udp", "--cut-after", "5", "h", "1"],
            ["relay", "-p", "0", "--cut-mode", "rst", "h", "1"],
            ["relay", "-p", "0", "--cut-mode", "x", "--cut-after", "1", "h", "1"],
            ["relay", "-p", "0", "--dir", "sideways", "h", "1"],
            ["relay", "-p", "0", "--stall-after", "5", "h", "1"],
            ["relay", "-p", "0", "--backend", "kqueue", "h", "1"],
            ["relay", "-p", "0", "--rate", "0", "h", "1"],
            ["relay", "-p", "0", "unix:/tmp/x"], ["relay", "-p", "0", "--bogus", "h", "1"],
        ]
        for args in bad:
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(b"socklab: relay: "), (args, r.stderr))

    def test_help(self):
        r = run(["relay", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: socklab relay", r.stdout)
