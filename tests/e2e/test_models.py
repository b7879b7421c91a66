"""End-to-end: the echo service under every server model (the matrix).

The models are read from `socklab echo-server --help` (one line each), and
every behaviour below runs against each of them; a model added to the
library is tested without touching this file. Model-specific checks (fork:
zombies; select: FD_SETSIZE) run where they apply.

Stated bounds:
- memory: while one client pushes data it never reads, the server's
  resident memory (VmRSS; for fork, the parent plus its children) grows by
  less than RSS_BOUND, and the client is throttled (it cannot push more
  than THROTTLE_BOUND);
- CPU: at the descriptor limit, with clients waiting, the server uses less
  than CPU_BOUND seconds of CPU in a CPU_WINDOW-second window (no spin).
"""
import errno
import os
import re
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

from harness import TestCase, SOCKLAB, SLOW, deadline, recv_exact, wait_for

RSS_BOUND = 16 << 20
THROTTLE_BOUND = 48 << 20
CPU_BOUND = 0.3
CPU_WINDOW = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def listed_models():
    """The model names, from the help's one line per model."""
    out = subprocess.run([SOCKLAB, "echo-server", "--help"], capture_output=True,
                         timeout=30).stdout.decode()
    block = out.split("--model", 1)[1].split("--workers", 1)[0]
    return re.findall(r"^ {6}(\w+)  ", block, re.M)


MODELS = listed_models()


# ---- what the test sees of the server process ----------------------------

