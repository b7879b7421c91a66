"""End-to-end: `socklab wait HOST PORT` waits until a TCP port accepts
connections, exits 0 then, 1 at its timeout with the last error named, 2 on
bad usage."""
import json
import socket
import subprocess

from harness import closed_port, TestCase, run, SOCKLAB, SLOW


class Wait(TestCase):
    def test_server_started_later(self):
        # Reserve a port, start waiting, then listen on it: the waiter must
        # see attempts fail (-v) before the listener exists, then succeed.
        s = socket.socket()
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        w = self.proc("wait", "-v", "-t", str(60 * SLOW), "-i", "0.05", "127.0.0.1", str(port))
        w.wait_line(rb"attempt 1: connect 127\.0\.0\.1:%d: Connection refused" % port)
        s.listen(8)
        self.assertEqual(w.wait(60), 0, w.stderr_text())
        out = w.p.stdout.read().decode()
        self.assertRegex(out, r"^127\.0\.0\.1:%d accepts connections \(127\.0\.0\.1:%d, "
                              r"after [0-9.]+ s, \d+ attempts\)\n$" % (port, port))
        # The probe connected, then closed cleanly: the server reads EOF, not a reset.
        s.settimeout(10 * SLOW)
        c, _ = s.accept()
        with c:
            c.settimeout(10 * SLOW)
            self.assertEqual(c.recv(1), b"")

    def test_socklab_server_and_json(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1")
        r = run(["wait", "--json", "127.0.0.1:%d" % srv.port])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertTrue(doc["ready"])
        self.assertEqual(doc["address"], "127.0.0.1:%d" % srv.port)
        self.assertEqual(doc["attempts"], 1)
        self.assertIsNone(doc["last_error"])
        # The echo server saw a client come and go without an error.
        srv.wait_line(rb"client 1 .* left: 0 bytes in, 0 out")
        self.assertEqual(srv.count_lines(rb"failed"), 0)

    def test_quiet_prints_nothing(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q")
        r = run(["wait", "-q", "localhost", str(srv.port)])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"", b""))

    def test_closed_port_times_out_naming_the_error(self):
        port = closed_port()
        r = run(["wait", "-t", "2", "-i", "0.1", "127.0.0.1", str(port)])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertRegex(r.stderr.decode(),
                         r"^socklab: wait: 127\.0\.0\.1:%d did not accept a connection "
                         r"within 2 s \(\d+ attempts?\); last error: connect "
                         r"127\.0\.0\.1:%d: Connection refused\n$" % (port, port))
        attempts = int(r.stderr.split(b"(")[1].split(b" ")[0])
        self.assertGreaterEqual(attempts, 2)

    def test_timeout_json_same_exit_status(self):
        port = closed_port()
        r = run(["wait", "--json", "-t", "0.3", "127.0.0.1", str(port)])
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertFalse(doc["ready"])
        self.assertIsNone(doc["address"])
        self.assertIn("Connection refused", doc["last_error"])
        self.assertGreaterEqual(doc["elapsed_s"], 0.29)

    def test_unreachable_is_named(self):
        # In a network namespace of our own no interface is up: every
        # address is unreachable, and nothing leaves this machine.
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot create a network namespace (unshare -rn): %s"
                          % probe.stderr.decode().strip())
        r = subprocess.run(["unshare", "-rn", SOCKLAB, "wait", "-t", "0.3", "-i", "0.1",
                            "127.0.0.1", "9"], capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"last error: connect 127.0.0.1:9: Network is unreachable", r.stderr)

    def test_bad_usage_exits_2(self):
        for args in (["127.0.0.1"], ["127.0.0.1", "99999"], ["-t", "x", "127.0.0.1", "1"],
                     ["--interval", "0", "127.0.0.1", "1"], ["-q", "-v", "127.0.0.1", "1"],
                     ["127.0.0.1", "1", "extra"], ["--nope", "127.0.0.1", "1"]):
            r = run(["wait"] + args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, b"")
            self.assertTrue(r.stderr.startswith(b"socklab: wait: "), r.stderr)

    def test_help(self):
        r = run(["wait", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: socklab wait", r.stdout)
