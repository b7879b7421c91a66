"""tests/e2e/harness.py: start the real socklab binary and drive it.

Rules kept here for every end-to-end test: servers listen on port 0 and the
test reads the port from the 'listening on' line; nothing sleeps to
synchronise (wait_for polls a condition with a deadline); every process a
test starts is ended by the test, by process id; only loopback is used and
no name is ever resolved through DNS (the machine's resolver is not ours).
"""
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

SOCKLAB = os.environ.get("SOCKLAB") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "socklab")
BUILD = os.environ.get("SOCKLAB_BUILD") or os.path.dirname(SOCKLAB)
# A loaded 2-core machine (and sanitizers) can be slow: deadlines are generous,
# and a test never waits for one unless something is wrong.
SLOW = float(os.environ.get("SOCKLAB_TEST_SLOW", "1"))
LISTEN_RE = re.compile(rb"listening on (tcp|udp) (\S+):(\d+)")


def deadline(seconds):
    return time.monotonic() + seconds * SLOW


def wait_for(pred, timeout=10.0, what="condition", interval=0.005):
    """Poll pred() until it returns a true value or the deadline passes."""
    end = deadline(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def closed_port():
    """A loopback TCP port with nothing listening (bound, never listened, closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proc:
    """A socklab process with its stderr collected line by line."""

    def __init__(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                 env=None, preexec_fn=None):
        self.args = [SOCKLAB] + list(args)
        self.p = subprocess.Popen(self.args, stdin=stdin, stdout=stdout,
                                  stderr=subprocess.PIPE, env=env,
                                  preexec_fn=preexec_fn)
        self.pid = self.p.pid
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in iter(self.p.stderr.readline, b""):
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)   # EOF marker
            self.cv.notify_all()

    def stderr_text(self):
        with self.cv:
            return b"".join(l for l in self.lines if l).decode(errors="replace")

    def wait_line(self, pattern, timeout=10.0):
        """Wait for a stderr line matching pattern (bytes regex); return the match."""
        rx = re.compile(pattern) if isinstance(pattern, bytes) else re.compile(pattern.encode())
        end = deadline(timeout)
        seen = 0
        with self.cv:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        raise AssertionError("process exited (rc=%s) before printing %r; stderr:\n%s"
                                             % (self.p.poll(), pattern, self.stderr_text()))
                    m = rx.search(line)
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %r; stderr:\n%s"
                                         % (pattern, self.stderr_text()))
                self.cv.wait(left)

    def count_lines(self, pattern):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        with self.cv:
            return sum(1 for l in self.lines if l and rx.search(l))

    def send_signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout=10.0):
        """Wait for exit; returns the status. Kills and fails after timeout."""
        try:
            rc = self.p.wait(timeout * SLOW)
            # The reader sees EOF once the process (and any child holding its
            # stderr) is gone: join it so stderr_text() has every line.
            self.reader.join(timeout * SLOW)
            return rc
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit in %.0f s; stderr:\n%s"
                                 % (" ".join(self.args), timeout, self.stderr_text()))

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        self.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def close(self):
        self.kill()
        self.reader.join(5)
        for f in (self.p.stdout, self.p.stderr, self.p.stdin):
            if f:
                f.close()


class Server(Proc):
    """A socklab server started on port 0; .host/.port from its listening line."""

    def __init__(self, args, timeout=10.0, proto="tcp", **kw):
        super().__init__(args, **kw)
        try:
            self._find_address(timeout, proto)
        except BaseException:
            # Not yet tracked by the test: end it here, or it outlives the run.
            self.close()
            raise

    def _find_address(self, timeout, proto):
        if proto == "unix":
            self.path = self.wait_line(rb"listening on unix:(\S+)", timeout).group(1).decode()
            return
        m = self.wait_line(rb"listening on " + proto.encode() + rb" (\S+):(\d+)", timeout)
        host = m.group(1).decode()
        self.host = host[1:-1] if host.startswith("[") else host
        self.port = int(m.group(2))
        self.family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        if self.host in ("::", "0.0.0.0"):
            self.host = "127.0.0.1"
            self.family = socket.AF_INET
        self.addr = (self.host, self.port)

    def connect(self, timeout=10.0):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(timeout * SLOW)
        s.connect(self.addr)
        return s


def run(args, input=None, timeout=30.0, env=None):
    """Run socklab to completion; returns CompletedProcess (bytes)."""
    return subprocess.run([SOCKLAB] + list(args), input=input, capture_output=True,
                          timeout=timeout * SLOW, env=env)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def echo_roundtrip(sock, data, chunk=65536):
    """Send data and read it back concurrently (never deadlocks on big data)."""
    out = bytearray()
    sent = 0
    sock.setblocking(False)
    end = deadline(60)
    try:
        while len(out) < len(data):
            if time.monotonic() > end:
                raise AssertionError("echo of %d bytes stalled at %d" % (len(data), len(out)))
            want_w = [sock] if sent < len(data) else []
            r, w, _ = select.select([sock], want_w, [], 1.0)
            if w:
                try:
                    sent += sock.send(data[sent:sent + chunk])
                except BlockingIOError:
                    pass
            if r:
                try:
                    got = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not got:
                    break
                out += got
    finally:
        sock.setblocking(True)
    return bytes(out)


def _other_loopback(hexaddr):
    """True for a /proc/net/tcp{,6} local address in 127.0.0.0/8 other than
    127.0.0.1 (plain or v4-mapped): the tests' servers are at 127.0.0.1 or a
    wildcard, and bench runs leave TIME_WAIT at 127.0.0.2-5 on any port."""
    if len(hexaddr) == 32:
        if hexaddr[:24] != "0000000000000000FFFF0000":
            return False
        hexaddr = hexaddr[24:]
    v4 = bytes.fromhex(hexaddr)[::-1]
    return v4[0] == 127 and v4 != bytes([127, 0, 0, 1])


def tcp_states(port):
    """{state: count} of TCP sockets whose local port is port at 127.0.0.1
    or a wildcard (not at other loopback addresses), from /proc/net."""
    names = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
             5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT",
             9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}
    out = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    laddr, lport = parts[1].rsplit(":", 1)
                    if int(lport, 16) == port and not _other_loopback(laddr):
                        st = names.get(int(parts[3], 16), parts[3])
                        out[st] = out.get(st, 0) + 1
        except FileNotFoundError:
            pass
    return out


class TestCase(unittest.TestCase):
    """Base class: processes registered with self.track are ended at cleanup."""

    def track(self, proc):
        self.addCleanup(proc.close)
        return proc

    def server(self, *args, **kw):
        return self.track(Server(list(args), **kw))

    def proc(self, *args, **kw):
        return self.track(Proc(list(args), **kw))