def children(pid):
    """[(pid, state)] of the processes whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append((int(d), fields[0]))
    return out


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid):
    """VmRSS of pid plus its children (the fork model's whole server)."""
    return rss_bytes(pid) + sum(rss_bytes(c) for c, _ in children(pid))


def cpu_seconds(pid):
    """utime + stime of pid (its threads included), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- clients --------------------------------------------------------------

def connect(srv):
    s = socket.socket(srv.family, socket.SOCK_STREAM)
    s.settimeout(20 * SLOW)
    s.connect(srv.addr)
    return s


def echo_many(socks, payloads, timeout=60.0):
    """Echo payloads[i] through socks[i], all at once, with one selector.
    Returns the bytes each got back (stops at EOF)."""
    sel = selectors.DefaultSelector()
    sent = [0] * len(socks)
    got = [bytearray() for _ in socks]
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
    live = len(socks)
    end = deadline(timeout)
    try:
        while live > 0:
            if time.monotonic() > end:
                raise AssertionError("echo stalled: %d of %d clients unfinished"
                                     % (live, len(socks)))
            for key, ev in sel.select(1.0):
                i, s = key.data, key.fileobj
                if ev & selectors.EVENT_WRITE and sent[i] < len(payloads[i]):
                    try:
                        sent[i] += s.send(payloads[i][sent[i]:sent[i] + 65536])
                    except BlockingIOError:
                        pass
                    if sent[i] == len(payloads[i]):
                        s.shutdown(socket.SHUT_WR)   # iterative: the next client's turn
                        sel.modify(s, selectors.EVENT_READ, i)
                if ev & selectors.EVENT_READ:
                    try:
                        chunk = s.recv(1 << 18)
                    except BlockingIOError:
                        continue
                    got[i] += chunk
                    if not chunk or len(got[i]) >= len(payloads[i]):
                        sel.unregister(s)
                        live -= 1
    finally:
        sel.close()
    return [bytes(g) for g in got]


class ActiveClients:
    """Clients that keep echoing in a background thread until told to stop;
    records for each whether it ended by EOF or reset and when."""

    def __init__(self, socks):
        self.socks = socks
        self.ended = {}
        self.received = 0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        sel = selectors.DefaultSelector()
        block = os.urandom(4096)
        for i, s in enumerate(self.socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
        while not self.stop.is_set() and len(self.ended) < len(self.socks):
            for key, ev in sel.select(0.2):
                i, s = key.data, key.fileobj
                try:
                    if ev & selectors.EVENT_READ:
                        chunk = s.recv(1 << 16)
                        if not chunk:
                            raise ConnectionResetError
                        self.received += len(chunk)
                    if ev & selectors.EVENT_WRITE:
                        s.send(block)
                except BlockingIOError:
                    continue
                except OSError:
                    self.ended[i] = time.monotonic()
                    sel.unregister(s)
        sel.close()

    def join(self, timeout):
        self.t.join(timeout)
        self.stop.set()
        self.t.join(5)


def resolve_all(socks, data, hold, timeout):
    """Send data on every socket at once; each ends "served" (echoed) or
    "closed" (EOF or reset before the echo), or "hanging" at the deadline.
    Unless hold, a socket is closed as soon as it is resolved."""
    outcome = {i: "hanging" for i in range(len(socks))}
    got = {i: b"" for i in range(len(socks))}
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        try:
            s.send(data)
        except OSError:
            outcome[i] = "closed"
            continue
        sel.register(s, selectors.EVENT_READ, i)
    end = deadline(timeout)
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            i, s = key.data, key.fileobj
            try:
                chunk = s.recv(64)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            got[i] += chunk
            if chunk and got[i] != data:
                continue
            outcome[i] = "served" if chunk else "closed"
            sel.unregister(s)
            if not hold:
                s.close()
    sel.close()
    return outcome


def served_once(srv, data):
    """True when one client got data echoed (False if turned away)."""
    try:
        with connect(srv) as s:
            s.sendall(data)
            return recv_exact(s, len(data)) == data
    except OSError:
        return False


def reset_close(s):
    """close() that sends RST (SO_LINGER on, time 0)."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# ---- the matrix -------------------------------------------------------------

class ModelMatrix:
    """Every behaviour, run against self.model (set by the generated classes)."""
    model = None
    model_args = ()     # e.g. worker processes instead of threads

    def start(self, *extra, **kw):
        return self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q",
                           "-m", self.model, *self.model_args, *extra, **kw)

    def close_all(self, socks):
        for s in socks:
            s.close()

    def test_100_clients_256k_each(self):
        srv = self.start()
        payloads = [os.urandom(256 << 10) for _ in range(100)]
        socks = [connect(srv) for _ in payloads]
        self.addCleanup(self.close_all, socks)
        got = echo_many(socks, payloads, timeout=120)
        bad = [i for i in range(100) if got[i] != payloads[i]]
        self.assertEqual(bad, [], "clients whose echo differed")

    def test_half_close_gets_every_byte_then_eof(self):
        srv = self.start()
        data = os.urandom(1 << 20)
        with connect(srv) as s:
            s.setblocking(False)
            sent, out = 0, bytearray()
            end = deadline(30)
            while True:
                self.assertLess(time.monotonic(), end, "half-closed echo stalled")
                r, w, _ = select.select([s], [s] if sent < len(data) else [], [], 1.0)
                if w:
                    sent += s.send(data[sent:sent + 65536])
                    if sent == len(data):
                        s.shutdown(socket.SHUT_WR)
                if r:
                    chunk = s.recv(1 << 20)   # a reset here fails the test
                    if not chunk:
                        break
                    out += chunk
            self.assertEqual(bytes(out), data)

    def test_one_client_resets_mid_echo(self):
        srv = self.start()
        bad = connect(srv)
        bad.sendall(os.urandom(200000))      # no reading: echo is in flight
        payloads = [os.urandom(512 << 10) for _ in range(4)]
        socks = [connect(srv) for _ in payloads]
        self.addCleanup(self.close_all, socks)
        reset_close(bad)
        got = echo_many(socks, payloads)
        self.assertTrue(all(g == p for g, p in zip(got, payloads)))
        with connect(srv) as s:              # still serving
            s.sendall(b"after")
            self.assertEqual(recv_exact(s, 5), b"after")

    def test_client_that_never_reads_is_throttled(self):
        srv = self.start()
        warm = connect(srv)                  # the serving process/thread exists
        self.addCleanup(warm.close)
        warm.sendall(b"w")
        self.assertEqual(recv_exact(warm, 1), b"w")
        warm.close()
        hog = connect(srv)
        self.addCleanup(hog.close)
        hog.sendall(b"x")
        wait_for(lambda: children(srv.pid) if self.model == "fork" else True,
                 what="the client's child process")
        before = tree_rss(srv.pid)
        hog.setblocking(False)
        block, sent = os.urandom(1 << 16), 0
        idle_since, end = time.monotonic(), deadline(30)
        while time.monotonic() - idle_since < 1.0 and sent < THROTTLE_BOUND:
            self.assertLess(time.monotonic(), end)
            _, w, _ = select.select([], [hog], [], 0.2)
            if w:
                try:
                    sent += hog.send(block)
                    idle_since = time.monotonic()
                except BlockingIOError:
                    pass
        grew = tree_rss(srv.pid) - before
        self.assertLess(sent, THROTTLE_BOUND, "the server kept reading a client that never reads")
        self.assertLess(grew, RSS_BOUND, "server RSS grew by %d bytes" % grew)
        if self.model != "iterative":        # others are still served meanwhile
            with connect(srv) as s:
                s.sendall(b"ok")
                self.assertEqual(recv_exact(s, 2), b"ok")

    def test_descriptor_limit_no_spin_no_hang(self):
        limit = 64
        srv = self.start(preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (limit, limit)))
        hold = self.model != "iterative"     # iterative: one at a time, so close each
        socks = []
        self.addCleanup(self.close_all, socks)
        for _ in range(150):
            s = socket.socket(srv.family, socket.SOCK_STREAM)
            s.connect(srv.addr)
            socks.append(s)
        outcome = resolve_all(socks, b"ping", hold, timeout=60)
        hanging = [i for i, v in outcome.items() if v == "hanging"]
        self.assertEqual(hanging, [], "clients neither served nor closed")
        served = sum(1 for v in outcome.values() if v == "served")
        self.assertGreater(served, 0)
        self.assertEqual(len(outcome), 150)
        if hold and self.model != "fork" and not self.model_args:
            self.assertLess(served, 150)     # one descriptor table: some were turned away
        t0 = cpu_seconds(srv.pid)
        time.sleep(CPU_WINDOW)               # measuring a rate, not synchronising
        used = cpu_seconds(srv.pid) - t0
        self.assertLess(used, CPU_BOUND, "server spun: %.2f s CPU in %.1f s" % (used, CPU_WINDOW))
        self.close_all(socks)
        # Descriptors come back as the server sees the closes: serving again.
        wait_for(lambda: served_once(srv, b"again"), timeout=20, interval=0.05,
                 what="a client served after the others left")

    def test_max_clients_others_wait(self):
        if self.model == "iterative":
            self.skipTest("iterative serves one client at a time by design")
        srv = self.start("--max-clients", "3")
        socks = [connect(srv) for _ in range(4)]
        self.addCleanup(self.close_all, socks)
        for s in socks[:3]:
            s.sendall(b"a")
            self.assertEqual(recv_exact(s, 1), b"a")
        if self.model == "fork":
            self.assertEqual(len(children(srv.pid)), 3)
        socks[3].sendall(b"b")
        r, _, _ = select.select([socks[3]], [], [], 0.5)
        self.assertEqual(r, [], "a fourth client was served beyond --max-clients 3")
        socks[0].close()
        self.assertEqual(recv_exact(socks[3], 1), b"b")

    def test_idle_client_is_closed(self):
        srv = self.start("--idle-timeout", "0.3")
        with connect(srv) as s:
            s.sendall(b"hi")
            self.assertEqual(recv_exact(s, 2), b"hi")
            t0 = time.monotonic()
            self.assertEqual(s.recv(1), b"")          # FIN after the idle time
            self.assertGreater(time.monotonic() - t0, 0.2)
        srv.wait_line(rb"idle for 300 ms")

    def test_count_exits_after_n_clients(self):
        srv = self.start("--count", "3")
        for _ in range(3):
            with connect(srv) as s:
                s.sendall(b"c")
                self.assertEqual(recv_exact(s, 1), b"c")
        self.assertEqual(srv.wait(10), 0)

    def test_sigterm_with_50_active_clients_exits_0(self):
        srv = self.start("--close-timeout", "2")
        socks = [connect(srv) for _ in range(50)]
        self.addCleanup(self.close_all, socks)
        for s in socks[:1]:
            s.sendall(b"x")
            self.assertEqual(recv_exact(s, 1), b"x")
        active = ActiveClients(socks)
        wait_for(lambda: active.received > (256 << 10), what="echo traffic")
        t0 = time.monotonic()
        rc = srv.stop(signal.SIGTERM, timeout=15)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, srv.stderr_text())
        self.assertLess(took, (2 + 4) * SLOW, "not within the close bound (2 s) and a margin")
        active.join(10 * SLOW)
        if self.model == "fork" or self.model_args:
            self.assertEqual(children(srv.pid), [])


