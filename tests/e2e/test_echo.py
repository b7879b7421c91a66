"""End-to-end: the iterative echo server, the echo client, and the seed's
SO_REUSEADDR / TIME_WAIT experiment, driven through the real binary."""
import os
import signal
import socket
import subprocess
import tempfile

from harness import (closed_port, TestCase, Server, run, recv_exact, echo_roundtrip, wait_for,
                     tcp_states, SOCKLAB, SLOW)


class EchoServer(TestCase):
    def test_one_byte(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
        with srv.connect() as s:
            s.sendall(b"x")
            self.assertEqual(recv_exact(s, 1), b"x")

    def test_4mib_random_binary(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
        data = os.urandom(4 << 20)
        with srv.connect() as s:
            self.assertEqual(echo_roundtrip(s, data), data)
        srv.wait_line(rb"client 1 .* left: 4194304 bytes in, 4194304 out")

    def test_half_close_gets_everything_back(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
        data = os.urandom(300000)
        with srv.connect() as s:
            s.sendall(data[:1000])
            self.assertEqual(recv_exact(s, 1000), data[:1000])
            out = bytearray()
            s.setblocking(False)
            sent = 1000
            # Send the rest while reading, then FIN; expect all bytes, then EOF.
            import select
            while True:
                r, w, _ = select.select([s], [s] if sent < len(data) else [], [], 10 * SLOW)
                self.assertTrue(r or w, "stalled")
                if w:
                    sent += s.send(data[sent:sent + 65536])
                    if sent == len(data):
                        s.shutdown(socket.SHUT_WR)
                if r:
                    got = s.recv(1 << 20)
                    if not got:
                        break
                    out += got
            self.assertEqual(bytes(out), data[1000:])

    def test_iterative_serves_one_at_a_time(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-m", "iterative")
        a = srv.connect()
        a.sendall(b"a")
        self.assertEqual(recv_exact(a, 1), b"a")
        b = srv.connect()            # completes in the kernel's listen queue
        b.sendall(b"b")
        b.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            b.recv(1)                 # not served while a is connected
        self.assertEqual(srv.count_lines(rb"client 2 .*connected"), 0)
        a.close()
        b.settimeout(10 * SLOW)
        self.assertEqual(recv_exact(b, 1), b"b")
        srv.wait_line(rb"client 1 .* left")
        srv.wait_line(rb"client 2 .*connected")
        b.close()

    def test_count_exits_after_n_clients(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "--count", "2")
        for _ in range(2):
            with srv.connect() as s:
                s.sendall(b"hi")
                self.assertEqual(recv_exact(s, 2), b"hi")
                s.shutdown(socket.SHUT_WR)
                self.assertEqual(s.recv(1), b"")
        self.assertEqual(srv.wait(), 0)

    def test_sigterm_with_client_closes_first_and_exits_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
            s = srv.connect()
            s.sendall(b"x")
            self.assertEqual(recv_exact(s, 1), b"x")
            srv.send_signal(sig)
            self.assertEqual(s.recv(1), b"")      # the server's FIN came first
            s.close()
            self.assertEqual(srv.wait(), 0)

    def test_unix_socket_and_stale_file(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "echo.sock")
        self.addCleanup(lambda: (os.path.exists(path) and os.unlink(path), os.rmdir(d)))
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)              # a socket file with no server behind it
        stale.close()
        srv = self.server("echo-server", "-b", "unix:" + path, proto="unix")
        r = run(["echo-client", "-q", "unix:" + path], input=b"over unix\nq\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"Message from server: over unix\n")
        live = run(["echo-server", "-b", "unix:" + path])
        self.assertEqual(live.returncode, 1)
        self.assertIn(b"a live server listens there", live.stderr)
        self.assertEqual(srv.stop(), 0)
        self.assertFalse(os.path.exists(path))


class EchoClient(TestCase):
    def setUp(self):
        self.srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q")

    def client(self, data, *extra):
        return run(["echo-client", *extra, "127.0.0.1", str(self.srv.port)], input=data)

    def test_lines_and_q(self):
        r = self.client(b"hello\nworld\nQ\nnever sent\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"Message from server: hello\nMessage from server: world\n")
        self.srv.stop()
        self.assertNotIn(b"never", self.srv.stderr_text().encode())

    def test_lowercase_q_and_end_of_input(self):
        r = self.client(b"one\nq\n")
        self.assertEqual(r.stdout, b"Message from server: one\n")
        r = self.client(b"last line without newline")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, b"Message from server: last line without newline\n")

    def test_host_port_forms(self):
        r = run(["echo-client", "-q", "127.0.0.1:%d" % self.srv.port], input=b"a\n")
        self.assertEqual(r.stdout, b"Message from server: a\n")
        r = run(["echo-client", "-q", "localhost", str(self.srv.port)], input=b"b\n")
        self.assertEqual(r.stdout, b"Message from server: b\n")

    def test_raw_binary(self):
        data = os.urandom(1 << 20)
        r = self.client(data, "--raw")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)

    def test_client_closes_first_leaves_server_free(self):
        r = self.client(b"x\nq\n")
        self.assertEqual(r.returncode, 0)
        port = self.srv.port
        self.assertEqual(self.srv.stop(), 0)
        # The client sent the first FIN: no TIME_WAIT on the server's port.
        wait_for(lambda: "TIME_WAIT" not in tcp_states(port) or None, 1,
                 "no server-side TIME_WAIT")
        again = self.server("echo-server", "-p", str(port), "-b", "127.0.0.1",
                            "--no-reuseaddr")
        self.assertEqual(again.port, port)


class EchoClientErrors(TestCase):
    def test_refused(self):
        r = run(["echo-client", "127.0.0.1", str(closed_port())], input=b"x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Connection refused", r.stderr)
        self.assertEqual(r.stderr.count(b"\n"), 1)

    def test_connect_timeout(self):
        # A listener that never accepts, its queue full: further SYNs are dropped.
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(0)
        fillers = []
        port = l.getsockname()[1]
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        try:
            r = run(["echo-client", "-t", "0.5", "127.0.0.1", str(port)], input=b"x\n")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(b"timed out after 500 ms", r.stderr)
        finally:
            for c in fillers:
                c.close()
            l.close()

    def test_server_closes_mid_echo(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(1)
        p = self.proc("echo-client", "-q", "127.0.0.1", str(l.getsockname()[1]),
                      stdin=subprocess.PIPE)
        c, _ = l.accept()
        p.p.stdin.write(b"hello world\n")
        p.p.stdin.flush()
        self.assertEqual(recv_exact(c, 12), b"hello world\n")
        c.sendall(b"hello")
        c.close()
        l.close()
        self.assertEqual(p.wait(), 1)
        self.assertIn("closed the connection after 5 of the 12 bytes", p.stderr_text())


class ReuseAddr(TestCase):
    """The seed's experiment: the server closes first, its port is in
    TIME_WAIT, and a restart works only with SO_REUSEADDR."""

    def server_closes_first(self, *opts):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", *opts)
        s = srv.connect()
        s.sendall(b"x")
        self.assertEqual(recv_exact(s, 1), b"x")
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(s.recv(1), b"")
        s.close()
        wait_for(lambda: tcp_states(srv.port).get("TIME_WAIT"), 5, "TIME_WAIT")
        return srv.port

    def test_default_restart_succeeds(self):
        port = self.server_closes_first()
        again = self.server("echo-server", "-p", str(port), "-b", "127.0.0.1")
        self.assertEqual(again.port, port)

    def test_no_reuseaddr_restart_fails_and_explains(self):
        port = self.server_closes_first("--no-reuseaddr")
        r = run(["echo-server", "-p", str(port), "-b", "127.0.0.1", "--no-reuseaddr"])
        self.assertEqual(r.returncode, 1)
        err = r.stderr.decode()
        self.assertIn("bind 127.0.0.1:%d: Address already in use" % port, err)
        self.assertIn("TIME_WAIT", err)
        self.assertIn("SO_REUSEADDR would allow", err)
        self.assertRegex(err, r"free in about ([1-5]?[0-9]|60) s")

    def test_live_listener_message(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
        for opts in ([], ["--no-reuseaddr"]):
            r = run(["echo-server", "-p", str(srv.port), "-b", "127.0.0.1", *opts])
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"A listening socket holds port %d" % srv.port, r.stderr)


class CommandLine(TestCase):
    def test_bad_usage_exits_2(self):
        bad = [
            [], ["no-such-command"], ["echo-server", "-p", "65536"],
            ["echo-server", "-p", "-1"], ["echo-server", "-p", "abc"], ["echo-server", "-p", ""],
            ["echo-server", "--port"], ["echo-server", "--bogus"], ["echo-server", "extra"],
            ["echo-server", "-m", "nosuchmodel"], ["echo-server", "--count", "0"],
            ["echo-server", "--idle-timeout", "x"], ["echo-server", "-b", "[::1"],
            ["echo-server", "-b", "unix:"], ["echo-server", "-b", "127.0.0.1:80", "-p", "81"],
            ["echo-client"], ["echo-client", "127.0.0.1"], ["echo-client", "127.0.0.1", "99999"],
            ["echo-client", "127.0.0.1", "1", "2"], ["echo-client", "-t", "-5", "h", "1"],
            ["echo-client", "a" * 5000, "80"],
        ]
        for args in bad:
            r = run(args, input=b"")
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            first = r.stderr.decode().splitlines()[0] if r.stderr else ""
            self.assertTrue(first.startswith(("socklab:", "usage:")), (args, r.stderr))
            self.assertLess(len(first), 300)

    def test_help_and_version(self):
        for args in (["--help"], ["echo-server", "--help"], ["echo-client", "--help"]):
            r = run(args)
            self.assertEqual(r.returncode, 0)
            self.assertIn(b"usage: socklab", r.stdout)
        r = run(["--version"])
        self.assertRegex(r.stdout, rb"^socklab \d+\.\d+\.\d+\n$")
