"""End-to-end: the seed programs rewritten on libsocklab (examples/), as
built by `make build` into BUILD/examples: the iterative echo server and the
echo client, the SO_REUSEADDR experiment, the fork and epoll servers (which
skip, with the library's own message, while their model is not built), the
half-close file server and client, and the UDP echo server with the
connected UDP client."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BUILD, SLOW, deadline, recv_exact, echo_roundtrip, tcp_states, wait_for

EXAMPLES = os.path.join(BUILD, "examples")


class Example:
    """An example program with its stdout and stderr collected line by line."""

    def __init__(self, name, *args, stdin=subprocess.DEVNULL):
        self.path = os.path.join(EXAMPLES, name)
        self.p = subprocess.Popen([self.path, *args], stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in iter(self.p.stdout.readline, b""):
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)
            self.cv.notify_all()

    def text(self):
        with self.cv:
            return b"".join(l for l in self.lines if l).decode(errors="replace")

    def wait_line(self, pattern, timeout=10.0):
        """The first output line matching pattern, or None if the program exited."""
        rx = re.compile(pattern)
        end = deadline(timeout)
        with self.cv:
            seen = 0
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        return None
                    m = rx.search(line)
                    if m:
                        return m
                self.cv.wait(max(0.0, end - time.monotonic()))
                if time.monotonic() > end:
                    raise AssertionError("timed out waiting for %r; output:\n%s"
                                         % (pattern, self.text()))

    def wait(self, timeout=10.0):
        return self.p.wait(timeout * SLOW)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.reader.join(5)
        self.p.stdout.close()


class ExamplesTest(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(EXAMPLES):
            self.fail("no examples in %s: `make build` builds them" % EXAMPLES)

    def start(self, name, *args):
        ex = Example(name, *args)
        self.addCleanup(ex.close)
        return ex

    def server(self, name, *args, proto=b"tcp", first=()):
        """Start a server example on 127.0.0.1:0; (process, port)."""
        ex = self.start(name, *first, "127.0.0.1:0", *args)
        m = ex.wait_line(rb"listening on " + proto + rb" 127\.0\.0\.1:(\d+)")
        if m is None:
            ex.wait()
            missing = re.search(r"model '\w+': unknown.*|not built.*", ex.text())
            if missing:
                self.skipTest("%s: the library says %s" % (name, missing.group(0)))
            self.fail("%s exited: %s" % (name, ex.text()))
        return ex, int(m.group(1))

    def connect(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
        self.addCleanup(s.close)
        return s

    def test_echo_server_and_client(self):
        srv, port = self.server("echo_server")
        r = subprocess.run([os.path.join(EXAMPLES, "echo_client"), "127.0.0.1", str(port)],
                           input=b"hello\nworld\nq\nnever sent\n", capture_output=True,
                           timeout=30 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"Message from server: hello\nMessage from server: world\n")
        srv.wait_line(rb"client 1 left after 12 bytes")
        data = os.urandom(1 << 20)
        self.assertEqual(echo_roundtrip(self.connect(port), data), data)

    def test_echo_server_count_exits(self):
        srv, port = self.server("echo_server", "2")
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW) as s:
                s.sendall(b"ping")
                self.assertEqual(recv_exact(s, 4), b"ping")
                s.shutdown(socket.SHUT_WR)
                self.assertEqual(s.recv(1), b"")
        self.assertEqual(srv.wait(), 0)

    def test_echo_client_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = subprocess.run([os.path.join(EXAMPLES, "echo_client"), "127.0.0.1", str(port)],
                           input=b"x\n", capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Connection refused", r.stderr)

    def test_reuseadr_eserver_experiment(self):
        # The seed: kill the server while a client is connected; the server
        # sent the first FIN, so TIME_WAIT holds its port and a restart
        # without SO_REUSEADDR fails; with it (echo_server) it binds.
        srv, port = self.server("reuseadr_eserver")
        s = self.connect(port)
        s.sendall(b"hi")
        self.assertEqual(recv_exact(s, 2), b"hi")
        srv.p.send_signal(signal.SIGINT)          # Ctrl+C: the kernel closes its sockets
        self.assertEqual(s.recv(1), b"")           # the server's FIN came first
        s.close()
        wait_for(lambda: "TIME_WAIT" in tcp_states(port), 10, "TIME_WAIT on the server's port")
        again = subprocess.run([os.path.join(EXAMPLES, "reuseadr_eserver"),
                                "127.0.0.1:%d" % port], capture_output=True, timeout=30 * SLOW)
        self.assertEqual(again.returncode, 1, again.stdout)
        self.assertIn(b"Address already in use", again.stderr)
        self.assertIn(b"TIME_WAIT", again.stderr)
        # echo_server sets SO_REUSEADDR, but Linux reuses a TIME_WAIT port
        # only when the socket that left it set it too; the error says so.
        ok = subprocess.run([os.path.join(EXAMPLES, "echo_server"), "127.0.0.1:%d" % port],
                            capture_output=True, timeout=30 * SLOW)
        self.assertEqual(ok.returncode, 1, ok.stdout)
        self.assertIn(b"only when both sockets set SO_REUSEADDR", ok.stderr)

    def test_reuseadr_eserver_client_closes_first(self):
        # The seed's first observation: the client closes first, the server
        # restarts on the same port without SO_REUSEADDR.
        srv, port = self.server("reuseadr_eserver")
        with self.connect(port) as s:
            s.sendall(b"hi")
            self.assertEqual(recv_exact(s, 2), b"hi")
        wait_for(lambda: set(tcp_states(port)) == {"LISTEN"} or None, 10,
                 "the server's side of the connection to close")
        srv.p.send_signal(signal.SIGINT)
        srv.wait()
        again = self.start("reuseadr_eserver", "127.0.0.1:%d" % port)
        self.assertIsNotNone(again.wait_line(rb"listening on tcp 127\.0\.0\.1:%d" % port),
                             again.text())

    def concurrent_model(self, name):
        srv, port = self.server(name)
        a, b = self.connect(port), self.connect(port)
        # Both are served at once: b is answered while a stays connected.
        b.sendall(b"b")
        self.assertEqual(recv_exact(b, 1), b"b")
        a.sendall(b"a")
        self.assertEqual(recv_exact(a, 1), b"a")
        srv.p.send_signal(signal.SIGTERM)
        self.assertEqual(srv.wait(), 0, srv.text())

    def test_fork_server(self):
        self.concurrent_model("fork_server")

    def test_epoll_server(self):
        self.concurrent_model("epoll_server")

    def test_file_server_and_client(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        src, dst = os.path.join(d, "data.bin"), os.path.join(d, "copy.bin")
        data = os.urandom(1 << 20)
        with open(src, "wb") as f:
            f.write(data)
        srv, port = self.server("file_server", first=(src,))
        r = subprocess.run([os.path.join(EXAMPLES, "file_client"), "127.0.0.1", str(port), dst],
                           capture_output=True, timeout=60 * SLOW)
        if r.returncode != 0 and b"not built" in r.stderr:
            self.skipTest("file_client: the library says " + r.stderr.decode().strip())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "Received file data\n%s: %d bytes, verified\n"
                         % (dst, len(data)))
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), data)
        # The server half-closed, then read the client's reply.
        self.assertIsNotNone(srv.wait_line(rb"Message from client: Thank you"), srv.text())
        # The destination exists now: without being told to, it is not replaced.
        r = subprocess.run([os.path.join(EXAMPLES, "file_client"), "127.0.0.1", str(port), dst],
                           capture_output=True, timeout=60 * SLOW)
        self.assertEqual(r.returncode, 1)

    def test_udp_echo_server_and_connected_client(self):
        srv, port = self.server("udp_echo_server", proto=b"udp")
        r = subprocess.run([os.path.join(EXAMPLES, "udp_echo_client"), "127.0.0.1", str(port)],
                           input=b"one\ntwo\nq\nnever\n", capture_output=True,
                           timeout=30 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"Message from server: one\nMessage from server: two\n")
        # Datagrams keep their boundaries, the empty and the largest included.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(10 * SLOW)
            u.connect(("127.0.0.1", port))
            for size in (0, 1, 1400, 65507):
                payload = os.urandom(size)
                u.send(payload)
                self.assertEqual(u.recv(65536), payload)
        srv.p.send_signal(signal.SIGINT)
        self.assertEqual(srv.wait(), 0)
        self.assertIsNotNone(srv.wait_line(rb"^6 datagrams echoed"), srv.text())

    def test_udp_connected_client_hears_refused(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        u.close()
        r = subprocess.run([os.path.join(EXAMPLES, "udp_echo_client"), "127.0.0.1", str(port)],
                           input=b"anyone?\n", capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Connection refused", r.stderr)
