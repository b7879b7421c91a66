"""tests/e2e/hostile.py: helpers shared by the hostile-world suites
(test_hostile*.py): the server models read from `socklab echo-server
--help` (so models added later are covered), a process tree's descriptors
and memory from /proc, and per-model test classes."""
import os
import re
import signal
import socket
import sys
import threading
import time

from harness import TestCase, run, recv_exact, wait_for, SLOW


def server_models():
    """[(name, summary)] of the models listed by `socklab echo-server --help`."""
    out = run(["echo-server", "--help"]).stdout.decode(errors="replace").splitlines()
    models, inside = [], False
    for line in out:
        if re.match(r"\s+-m, --model", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s{4,}([a-z][\w-]*)\s{2,}(\S.*)$", line)
            if m is None or line.lstrip().startswith("-"):
                break
            models.append((m.group(1), m.group(2)))
    return models


MODELS = server_models()
# Under valgrind (scripts/valgrind-e2e.sh) the point is memory and
# descriptor checking, not scale: crowds and floods are a fifth as big, and
# memory is measured with valgrind's own overhead on top.
UNDER_VALGRIND = bool(os.environ.get("SOCKLAB_VALGRIND"))
SCALE = 0.2 if UNDER_VALGRIND else 1.0
# SOCKLAB_MODELS=a,b keeps only those (CI runs the threaded ones under TSan).
if os.environ.get("SOCKLAB_MODELS"):
    MODELS = [m for m in MODELS if m[0] in os.environ["SOCKLAB_MODELS"].split(",")]


def one_at_a_time(summary):
    """True for a model that serves a single client at a time (iterative)."""
    return "one client at a time" in summary


def process_tree(pid):
    """pid and all its descendants (from /proc/PID/task/TID/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    """Resident memory of pid and its descendants, in KiB."""
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def children(pid):
    return [p for p in process_tree(pid) if p != pid]


def reset_close(s):
    """Close s with RST (SO_LINGER 0)."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    s.close()


class ModelCase(TestCase):
    """Base of the per-model classes: MODEL and SUMMARY are set by per_model."""
    MODEL = None
    SUMMARY = ""

    def echo_server(self, *opts, **kw):
        return self.server("echo-server", "-p", "0", "-b", "127.0.0.1", "-m", self.MODEL,
                           "-q", *opts, **kw)

    def served(self, srv, payload=b"still served"):
        """A fresh client gets its echo: the server is alive and serving."""
        with srv.connect(20) as s:
            s.sendall(payload)
            self.assertEqual(recv_exact(s, len(payload)), payload)

    def stable_fds(self, srv):
        """The server's descriptor count once it stops changing (no children)."""
        last = [None]

        def steady():
            now = (fd_count(srv.pid), tuple(children(srv.pid)))
            same = now == last[0] and not now[1]
            last[0] = now
            return same
        wait_for(steady, 30, "a steady descriptor count", interval=0.2)
        return last[0][0]

    def settled_fds(self, srv, baseline, what="descriptors back to the baseline"):
        """Wait until the server (and any children) hold baseline descriptors."""
        def ok():
            return fd_count(srv.pid) == baseline and not children(srv.pid)
        try:
            wait_for(ok, 30, what, interval=0.05)
        except AssertionError:
            self.fail("%s: %d descriptors now, %d before; children %s"
                      % (what, fd_count(srv.pid), baseline, children(srv.pid)))


def per_model(module, mixin, prefix):
    """Make class PREFIX_MODEL(mixin, ModelCase) for every model, in module."""
    for name, summary in MODELS:
        cls = type("%s_%s" % (prefix, name), (mixin, ModelCase),
                   {"MODEL": name, "SUMMARY": summary})
        setattr(sys.modules[module], cls.__name__, cls)


class Storm:
    """Signals at pid from a thread: each of sigs every period seconds, and
    SIGSTOP then SIGCONT every stop_every sends; bounded by max_sends."""

    def __init__(self, pid, sigs, period=0.001, stop_every=25, max_sends=20000):
        self.pid, self.sigs, self.period = pid, sigs, period
        self.stop_every, self.max_sends = stop_every, max_sends
        self.sent = 0
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        n = 0
        try:
            while not self.done.is_set() and n < self.max_sends:
                for s in self.sigs:
                    os.kill(self.pid, s)
                    self.sent += 1
                n += 1
                if self.stop_every and n % self.stop_every == 0:
                    os.kill(self.pid, signal.SIGSTOP)
                    time.sleep(0.001)
                    os.kill(self.pid, signal.SIGCONT)
                    self.sent += 2
                time.sleep(self.period)
        except ProcessLookupError:
            pass
        finally:
            try:
                os.kill(self.pid, signal.SIGCONT)   # never leave it stopped
            except ProcessLookupError:
                pass

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.t.join(10)