class ForkOnly:
    def test_fork_no_zombies_after_300_short_clients(self):
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q", "-m", "fork")
        errors = []

        def client(n):
            try:
                for _ in range(n):
                    with connect(srv) as s:
                        s.sendall(b"z")
                        if recv_exact(s, 1) != b"z":
                            errors.append("bad echo")
            except OSError as e:
                errors.append(str(e))

        threads = [threading.Thread(target=client, args=(30,)) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120 * SLOW)
        self.assertEqual(errors, [])
        # Every child exits once its client closed; none may stay a zombie.
        wait_for(lambda: children(srv.pid) == [], timeout=15,
                 what="no children (zombies: %s)" % [c for c in children(srv.pid) if c[1] == "Z"])

    def test_fork_numbers_each_client_once(self):
        # The id is taken in the child from its copy of the counter; the
        # parent must advance its own, or every client is "client 1".
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-m", "fork")
        for _ in range(3):
            with connect(srv) as s:
                s.sendall(b"n")
                self.assertEqual(recv_exact(s, 1), b"n")
        srv.wait_line(rb"client 3 \S+ left")
        self.assertEqual(srv.count_lines(rb"client 1 \S+ connected"), 1)

    def test_stop_reaches_children_blocked_in_recv(self):
        # A child waits in a blocking recv(); the parent's SIGTERM to it
        # (sent again until it ends) must end the client gracefully long
        # before the parent's SIGKILL after the close bound (5 s + 1 s).
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q", "-m", "fork",
                          "--close-timeout", "5")
        socks = [connect(srv) for _ in range(20)]
        self.addCleanup(self.close_all, socks)
        for s in socks:
            s.sendall(b"b")
            self.assertEqual(recv_exact(s, 1), b"b")
        wait_for(lambda: len(children(srv.pid)) == 20 or None, 10, "20 children")
        t0 = time.monotonic()
        os.kill(srv.pid, signal.SIGTERM)
        for s in socks:
            s.settimeout(10 * SLOW)
            self.assertEqual(s.recv(1), b"", "a FIN, not a reset")
        self.assertLess(time.monotonic() - t0, 4 * SLOW, "before the close bound")
        self.close_all(socks)
        self.assertEqual(srv.wait(10 * SLOW), 0, srv.stderr_text())
        self.assertEqual(children(srv.pid), [])

    def close_all(self, socks):
        for s in socks:
            s.close()


