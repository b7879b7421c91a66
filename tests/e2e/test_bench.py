"""End-to-end: `socklab bench` against a real echo server on port 0 (tiny
workloads, counts checked for consistency, never for speed), against
deliberately broken peers written here (one flips a byte of every echo),
and the comparison harness bench/run in its quickest mode."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from harness import closed_port, TestCase, run, SOCKLAB, SLOW, deadline

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def server_models():
    out = subprocess.run([SOCKLAB, "echo-server", "--help"], capture_output=True,
                         timeout=30).stdout.decode()
    return re.findall(r"^\s{6}(\w+)\s", out, re.M)


def concurrent_model():
    """A model that serves several clients at once, or None."""
    models = server_models()
    for m in ("epoll", "poll", "threads", "select", "fork"):
        if m in models:
            return m
    return None


class PyServer:
    """A tiny echo peer in a thread: TCP (flip=True corrupts each echo) or UDP."""

    def __init__(self, udp=False, flip=False, close_after=None, stall_after=None):
        kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.flip, self.close_after, self.stopping = flip, close_after, False
        self.stall_after = stall_after
        self.conns = []
        if not udp:
            self.sock.listen(64)
        self.sock.settimeout(0.2)
        target = self._udp if udp else self._accept
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def _udp(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            self.sock.sendto(data, peer)

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(0.2)
        served = 0
        while not self.stopping:
            try:
                data = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            served += len(data)
            if self.stall_after is not None and served >= self.stall_after:
                self.stall_after = None
                import time
                time.sleep(0.4)          # one stall, as a paused server would
            cut = self.close_after is not None and served >= self.close_after
            if cut:   # echo only up to close_after bytes in all, then close
                data = data[:len(data) - (served - self.close_after)]
            if self.flip:
                data = bytes([data[0] ^ 0x55]) + data[1:]
            try:
                c.sendall(data)
            except OSError:
                break
            if cut:
                break
        c.close()

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


class Bench(TestCase):
    def echo_server(self):
        model = concurrent_model()
        args = ["echo-server", "-p", "0", "-b", "127.0.0.1", "-q"]
        if model:
            args += ["-m", model]
        return self.server(*args), (model is not None)

    def py_server(self, **kw):
        s = PyServer(**kw)
        self.addCleanup(s.close)
        return s

    def bench(self, port, *args, timeout=60):
        r = run(["bench", "127.0.0.1", str(port), "--json", "-q"] + list(args),
                timeout=timeout)
        report = None
        if r.stdout.strip():
            report = json.loads(r.stdout.decode())
        return r, report

    def assert_no_errors(self, rep):
        self.assertEqual(rep["errors"], {k: 0 for k in rep["errors"]}, rep)

    def test_echo_counts_are_consistent(self):
        srv, many = self.echo_server()
        conns = 3 if many else 1
        r, rep = self.bench(srv.port, "-d", "0.3", "-w", "0.1", "-c", str(conns), "-s", "100")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_errors(rep)
        self.assertGreater(rep["ops"], 0)
        self.assertEqual(rep["open"], conns)
        self.assertEqual(rep["latency_us"]["count"], rep["ops"])
        # Each measured round trip brought back 100 bytes; at most one
        # message per connection was cut short by the end of the run.
        self.assertGreaterEqual(rep["bytes_in"], rep["ops"] * 100)
        self.assertLess(rep["bytes_in"], (rep["ops"] + conns) * 100)
        self.assertLessEqual(rep["bytes_in"], rep["bytes_out"])
        self.assertLessEqual(rep["bytes_out"] - rep["bytes_in"], conns * 100)
        lat = rep["latency_us"]
        self.assertTrue(lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"]
                        <= lat["p99_9"] <= lat["max"], lat)
        self.assertAlmostEqual(rep["ops_per_s"], rep["ops"] / rep["elapsed_s"], delta=1)

    def test_count_is_exact(self):
        srv, many = self.echo_server()
        r, rep = self.bench(srv.port, "-n", "300", "-w", "0", "-c", "2" if many else "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rep["ops"], 300)
        self.assertEqual(rep["latency_us"]["count"], 300)
        self.assert_no_errors(rep)

    def test_text_report_and_histogram(self):
        srv, _ = self.echo_server()
        r = run(["bench", "127.0.0.1:%d" % srv.port, "-n", "200", "-w", "0", "-q",
                 "--histogram"])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("round trips      200", out)
        self.assertRegex(out, r"p50 [\d.]+  p90 [\d.]+  p99 [\d.]+  p99\.9 [\d.]+")
        self.assertIn("latency histogram", out)
        rows = re.findall(r"^\s+[\d.]+\s+(\d+)\s+[\d.]+%", out, re.M)
        self.assertEqual(sum(int(n) for n in rows), 200)

    def test_corrupting_peer_is_caught(self):
        peer = self.py_server(flip=True)
        r, rep = self.bench(peer.port, "-n", "50", "-w", "0", "-s", "64")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertGreater(rep["errors"]["mismatches"], 0)
        self.assertGreater(rep["errors"]["mismatched_bytes"], 0)
        self.assertIn(b"echoes were wrong", r.stderr)

    def test_short_echo_is_caught(self):
        # The peer echoes 100 bytes then closes in the middle of an echo.
        peer = self.py_server(close_after=100)
        r, rep = self.bench(peer.port, "-d", "2", "-w", "0", "-s", "64")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(rep["errors"]["short"], 1)
        self.assertEqual(rep["open"], 0)

    def test_open_loop_counts_a_stall_for_every_request_it_delayed(self):
        # A server that stalls 0.4 s once. Closed loop, the stall costs one
        # slow round trip (the max); at a fixed rate, every request that was
        # due during the stall waits, and is timed from when it was due, so
        # the stall reaches the p90 (a lower bound: a slow machine only adds).
        peer = self.py_server(stall_after=64 * 20)
        r, rep = self.bench(peer.port, "-r", "200", "-d", "1.5", "-w", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        lat = rep["latency_us"]
        self.assertGreaterEqual(lat["max"], 350000, lat)
        # About 80 of about 300 requests were due during the stall.
        self.assertGreaterEqual(lat["p90"], 100000, lat)
        peer2 = self.py_server(stall_after=64 * 20)
        r, rep = self.bench(peer2.port, "-n", "300", "-w", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(rep["latency_us"]["max"], 350000)
        self.assertEqual(rep["ops"], 300)

    def test_bulk_checks_every_byte(self):
        srv, _ = self.echo_server()
        r, rep = self.bench(srv.port, "-m", "bulk", "-d", "0.3", "-w", "0",
                            "--inflight", "128K")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_errors(rep)
        self.assertGreater(rep["bytes_in"], 0)
        self.assertLessEqual(rep["bytes_out"] - rep["bytes_in"], 128 * 1024)

    def test_bulk_never_deadlocks_against_a_blocking_server(self):
        # The peer reads, then blocks in sendall until its echo is read: a
        # client that wrote without reading (with more in flight than the
        # socket buffers hold) would hang both; bench reads as it writes.
        peer = self.py_server()
        r, rep = self.bench(peer.port, "-m", "bulk", "-d", "0.5", "-w", "0",
                            "--inflight", "8M", "-s", "256K", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_errors(rep)
        self.assertGreater(rep["bytes_in"], 1 << 20)

    def test_connect_mode(self):
        srv, many = self.echo_server()
        r, rep = self.bench(srv.port, "-m", "connect", "-d", "0.3", "-w", "0",
                            "-c", "2" if many else "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(rep["ops"], 0)
        self.assertEqual(rep["errors"]["mismatches"], 0)
        self.assertEqual(rep["sources"], 16)
        self.assertGreaterEqual(rep["opened"], rep["ops"])

    def test_connect_mode_goes_on_after_failed_cycles(self):
        # The peer closes every connection without echoing: each cycle is a
        # short echo, and every slot keeps cycling until the duration ends.
        peer = self.py_server(close_after=0)
        r, rep = self.bench(peer.port, "-m", "connect", "-c", "2", "-d", "0.4", "-w", "0")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(rep["ops"], 0)
        self.assertGreater(rep["errors"]["short"] + rep["errors"]["resets"], 2)
        self.assertEqual(rep["open"], 0)

    def test_open_loop_never_exceeds_rate(self):
        srv, _ = self.echo_server()
        r, rep = self.bench(srv.port, "-r", "400", "-d", "0.5", "-w", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(rep["ops"], 0)
        self.assertLessEqual(rep["ops"], 400 * 0.5 + 2)
        self.assert_no_errors(rep)

    def test_hold_counts_connections_and_memory(self):
        srv, many = self.echo_server()
        if not many:
            self.skipTest("no model serves several clients at once yet")
        r, rep = self.bench(srv.port, "-m", "hold", "-c", "40", "-d", "0.5", "-w", "0",
                            "--server-pid", str(srv.pid))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rep["open"], 40)
        self.assertEqual(rep["peak_open"], 40)
        self.assertEqual(rep["connect_latency_us"]["count"], 40)
        self.assertGreater(rep["server_memory"]["holding_kib"], 0)

    def test_hold_across_processes(self):
        srv, many = self.echo_server()
        if not many:
            self.skipTest("no model serves several clients at once yet")
        r, rep = self.bench(srv.port, "-m", "hold", "-c", "30", "--procs", "3", "-d", "0.2",
                            "-w", "0", "--server-pid", str(srv.pid))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rep["open"], 30)
        self.assertEqual(rep["opened"], 30)
        self.assertEqual(rep["server_memory"]["holding_connections"], 30)

    def test_udp_flows(self):
        peer = self.py_server(udp=True)
        r, rep = self.bench(peer.port, "-m", "udp", "-c", "2", "-n", "200", "-w", "0",
                            "--timeout", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rep["ops"], 200)
        self.assertEqual(rep["errors"]["mismatches"], 0)

    def test_file_mode_reads_whole_files(self):
        fd, path = tempfile.mkstemp(prefix="socklab-bench-file-")
        self.addCleanup(os.unlink, path)
        os.write(fd, os.urandom(300000))
        os.close(fd)
        probe = run(["file-server", "--help"])
        if probe.returncode != 0:
            self.skipTest("socklab file-server is not built")
        srv = self.server("file-server", "-p", "0", "-b", "127.0.0.1", "--raw", path)
        r, rep = self.bench(srv.port, "-m", "file", "-n", "4", "-w", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rep["ops"], 4)
        self.assertEqual(rep["bytes_in"], 4 * 300000)

    def test_progress_line_on_a_terminal(self):
        import pty
        srv, _ = self.echo_server()
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        p = subprocess.Popen([SOCKLAB, "bench", "127.0.0.1", str(srv.port), "-d", "1.3",
                              "-w", "0"], stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        self.addCleanup(p.kill)
        seen = b""
        end = deadline(30)
        import select
        while b"ops (" not in seen:
            self.assertLess(__import__("time").monotonic(), end, seen)
            r, _, _ = select.select([master], [], [], 1.0)
            if r:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        self.assertEqual(p.wait(30 * SLOW), 0)
        self.assertIn(b"\r\x1b[Kecho ", seen)
        self.assertRegex(seen, rb"echo [\d.]+ s  \d+ ops \(\d+/s\)  open 1  errors 0")

    def test_refused_fails_cleanly(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = run(["bench", "127.0.0.1", str(port), "-d", "0.2", "-q"])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"connect", r.stderr)
        self.assertIn(b"refused", r.stderr)

    def test_usage_errors(self):
        for args in (["bench"], ["bench", "127.0.0.1", "1", "-m", "nope"],
                     ["bench", "127.0.0.1", "1", "-c", "0"],
                     ["bench", "127.0.0.1", "99999"],
                     ["bench", "127.0.0.1", "1", "-m", "hold", "-r", "5"],
                     ["bench", "127.0.0.1", "1", "-m", "udp", "-s", "4"],
                     ["bench", "127.0.0.1", "1", "--backend", "nope"],
                     ["bench", "127.0.0.1", "1", "--procs", "2"]):
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(len(r.stderr.decode().strip().splitlines()), 2, r.stderr)

    def test_harness_quick(self):
        script = os.path.join(ROOT, "bench", "run")
        if not os.access(script, os.X_OK):
            self.skipTest("bench/run is not there")
        build = os.path.dirname(os.path.abspath(SOCKLAB))
        out = tempfile.mkdtemp(prefix="socklab-bench-test-")
        self.addCleanup(shutil.rmtree, out, True)
        r = subprocess.run([script, build, "--quick", "--no-peers", "--no-install",
                            "--out", out], capture_output=True, timeout=180 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-3000:])
        text = r.stdout.decode()
        self.assertIn("| workload", text)
        files = [f for f in os.listdir(out) if f.endswith(".json")]
        self.assertEqual(len(files), 1, files)
        with open(os.path.join(out, files[0])) as f:
            res = json.load(f)
        self.assertIn("machine", res)
        self.assertGreater(len(res["runs"]), 0)
        for run_ in res["runs"]:
            self.assertNotIn("error", run_)
            self.assertEqual(run_["errors"], 0, run_)
            self.assertGreater(run_["ops_per_s"], 0, run_)
        self.assertTrue(any(f.endswith(".svg") for f in os.listdir(out)))
        if "skipped" not in res["file"]:     # first transfer, then the same file again
            for key in ("socklab", "socklab_again"):
                self.assertEqual(len(res["file"][key]), 1, res["file"])
                self.assertGreater(res["file"][key][0].get("mb_per_s", 0), 0, res["file"])


class BenchJsonOnFailure(TestCase):
    def test_refused_target_is_a_json_result(self):
        # --json: a run that cannot start is a result too, with exit status 1.
        port = closed_port()            # nothing listens there
        r = run(["bench", "--json", "-d", "0.2", "127.0.0.1", str(port)])
        self.assertEqual(r.returncode, 1, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["target"], "127.0.0.1:%d" % port)
        self.assertIn("Connection refused", doc["error"])