class SelectOnly:
    def test_select_refuses_fd_at_or_above_fd_setsize(self):
        need = 1100
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < need + 64:
            self.skipTest("RLIMIT_NOFILE hard limit %d is below %d" % (hard, need + 64))
        if soft != resource.RLIM_INFINITY and soft < need + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need + 64, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        srv = self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-q", "-m", "select",
                          "-w", "1", preexec_fn=lambda: resource.setrlimit(
                              resource.RLIMIT_NOFILE, (need + 32, need + 32)))
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        # Idle clients fill the server's descriptor table past FD_SETSIZE.
        for _ in range(need - 30):
            s = socket.socket(srv.family, socket.SOCK_STREAM)
            s.connect(srv.addr)
            socks.append(s)
        srv.wait_line(rb"refused: select: descriptor \d+ is at or above FD_SETSIZE", timeout=30)
        last = socks[-1]
        last.settimeout(10 * SLOW)
        try:
            self.assertEqual(last.recv(1), b"")    # refused: closed
        except ConnectionResetError:
            pass
        first = socks[0]                           # the others are served
        first.sendall(b"still here")
        first.settimeout(10 * SLOW)
        self.assertEqual(recv_exact(first, 10), b"still here")
        self.assertIsNone(srv.p.poll(), "server died")


for _m in MODELS:
    _bases = (ModelMatrix,)
    if _m == "fork":
        _bases += (ForkOnly,)
    if _m == "select":
        _bases += (SelectOnly,)
    globals()["Model_" + _m] = type("Model_" + _m, _bases + (TestCase,), {"model": _m})


class WorkerProcessesOnly:
    """--worker-processes: what threads cannot do, and what must not leak.
    (--count across the processes is the matrix's test_count_exits_after_n_clients.)"""

    def test_workers_are_processes_and_hold_past_one_descriptor_limit(self):
        if os.environ.get("SOCKLAB_VALGRIND"):
            # Valgrind keeps 12 descriptors of each process for itself: under
            # RLIMIT_NOFILE 64 the program sees a limit of 52 and can open 48
            # (checked with a program that opens /dev/null until EMFILE), so
            # three processes no longer hold 150 clients between them.
            self.skipTest("under valgrind a 64-descriptor limit is 52")
        limit, clients = 64, 150
        srv = self.start(preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (limit, limit)))
        wait_for(lambda: len(children(srv.pid)) == 2, what="two worker processes")
        socks = []
        self.addCleanup(self.close_all, socks)
        for i in range(clients):   # all held at once: more than one process may open
            s = connect(srv)
            socks.append(s)
            s.sendall(b"%d" % i)
            self.assertEqual(recv_exact(s, len(b"%d" % i)), b"%d" % i)
        self.close_all(socks)

    def test_children_end_with_a_killed_parent(self):
        srv = self.start()
        wait_for(lambda: len(children(srv.pid)) == 2, what="two worker processes")
        kids = [pid for pid, _ in children(srv.pid)]
        self.addCleanup(kill_pids, kids)     # ended here should the test fail
        srv.kill()
        wait_for(lambda: not any(os.path.exists("/proc/%d" % k) for k in kids),
                 timeout=10 * SLOW, what="worker processes gone after their parent")


class Model_epoll_processes(ModelMatrix, WorkerProcessesOnly, TestCase):
    """The whole matrix again with the epoll workers as three processes."""
    model = "epoll"
    model_args = ("-w", "3", "--worker-processes")


class MatrixIsComplete(TestCase):
    def test_models_listed(self):
        for m in ("iterative", "fork", "threads", "select", "poll"):
            self.assertIn(m, MODELS)


if __name__ == "__main__":
    unittest.main()
